"""Verifying a device that is not saved yet never writes it to the database.

A refused token counts as a throttling failure on the instance (there is no row to update);
it must not insert a row (a confirmed device the user never set up), nor fail on the missing
user with an IntegrityError. A right token is accepted, as django-otp accepted it (build the
device, verify its first token, then save it): what it used is kept on the instance, and
stored with it by ``save()``.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import DeviceValidationForm
from two_factor.plugins.phonenumber.models import PhoneDevice

from ..conftest import hotp_at, totp_now

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


def test_unsaved_device_counts_failures_but_is_not_locked(user, settings):
    # As django-two-factor-auth's phone tests: wrong tokens, then the right one, on an unsaved
    # device. The count is kept on the instance and locks the device once it is saved.
    settings.OTP_TOTP_THROTTLE_FACTOR = 60
    device = TOTPDevice(user=user, name="new")
    near = {totp_now(device, offset) for offset in (-1, 0, 1)}
    wrong = next(token for token in ("000000", "111111", "222222") if token not in near)
    assert not device.verify_token(wrong) and not device.verify_token(wrong)
    assert device.throttling_failure_count == 2 and device.verify_is_allowed() == (True, None)
    assert not TOTPDevice.objects.exists()
    device.save()
    allowed, info = device.verify_is_allowed()
    assert not allowed and info["failure_count"] == 2
    device.throttle_reset()
    assert device.verify_token(totp_now(device))


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


def _right_token(device):
    if isinstance(device, TOTPDevice):
        return totp_now(device)
    if isinstance(device, HOTPDevice):
        return hotp_at(device)
    if isinstance(device, PhoneDevice):
        return device.current_token()
    device.token, device.valid_until = "123456", timezone.now() + timedelta(minutes=5)
    return device.token


@pytest.mark.parametrize("model", DEVICES)
def test_right_token_of_an_unsaved_device(user, model, django_assert_num_queries):
    device = unsaved(model, user)
    token = _right_token(device)
    with django_assert_num_queries(0):
        assert device.verify_token(token) is True
    assert device.pk is None
    assert not model.objects.exists()
    assert device.throttling_failure_count == 0


@pytest.mark.parametrize("model", DEVICES)
def test_right_token_of_an_unsaved_device_is_used_once_it_is_saved(user, model):
    device = unsaved(model, user)
    token = _right_token(device)
    assert device.verify_token(token) is True
    device.save()
    assert device.verify_token(token) is False
    assert model.objects.get(pk=device.pk).verify_token(token) is False


def test_unsaved_totp_keeps_the_step_it_used(user):
    device = TOTPDevice(user=user, name="new")
    token = totp_now(device)
    assert device.verify_token(token) is True
    assert device.last_t > -1
    assert device.last_used_at is not None
    device.save()
    assert TOTPDevice.objects.get(pk=device.pk).last_t == device.last_t


def test_unsaved_hotp_advances_its_counter(user):
    device = HOTPDevice(user=user, name="new")
    token = hotp_at(device)
    assert device.verify_token(token) is True
    assert device.counter == 1
    device.save()
    assert HOTPDevice.objects.get(pk=device.pk).counter == 1


def test_unsaved_email_device_clears_its_token(user):
    device = EmailDevice(user=user, name="new")
    token = _right_token(device)
    assert device.verify_token(token) is True
    assert device.token is None
    assert device.verify_token(token) is False
