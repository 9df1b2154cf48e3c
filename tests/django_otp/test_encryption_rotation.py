"""Rotating the keys of encrypted secrets: ``manage.py otp_reencrypt`` and the key list.

Devices made under K1 keep working with [K2, K1]; the command moves every row to K2; then [K2]
alone is enough, and [K3] alone is a clear error. Runs on SQLite and on PostgreSQL.
"""

import io
import logging

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

import django_otp
from django_otp import DEVICE_ID_SESSION_KEY, crypto
from django_otp.fields import StoredSecret
from django_otp.management.commands import otp_reencrypt
from django_otp.models import Device
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import hotp_at, totp_now
from .encryption_helpers import (
    ID1,
    ID2,
    K1,
    K2,
    K3,
    assert_no_secret,
    dump,
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
            fresh(device).key  # the row loads; its secret cannot be read


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
    with pytest.raises(CommandError, match="^2 secrets could not be decrypted; see above.$"):
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
        fresh(totp).key
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


# Lazy decryption: a key dropped from the list too early breaks only what needs the secret.

@pytest.fixture
def key_dropped(settings, devices_under_k1):
    """The devices made under K1, once the list is [K2] (before the command ran)."""
    settings.OTP_ENCRYPTION_KEYS = [K2]
    return devices_under_k1


def test_a_row_under_a_dropped_key_loads_and_lists(key_dropped, user):
    totp, hotp = key_dropped
    loaded = TOTPDevice.objects.get(pk=totp.pk)
    assert loaded.name == "default" and loaded.user == user
    assert set(django_otp.devices_for_user(user)) == {totp, hotp}
    assert list(TOTPDevice.objects.devices_for_user(user)) == [totp]
    assert Device.from_persistent_id(totp.persistent_id) == totp
    for device in (loaded, fresh(hotp)):
        with pytest.raises(crypto.DecryptionError, match=f"key id '{ID1}', which is not in") as error:
            device.key  # noqa: B018
        for secret in (K1, K2, raw_key(device)):
            assert secret not in str(error.value)


def test_a_session_verified_by_such_a_device_still_gets_its_pages(key_dropped, client, user):
    totp = key_dropped[0]
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp.persistent_id
    session.save()
    response = client.get("/otp/required/")  # OTPMiddleware loads the device: still verified
    assert response.status_code == 200 and response.content == b"protected"
    assert client.get(reverse("two_factor:profile")).status_code == 200


def test_the_admin_lists_and_shows_such_a_device(key_dropped, client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    for device in key_dropped:
        name = f"admin:{device._meta.app_label}_{device._meta.model_name}"
        assert client.get(reverse(f"{name}_changelist")).status_code == 200
        assert client.get(reverse(f"{name}_change", args=(device.pk,))).status_code == 200


@pytest.mark.parametrize("token", ["right", "123456", "not a token", None])
def test_such_a_device_refuses_every_token_without_counting_a_failure(key_dropped, user, caplog, token):
    for device in key_dropped:
        loaded = fresh(device)
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="django_otp"):
            assert loaded.verify_token(token_of(device) if token == "right" else token) is False
        [record] = [record for record in caplog.records if record.name == "django_otp"]
        message = record.getMessage()
        assert record.levelno == logging.ERROR and loaded.persistent_id in message
        assert "cannot be decrypted with the configured keys" in message
        assert_no_secret(message, device.key)
        for secret in (K1, K2, raw_key(device)):
            assert secret not in message
        assert loaded.throttling_failure_count == fresh(device).throttling_failure_count == 0
        assert fresh(device).throttling_failure_timestamp is None
    assert django_otp.match_token(user, "123456") is None


def test_signing_in_with_such_a_device_is_a_form_error(key_dropped, client, user):
    step = "login_view-current_step"
    url = reverse("two_factor:login")
    client.post(url, {step: "auth", "auth-username": "alice", "auth-password": "secret-password"})
    response = client.post(url, {step: "token", "token-otp_token": token_of(key_dropped[0])})
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "token"
    assert SESSION_KEY not in client.session


def test_saving_such_a_device_writes_its_stored_value_back(settings, key_dropped):
    for device in key_dropped:
        stored = raw_key(device)
        loaded = fresh(device)
        loaded.name = "renamed"
        loaded.save()  # the secret was never read
        assert raw_key(device) == stored
        with pytest.raises(crypto.DecryptionError):
            loaded.key  # noqa: B018
        loaded.confirmed = False
        loaded.save()  # nor after a read that failed
        assert raw_key(device) == stored
        assert fresh(device).name == "renamed" and not fresh(device).confirmed
    text = dump("otp_totp", "otp_hotp")  # a dump holds the stored form, not an error
    assert all(raw_key(device) in text for device in key_dropped)
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]  # the key back: nothing was lost
    for device in key_dropped:
        assert fresh(device).verify_token(token_of(device))


