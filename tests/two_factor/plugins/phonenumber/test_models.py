"""``PhoneDevice``: its columns, its tokens (single use), its cooldown and throttling."""

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from django_otp import test_utils
from django_otp.models import GenerateNotAllowed
from tests.django_otp.test_concurrency import reload, run_at_once
from two_factor.plugins.phonenumber.models import PhoneDevice

from .conftest import FAKE, MASKED, NOW, NOW_STEP, NUMBER, phone_token, step_token

pytestmark = pytest.mark.django_db


def test_columns_of_the_old_table_and_the_new_ones():
    with connection.cursor() as cursor:
        columns = {col.name for col in connection.introspection.get_table_description(
            cursor, "two_factor_phonedevice")}
    assert columns == {"id", "user_id", "name", "confirmed", "number", "key", "method",
                       "throttling_failure_timestamp", "throttling_failure_count",
                       "last_t", "last_generated_timestamp"}
    fields = {f.name: f for f in PhoneDevice._meta.get_fields() if f.concrete}
    assert fields["number"].max_length == 128 and fields["key"].max_length == 40
    assert fields["method"].max_length == 4 and dict(fields["method"].choices).keys() == {"call", "sms"}
    assert PhoneDevice._meta.db_table == "two_factor_phonedevice"
    assert PhoneDevice._meta.app_label == "phonenumber"
    assert type(fields["id"]).__name__ == "AutoField"


def test_defaults(user):
    device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    assert len(device.key) == 40 and int(device.key, 16) >= 0
    assert device.last_t == -1 and device.last_generated_timestamp is None
    assert device.persistent_id == f"phonenumber.phonedevice/{device.pk}"
    assert device.is_interactive()
    assert PhoneDevice.objects.get().number.as_e164 == NUMBER


def test_equal_by_number_method_and_key_as_the_old_phone_device(user):
    key = "ab" * 20
    first = PhoneDevice(number=NUMBER, method="sms", key=key)
    assert first == PhoneDevice(number=NUMBER, method="sms", key=key)  # unsaved ones too
    assert hash(first) == hash(PhoneDevice(number=NUMBER, method="sms", key=key))
    assert first != PhoneDevice(number=NUMBER, method="call", key=key)
    assert first != PhoneDevice(number="+31612345679", method="sms", key=key)
    assert first != PhoneDevice(number=NUMBER, method="sms", key="cd" * 20)
    assert first != object()
    saved = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
    assert saved == PhoneDevice.objects.get() and saved in {PhoneDevice.objects.get()}
    assert saved != PhoneDevice.objects.create(user=user, name="backup", number=NUMBER, method="sms")


def test_repr_is_the_old_one():
    device = PhoneDevice(number=NUMBER, method="sms")
    assert repr(device) == f"<PhoneDevice(number={device.number!r}, method='sms'>"


def test_key_must_be_hex(user):
    from django.core.exceptions import ValidationError

    device = PhoneDevice(user=user, name="default", number=NUMBER, method="sms", key="xyz")
    with pytest.raises(ValidationError) as error:
        device.full_clean()
    assert "key" in error.value.message_dict


def test_throttle_factor_from_the_setting(sms_device, settings):
    assert sms_device.get_throttle_factor() == 1
    settings.TWO_FACTOR_PHONE_THROTTLE_FACTOR = 5
    assert sms_device.get_throttle_factor() == 5


# Tokens

def test_current_step_token_verifies_once(sms_device):
    token = phone_token(sms_device)
    assert sms_device.verify_token(token)
    assert not sms_device.verify_token(token)
    assert not PhoneDevice.objects.get(pk=sms_device.pk).verify_token(token)


# The window: the 5 steps before now (a message that arrives or is typed late) and the next one
# (what current_token() sends when the current step was used).

def test_the_window_is_five_steps_back_and_one_ahead():
    assert (PhoneDevice.steps_back, PhoneDevice.steps_ahead) == (5, 1)


