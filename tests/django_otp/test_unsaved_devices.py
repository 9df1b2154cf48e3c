"""Verifying a device that is not saved yet never writes it to the database.

A refused token counts as a throttling failure on the instance (there is no row to update);
it must not insert a row (a confirmed device the user never set up), nor fail on the missing
user with an IntegrityError.
"""

import pytest

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import DeviceValidationForm
from two_factor.plugins.phonenumber.models import PhoneDevice

NUMBER = "+31612345658"


def unsaved(model, user):
    extra = {"number": NUMBER, "method": "sms"} if model is PhoneDevice else {}
    return model(user=user, name="new", **extra)


DEVICES = [TOTPDevice, HOTPDevice, EmailDevice, PhoneDevice]


@pytest.mark.parametrize("model", DEVICES)
def test_wrong_token_of_an_unsaved_device(user, model):
    device = unsaved(model, user)
    assert device.verify_token("000000") is False
    assert device.pk is None
    assert not model.objects.exists()
    assert device.throttling_failure_count == 1
    assert device.throttling_failure_timestamp is not None


@pytest.mark.parametrize("model", DEVICES)
def test_wrong_token_of_an_unsaved_device_without_a_user(db, model):
    device = unsaved(model, None)
    assert device.verify_token("000000") is False
    assert device.throttling_failure_count == 1
    assert device.verify_token("000000") is False  # throttled now, still without a row
    assert device.pk is None
    assert not model.objects.exists()


def test_unsaved_device_is_throttled_in_memory(user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = TOTPDevice(user=user, name="new")
    device.verify_token("000000")
    allowed, info = device.verify_is_allowed()
    assert not allowed and info["failure_count"] == 1
    assert not TOTPDevice.objects.exists()


def test_device_validation_form_creates_no_phone(user):
    # The audit's case: two_factor's setup form with an unsaved phone and a wrong token.
    form = DeviceValidationForm(device=PhoneDevice(user=user, number=NUMBER, method="sms"),
                                data={"token": "000000"})
    assert not form.is_valid()
    assert "token" in form.errors
    assert not PhoneDevice.objects.exists()


def test_device_validation_form_without_a_user_is_a_form_error(db):
    form = DeviceValidationForm(device=PhoneDevice(number=NUMBER, method="sms"),
                                data={"token": "000000"})
    assert not form.is_valid()
    assert not PhoneDevice.objects.exists()


class BrokenGateway:
    def send_sms(self, device, token):
        raise OSError("gateway down")

    make_call = send_sms


def test_failed_challenge_of_an_unsaved_phone_creates_no_row(user, settings):
    # The send fails, so the device resets its cooldown: on the instance, not by inserting it.
    settings.TWO_FACTOR_SMS_GATEWAY = BrokenGateway
    device = PhoneDevice(user=user, number=NUMBER, method="sms")
    with pytest.raises(OSError, match="gateway down"):
        device.generate_challenge()
    assert device.pk is None
    assert device.last_generated_timestamp is None
    assert not PhoneDevice.objects.exists()


def test_cooldown_claim_of_an_unsaved_device_stays_on_the_instance(user, settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    device = EmailDevice(user=user, name="new")
    assert device.cooldown_claim() is True
    assert device.last_generated_timestamp is not None
    assert device.cooldown_claim() is False  # the cooldown runs on the instance
    assert not EmailDevice.objects.exists()


def test_challenge_of_an_unsaved_email_device_still_saves_it_with_its_cooldown(user, settings):
    # As django-otp did: generate_token() saves a new email device, with the cooldown started.
    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    device = EmailDevice(user=user, name="new")
    assert device.generate_challenge() == "sent by email"
    stored = EmailDevice.objects.get(pk=device.pk)
    assert stored.token == device.token
    assert stored.last_generated_timestamp == device.last_generated_timestamp is not None
