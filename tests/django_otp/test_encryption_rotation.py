"""Rotating the keys of encrypted secrets: ``manage.py otp_reencrypt`` and the key list.

Devices made under K1 keep working with [K2, K1]; the command moves every row to K2; then [K2]
alone is enough, and [K3] alone is a clear error. Runs on SQLite and on PostgreSQL.
"""

import io

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from django_otp import DEVICE_ID_SESSION_KEY, crypto
from django_otp.management.commands import otp_reencrypt
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import hotp_at, totp_now
from .encryption_helpers import (
    ID1,
    ID2,
    K1,
    K2,
    K3,
    plain_baseline,  # noqa: F401 (an autouse fixture)
    raw_key,
    set_raw_key,
)

pytestmark = pytest.mark.django_db


def reencrypt(*args):
    out = io.StringIO()
    call_command("otp_reencrypt", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def summary(output, context):
    return next(line for line in output.splitlines() if line.startswith(context + ":"))


@pytest.fixture
def devices_under_k1(settings, user):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    devices = [TOTPDevice.objects.create(user=user, name="default"),
               HOTPDevice.objects.create(user=user, name="hotp")]
    assert [crypto.stored_key_id(raw_key(device)) for device in devices] == [ID1, ID1]
    return devices


def fresh(device):
    return type(device).objects.get(pk=device.pk)


def token_of(device):
    return totp_now(device) if isinstance(device, TOTPDevice) else hotp_at(device)


def sign_in(client, device):
    step = "login_view-current_step"
    url = reverse("two_factor:login")
    client.post(url, {step: "auth", "auth-username": "alice", "auth-password": "secret-password"})
    response = client.post(url, {step: "token", "token-otp_token": totp_now(device)})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(device.user.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    client.logout()


def test_rotation_keeps_every_device_working(settings, devices_under_k1, client):
    totp, hotp = devices_under_k1
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert fresh(hotp).verify_token(hotp_at(fresh(hotp)))
    sign_in(client, fresh(totp))

    output = reencrypt()
    assert "otp_totp.totpdevice.key: 1 re-encrypted, 0 already right" in output
    assert "otp_hotp.hotpdevice.key: 1 re-encrypted, 0 already right" in output
    assert [crypto.stored_key_id(raw_key(device)) for device in devices_under_k1] == [ID2, ID2]

    settings.OTP_ENCRYPTION_KEYS = [K2]
    assert fresh(hotp).verify_token(hotp_at(fresh(hotp)))
    TOTPDevice.objects.filter(pk=totp.pk).update(last_t=-1)  # the same step may sign in again
    sign_in(client, fresh(totp))

    settings.OTP_ENCRYPTION_KEYS = [K3]
    for device in devices_under_k1:
        with pytest.raises(ImproperlyConfigured, match=f"key id '{ID2}'"):
            fresh(device)


def test_the_command_is_idempotent(settings, devices_under_k1):
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    reencrypt()
    stored = [raw_key(device) for device in devices_under_k1]
    output = reencrypt()
    assert "otp_totp.totpdevice.key: 0 re-encrypted, 1 already right" in output
    assert [raw_key(device) for device in devices_under_k1] == stored


def test_only_the_key_column_is_written(settings, devices_under_k1):
    totp = devices_under_k1[0]
    before = TOTPDevice.objects.filter(pk=totp.pk).values().get()
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    reencrypt()
    after = TOTPDevice.objects.filter(pk=totp.pk).values().get()
    assert after == before  # every column the same, the (decrypted) key included
    assert crypto.stored_key_id(raw_key(totp)) == ID2  # yet stored under the new key


def test_a_plain_row_works_with_keys_on_and_is_encrypted_by_the_command(settings, user):
    device = TOTPDevice.objects.create(user=user, name="default")  # keys off: plain text
    assert raw_key(device) == device.key
    settings.OTP_ENCRYPTION_KEYS = [K1]
    assert fresh(device).verify_token(totp_now(device))
    output = reencrypt()
    assert "otp_totp.totpdevice.key: 1 re-encrypted" in output
    assert crypto.stored_key_id(raw_key(device)) == ID1
    assert fresh(device).key == device.key


def test_decrypt_brings_plain_text_back(settings, devices_under_k1):
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    output = reencrypt("--decrypt")
    assert "otp_totp.totpdevice.key: 1 decrypted" in output
    for device in devices_under_k1:
        assert raw_key(device) == device.key
    assert "1 already right" in summary(reencrypt("--decrypt"), "otp_totp.totpdevice.key")
    settings.OTP_ENCRYPTION_KEYS = None
    for device in devices_under_k1:
        assert fresh(device).verify_token(token_of(fresh(device)))


def test_rows_under_a_missing_key_or_tampered_are_reported_and_the_rest_done(settings, user, devices_under_k1):
    totp, hotp = devices_under_k1
    settings.OTP_ENCRYPTION_KEYS = [K3]
    lost = TOTPDevice.objects.create(user=user, name="new")  # under K3, soon no longer listed
    stored = raw_key(totp)
    set_raw_key(totp, stored[:-6] + ("AAAAAA" if stored[-6:] != "AAAAAA" else "BBBBBB"))
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 secret"):
        call_command("otp_reencrypt", stdout=out, stderr=err)
    assert "otp_totp.totpdevice.key: 0 re-encrypted, 0 already right, 0 empty, 2 failed" in out.getvalue()
    assert "otp_hotp.hotpdevice.key: 1 re-encrypted" in out.getvalue()
    assert f"pk={totp.pk}: A secret of otp_totp.totpdevice.key under key id '{ID1}' failed" in err.getvalue()
    assert f"pk={lost.pk}: A secret of otp_totp.totpdevice.key is encrypted under key id" in err.getvalue()
    assert crypto.stored_key_id(raw_key(hotp)) == ID2


def test_tampered_row_under_the_newest_key_is_reported(settings, devices_under_k1):
    totp = devices_under_k1[0]
    stored = raw_key(totp)
    set_raw_key(totp, stored[:-6] + ("AAAAAA" if stored[-6:] != "AAAAAA" else "BBBBBB"))
    with pytest.raises(crypto.DecryptionError, match="altered"):
        fresh(totp)
    with pytest.raises(CommandError, match="1 secret"):
        reencrypt()


def test_small_batches_reach_every_row(settings, make_user):
    users = [make_user(f"user{n}") for n in range(5)]
    devices = [TOTPDevice.objects.create(user=u, name="default") for u in users]
    settings.OTP_ENCRYPTION_KEYS = [K1]
    output = reencrypt("--batch-size", "2")
    assert "otp_totp.totpdevice.key: 5 re-encrypted" in output
    assert {crypto.stored_key_id(raw_key(device)) for device in devices} == {ID1}


def test_a_concurrent_change_is_never_overwritten(settings, devices_under_k1):
    """The command read a row, then another request saved a new key: the new key stays."""
    totp = devices_under_k1[0]
    field = TOTPDevice._meta.get_field("key")
    stale = raw_key(totp)  # key A under K1, as the command read it
    set_raw_key(totp, crypto.encrypt("ab" * 20, field.secret_context))  # key B under K1, meanwhile
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert otp_reencrypt._rewrite_row(TOTPDevice, field, totp.pk, stale, decrypt=False) == "changed"
    assert fresh(totp).key == "ab" * 20 and crypto.stored_key_id(raw_key(totp)) == ID2

    stale = raw_key(totp)
    fresh(totp).save()  # saved again (under K2, the newest): nothing is left to do
    assert otp_reencrypt._rewrite_row(TOTPDevice, field, totp.pk, stale, decrypt=False) == "current"
    assert fresh(totp).key == "ab" * 20


def test_a_deleted_row_is_skipped(settings, devices_under_k1):
    totp = devices_under_k1[0]
    field = TOTPDevice._meta.get_field("key")
    stale = raw_key(totp)
    totp.delete()
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert otp_reencrypt._rewrite_row(TOTPDevice, field, totp.pk, stale, decrypt=False) == "deleted"


def test_every_secret_field_is_found_through_the_app_registry():
    found = {field.secret_context for _model, field in otp_reencrypt.secret_fields()}
    assert {"otp_totp.totpdevice.key", "otp_hotp.hotpdevice.key", "phonenumber.phonedevice.key"} <= found


def test_without_keys_there_is_nothing_to_encrypt_with(settings):
    settings.OTP_ENCRYPTION_KEYS = None
    with pytest.raises(CommandError, match="not set"):
        reencrypt()
    with pytest.raises(CommandError, match="batch-size"):
        reencrypt("--batch-size", "0")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_rotation_on_postgres(settings, make_user):
    test_small_batches_reach_every_row(settings, make_user)
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert "5 re-encrypted" in summary(reencrypt(), "otp_totp.totpdevice.key")
    assert {crypto.stored_key_id(raw_key(d)) for d in TOTPDevice.objects.all()} == {ID2}
    settings.OTP_ENCRYPTION_KEYS = [K2]
    for device in TOTPDevice.objects.all():
        assert device.verify_token(totp_now(device))