@pytest.mark.parametrize("offset", [-5, -4, -3, -2, -1, 0, 1])
def test_steps_in_the_window_are_accepted(sms_device, clock, offset):
    assert sms_device.verify_token(step_token(sms_device, NOW_STEP + offset))
    assert PhoneDevice.objects.get(pk=sms_device.pk).last_t == NOW_STEP + offset


@pytest.mark.parametrize("offset", [-7, -6, 2, 3])
def test_steps_beyond_the_window_are_refused(sms_device, clock, offset):
    assert not sms_device.verify_token(step_token(sms_device, NOW_STEP + offset))
    assert PhoneDevice.objects.get(pk=sms_device.pk).last_t == -1


@pytest.fixture
def unthrottled(settings):
    """No lock after a refused token: each refusal below is the window's or last_t's."""
    settings.TWO_FACTOR_PHONE_THROTTLE_FACTOR = 0


def test_the_window_follows_the_clock(sms_device, clock, unthrottled):
    late = step_token(sms_device, NOW_STEP)
    clock.now = NOW + 5 * 30
    assert not sms_device.verify_token(step_token(sms_device, NOW_STEP + 7))
    assert sms_device.verify_token(late)  # read 2.5 minutes after it was sent


def test_a_used_step_and_the_earlier_ones_are_refused(sms_device, clock, unthrottled):
    assert sms_device.verify_token(step_token(sms_device, NOW_STEP - 2))
    for device in (sms_device, PhoneDevice.objects.get(pk=sms_device.pk)):
        for offset in (-5, -4, -3, -2):
            assert not device.verify_token(step_token(device, NOW_STEP + offset)), offset
    assert sms_device.verify_token(step_token(sms_device, NOW_STEP - 1))  # a later step still works
    assert not sms_device.verify_token(step_token(sms_device, NOW_STEP - 1))


@pytest.mark.parametrize(("back", "ahead"), [(0, 0), (0, 1), (2, 2), (5, 0), (3, 2), (5, 1)])
def test_a_subclass_may_set_another_window(user, clock, back, ahead):
    for offset in range(-back - 2, ahead + 3):
        device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
        device.steps_back, device.steps_ahead = back, ahead
        accepted = device.verify_token(step_token(device, NOW_STEP + offset))
        assert accepted == (-back <= offset <= ahead), offset


def test_older_token_refused_after_a_newer_one(sms_device):
    older, newer = phone_token(sms_device, -1), phone_token(sms_device)
    assert sms_device.verify_token(newer)
    assert not sms_device.verify_token(older)


@pytest.mark.parametrize("token", ["", "abcdef", None, "12345", "1234567", "١٢٣٤٥٦", -1, 10**7])
def test_malformed_tokens_refused(sms_device, token):
    assert not sms_device.verify_token(token)


def test_digits_follow_the_setting(sms_device, settings):
    settings.TWO_FACTOR_TOTP_DIGITS = 8
    token = phone_token(sms_device)
    assert len(token) == 8 and sms_device.verify_token(token)


def test_stale_instances_accept_a_token_once(sms_device):
    first, second = (PhoneDevice.objects.get(pk=sms_device.pk) for _ in range(2))
    token = phone_token(sms_device)
    assert first.verify_token(token)
    assert not second.verify_token(token)  # its last_t is stale: the UPDATE decides


def test_the_token_sent_right_after_a_sign_in_verifies(sms_device, clock, sent, gateways):
    clock.now = NOW_STEP * 30 + 29.9  # the end of a step: the next token is of the next step
    assert sms_device.current_token() == step_token(sms_device, NOW_STEP)
    assert sms_device.verify_token(step_token(sms_device, NOW_STEP))  # the sign-in
    sms_device.generate_challenge()
    [(_kind, _number, token)] = sent()
    assert token == sms_device.current_token() == step_token(sms_device, NOW_STEP + 1)
    assert sms_device.verify_token(token)
    assert not sms_device.verify_token(token)


def test_token_sent_after_a_sign_in_in_the_same_step_still_works(sms_device, sent, gateways,
                                                                 clock):
    assert sms_device.verify_token(phone_token(sms_device))
    sms_device.generate_challenge()
    [(_kind, _number, token)] = sent()
    assert token != phone_token(sms_device)  # the current step is used up: the next one is sent
    assert sms_device.verify_token(token)