def test_a_loaded_key_is_decrypted_once_when_loaded(devices_under_k1, monkeypatch):
    totp = devices_under_k1[0]
    calls = []
    decrypt = crypto.decrypt

    def counting(stored, context):
        calls.append(context)
        return decrypt(stored, context)

    monkeypatch.setattr(crypto, "decrypt", counting)
    loaded = fresh(totp)
    assert calls == ["otp_totp.totpdevice.key"]
    assert loaded.key == totp.key
    assert loaded.key == totp.key
    assert loaded.verify_token(totp_now(totp))
    assert len(calls) == 1


def test_a_row_loaded_changed_and_saved_keeps_its_key(settings, devices_under_k1):
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    for device in devices_under_k1:
        loaded = fresh(device)
        loaded.name = "renamed"
        loaded.save()  # encrypted afresh, under the newest key
        assert crypto.stored_key_id(raw_key(device)) == ID2
        reloaded = fresh(device)
        assert reloaded.name == "renamed" and reloaded.key == device.key
        assert reloaded.verify_token(token_of(device))


def test_values_only_defer_and_refresh_give_the_plain_text(devices_under_k1):
    totp = devices_under_k1[0]
    rows = TOTPDevice.objects.filter(pk=totp.pk)
    [value] = rows.values_list("key", flat=True)
    assert type(value) is str and value == totp.key
    assert rows.values("key").get() == {"key": totp.key}
    for queryset in (rows.only("name"), rows.defer("key"), rows.only("key"), rows):
        assert queryset.get().key == totp.key
    loaded = rows.get()
    loaded.refresh_from_db()
    assert loaded.key == totp.key


def test_values_of_an_undecryptable_row_name_no_secret(key_dropped):
    totp = key_dropped[0]
    [value] = TOTPDevice.objects.filter(pk=totp.pk).values_list("key", flat=True)
    assert isinstance(value, StoredSecret) and value.stored == raw_key(totp)
    assert value.stored not in repr(value)
    with pytest.raises(crypto.DecryptionError):
        str(value)


def test_a_key_put_back_is_used_by_an_instance_loaded_without_it(settings, key_dropped):
    loaded = fresh(key_dropped[0])
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert loaded.key == key_dropped[0].key


def test_plain_rows_without_keys_are_unchanged(user):
    device = TOTPDevice.objects.create(user=user, name="default")  # no keys: plain text
    stored = raw_key(device)
    assert stored == device.key
    [value] = TOTPDevice.objects.values_list("key", flat=True)
    assert type(value) is str and value == stored
    loaded = fresh(device)
    assert loaded.key == stored and loaded.verify_token(totp_now(device))
    loaded.name = "renamed"
    loaded.save()
    assert raw_key(device) == stored and f'"key": "{stored}"' in dump("otp_totp")


def test_a_plain_row_with_keys_on_passes_through_and_is_encrypted_when_saved(settings, user):
    device = TOTPDevice.objects.create(user=user, name="default")
    settings.OTP_ENCRYPTION_KEYS = [K1]
    [value] = TOTPDevice.objects.values_list("key", flat=True)
    assert type(value) is str and value == device.key
    loaded = fresh(device)
    loaded.save()
    assert crypto.stored_key_id(raw_key(device)) == ID1 and fresh(device).key == device.key


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
