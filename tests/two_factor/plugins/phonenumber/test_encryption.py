"""The phone device's key encrypted at rest: set up through the wizard, rotated, hidden in the admin."""

import io
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from django_otp import crypto
from tests.django_otp.encryption_helpers import (
    ID1,
    ID2,
    K1,
    K2,
    K3,
    assert_no_secret,
    declared_width,
    dump,
    plain_baseline,  # noqa: F401 (an autouse fixture)
    raw_key,
)
from two_factor.plugins.phonenumber.models import PhoneDevice

from ...conftest import login_password_only
from . import test_models
from .conftest import FAKE, NUMBER, phone_token
from .test_setup import SETUP, post_step, to_number_step

pytestmark = pytest.mark.django_db


def fresh(device):
    return PhoneDevice.objects.get(pk=device.pk)


def test_phone_set_up_through_the_wizard_is_stored_encrypted(settings, client, user, gateways, sent):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    login_password_only(client, user)
    to_number_step(client, "sms")
    post_step(client, "sms", {"number": NUMBER})
    [(_kind, _number, token)] = sent()
    device = PhoneDevice.objects.get(user=user)
    assert crypto.stored_key_id(raw_key(device)) == ID1
    assert_no_secret(raw_key(device), device.key)
    assert_no_secret(dump("phonenumber"), device.key)

    response = post_step(client, "validation", {"token": token})
    assert response.status_code == 302 and response.url.endswith("/setup/complete/")
    assert fresh(device).confirmed
    assert_no_secret(raw_key(device), device.key)
    assert_no_secret(client.get("/account/two_factor/").content.decode(), device.key)
    assert client.get(SETUP).status_code == 302


def test_rotation_keeps_the_phone_working(settings, user):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    settings.OTP_ENCRYPTION_KEYS = [K2, K1]
    assert fresh(device).verify_token(phone_token(device))
    out = io.StringIO()
    call_command("otp_reencrypt", stdout=out)
    assert "phonenumber.phonedevice.key: 1 re-encrypted" in out.getvalue()
    assert crypto.stored_key_id(raw_key(device)) == ID2
    settings.OTP_ENCRYPTION_KEYS = [K2]
    assert fresh(device).verify_token(phone_token(device, offset=1))
    settings.OTP_ENCRYPTION_KEYS = [K3]
    with pytest.raises(ImproperlyConfigured, match="not in OTP_ENCRYPTION_KEYS"):
        fresh(device).key  # noqa: B018 (the row loads; its secret cannot be read)


def test_a_phone_under_a_dropped_key_refuses_tokens_and_sends_none(settings, user, caplog):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    token = phone_token(device)
    settings.OTP_ENCRYPTION_KEYS = [K2]
    loaded = fresh(device)
    with mock.patch("two_factor.gateways.send_sms") as send_sms:
        message = loaded.generate_challenge()
    send_sms.assert_not_called()
    assert "No token could be sent" in message
    assert loaded.verify_token(token) is False
    assert fresh(device).throttling_failure_count == 0
    logged = [r.getMessage() for r in caplog.records if r.name == "django_otp"]
    assert len(logged) == 2 and all(device.persistent_id in m for m in logged)


def test_a_plain_phone_key_is_encrypted_by_the_command_and_decrypted_back(settings, sms_device):
    assert raw_key(sms_device) == sms_device.key
    settings.OTP_ENCRYPTION_KEYS = [K1]
    assert fresh(sms_device).verify_token(phone_token(sms_device))
    call_command("otp_reencrypt", stdout=io.StringIO())
    assert crypto.stored_key_id(raw_key(sms_device)) == ID1
    call_command("otp_reencrypt", "--decrypt", stdout=io.StringIO())
    assert raw_key(sms_device) == sms_device.key


def test_the_column_holds_an_encrypted_key(settings, user):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    assert len(raw_key(device)) == crypto.stored_length(40) == declared_width(PhoneDevice) == 108
    assert PhoneDevice._meta.get_field("key").max_length == 40


@pytest.fixture
def admin_client(client, make_user, user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def test_admin_hides_the_phone_key_with_encryption_on(settings, admin_client, user):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    for url in ("/admin/phonenumber/phonedevice/", f"/admin/phonenumber/phonedevice/{device.pk}/change/"):
        page = admin_client.get(url)
        assert page.status_code == 200 and NUMBER.encode() in page.content
        assert_no_secret(page.content.decode(), device.key)
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = False
    page = admin_client.get(f"/admin/phonenumber/phonedevice/{device.pk}/change/")
    assert device.key.encode() in page.content


@override_settings(OTP_ENCRYPTION_KEYS=[K1], TWO_FACTOR_SMS_GATEWAY=FAKE)
class EncryptedPhoneConformance(test_models.PhoneConformance):
    def test_key_is_stored_encrypted(self):
        self.assertEqual(crypto.stored_key_id(raw_key(self.device)), ID1)
        self.assertEqual(fresh(self.device).key, self.device.key)