# Sending

def test_challenge_sends_a_text_message(sms_device, sent, gateways, clock):
    message = sms_device.generate_challenge()
    assert sent() == [("SMS", NUMBER, phone_token(sms_device))]
    assert MASKED in message and "text message" in message


def test_challenge_calls(call_device, sent, gateways, clock):
    message = call_device.generate_challenge()
    assert sent() == [("call", NUMBER, phone_token(call_device))]
    assert MASKED in message and "calling" in message


def test_cooldown_one_message_and_when_the_next_may_be_sent(sms_device, sent, gateways):
    sms_device.generate_challenge()
    message = PhoneDevice.objects.get(pk=sms_device.pk).generate_challenge()
    assert len(sent()) == 1
    next_at = timezone.localtime(sms_device.last_generated_timestamp + timedelta(seconds=60))
    assert "moments ago" in message and next_at.strftime("%H:%M:%S") in message
    allowed, info = PhoneDevice.objects.get(pk=sms_device.pk).generate_is_allowed()
    assert not allowed and info["reason"] == GenerateNotAllowed.COOLDOWN_DURATION_PENDING


def test_cooldown_expires(sms_device, sent, gateways):
    sms_device.generate_challenge()
    later = timezone.now() + timedelta(seconds=61)
    with test_utils.frozen_now(later):
        PhoneDevice.objects.get(pk=sms_device.pk).generate_challenge()
    assert len(sent()) == 2


def test_failed_delivery_does_not_start_the_cooldown(sms_device, gateways):
    with mock.patch("two_factor.gateways.fake.Fake.send_sms", side_effect=RuntimeError("down")):
        with pytest.raises(RuntimeError):
            sms_device.generate_challenge()
    assert PhoneDevice.objects.get(pk=sms_device.pk).last_generated_timestamp is None


def wrong_token(device):
    """A well-formed token that no step near now accepts."""
    near = {phone_token(device, offset) for offset in range(-6, 3)}
    return next(token for token in (f"{n:06d}" for n in range(10**6)) if token not in near)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRacesOnPostgres:
    def test_same_token_succeeds_once(self, user):
        device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
        token = phone_token(device)
        results = run_at_once(lambda mine: mine.verify_token(token), prepare=lambda i: reload(device))
        assert sum(results) == 1
        assert reload(device).last_t >= 0

    def test_concurrent_sends_send_one_message(self, user, gateways, sent):
        device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
        messages = run_at_once(lambda mine: mine.generate_challenge(), prepare=lambda i: reload(device))
        assert len(sent()) == 1
        assert sum("moments ago" in message for message in messages) == len(messages) - 1

    def test_concurrent_failures_are_all_counted(self, user):
        device = PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")
        wrong = wrong_token(device)
        results = run_at_once(lambda mine: mine.verify_token(wrong), prepare=lambda i: reload(device))
        assert not any(results)
        assert reload(device).throttling_failure_count == len(results)


# The conformance tests of django_otp for device plugins.

@override_settings(TWO_FACTOR_SMS_GATEWAY=FAKE)
class PhoneConformance(test_utils.ThrottlingTestMixin, test_utils.SingleUseTestMixin,
                       test_utils.TestCase):
    def setUp(self):
        self.user = self.create_user("alice", "password")
        self.device = PhoneDevice.objects.create(user=self.user, name="default", number=NUMBER,
                                                 method="sms")

    def valid_token(self):
        return phone_token(self.device)

    def invalid_token(self):
        return wrong_token(self.device)


def test_generation_time_is_used_for_the_cooldown(sms_device, gateways, sent):
    before = time.time()
    sms_device.generate_challenge()
    assert sms_device.last_generated_timestamp.timestamp() >= before - 1


def test_a_broken_key_verifies_nothing(sms_device):
    PhoneDevice.objects.filter(pk=sms_device.pk).update(key="not hex")
    device = PhoneDevice.objects.get(pk=sms_device.pk)
    assert not device.verify_token("123456")
    assert PhoneDevice.objects.get(pk=sms_device.pk).throttling_failure_count == 1
