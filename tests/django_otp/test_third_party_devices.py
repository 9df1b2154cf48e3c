"""Device plugins written for django-otp, on top of our ``django_otp``.

The models here are built the way third-party plugins build theirs (django-otp-twilio and
the like): a ``SideChannelDevice`` that throttles in its own ``verify_token``, and an old-style
device that reads, compares and ``save()``s. They live in an isolated app registry (so that no
other test sees them as installed devices), with their tables made for this module alone.
"""

import unittest
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone

from django_otp import test_utils
from django_otp.models import Device, SideChannelDevice, ThrottlingMixin, TimestampMixin

with isolate_apps("django_otp"):

    class SMSLikeDevice(ThrottlingMixin, SideChannelDevice):
        """The common third-party pattern: the base compares, the plugin throttles."""

        user = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "django_otp"

        def get_throttle_factor(self):
            return 1

        def generate_challenge(self):
            self.generate_token()
            return "sent"

        def verify_token(self, token):
            allowed, _info = self.verify_is_allowed()
            if not allowed:
                return False
            verified = super().verify_token(token)
            if verified:
                self.throttle_reset()
            else:
                self.throttle_increment()
            return verified

    class PlainSideChannelDevice(SideChannelDevice):
        user = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")

        class Meta:
            app_label = "django_otp"

    class CodeDevice(TimestampMixin, ThrottlingMixin, Device):
        """An old-style device: read, compare, ``save()`` (``claims_tokens_atomically`` False)."""

        user = models.ForeignKey(get_user_model(), on_delete=models.CASCADE, related_name="+")
        code = models.CharField(max_length=16, default="right")

        class Meta:
            app_label = "django_otp"

        def get_throttle_factor(self):
            return 1

        def verify_token(self, token):
            allowed, _info = self.verify_is_allowed()
            if not allowed:
                return False
            if token == self.code:
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
                return True
            self.throttle_increment()
            return False


MODELS = [SMSLikeDevice, PlainSideChannelDevice, CodeDevice]


@pytest.fixture(scope="module", autouse=True)
def _tables(django_db_setup, django_db_blocker):
    # Outside the tests' transactions: SQLite cannot change its schema inside one.
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            for model in MODELS:
                editor.create_model(model)
        yield
        with connection.schema_editor() as editor:
            for model in MODELS:
                editor.delete_model(model)


@pytest.fixture
def sms_device(user):
    device = SMSLikeDevice.objects.create(user=user, name="sms")
    device.generate_challenge()
    return device


def test_one_wrong_token_counts_one_failure(sms_device):
    assert sms_device.verify_token("wrong") is False
    assert sms_device.throttling_failure_count == 1
    sms_device.refresh_from_db()
    assert sms_device.throttling_failure_count == 1


def test_lock_after_one_failure_is_the_factor(sms_device):
    sms_device.verify_token("wrong")
    locked_until = sms_device.throttle_locked_until()
    assert locked_until == sms_device.throttling_failure_timestamp + timedelta(seconds=1)


def test_right_token_verifies_once(sms_device):
    token = sms_device.token
    assert sms_device.verify_token(token) is True
    assert sms_device.verify_token(token) is False
    assert SMSLikeDevice.objects.get(pk=sms_device.pk).token is None


def test_right_token_verifies_once_through_stale_instances(sms_device):
    token = sms_device.token
    first, second = (SMSLikeDevice.objects.get(pk=sms_device.pk) for _ in range(2))
    assert first.verify_token(token) is True
    assert second.verify_token(token) is False


def test_base_verify_token_does_not_throttle(user):
    # django-otp's base compared (and consumed) the token; a plugin decides about throttling.
    device = SMSLikeDevice.objects.create(user=user, name="sms", throttling_failure_count=5,
                                          throttling_failure_timestamp=timezone.now())
    device.generate_token()
    assert SideChannelDevice.verify_token(device, "wrong") is False
    assert SMSLikeDevice.objects.get(pk=device.pk).throttling_failure_count == 5
    assert SideChannelDevice.verify_token(device, device.token) is True


def test_side_channel_device_without_throttling(user):
    device = PlainSideChannelDevice.objects.create(user=user, name="plain")
    device.generate_token()
    token = device.token
    assert device.verify_token("wrong") is False
    assert device.verify_token(token) is True
    device.refresh_from_db()
    assert device.token is None


# The conformance mixins, run as a plugin's suite would run them.

class SMSLikeConformance(test_utils.ThrottlingTestMixin, test_utils.SingleUseTestMixin,
                         test_utils.TestCase):
    """An email-style plugin: ``valid_token()`` sends a token to ``self.device`` on demand."""

    def setUp(self):
        self.device = SMSLikeDevice.objects.create(user=self.create_user("alice", "pw"), name="s")

    def valid_token(self):
        if self.device.token is None:
            self.device.generate_token()
        return self.device.token

    def invalid_token(self):
        return "-1"


class CodeConformance(test_utils.ThrottlingTestMixin, test_utils.TimestampTestMixin,
                      test_utils.TestCase):
    """An old-style device: ``throttle_increment()`` saves the whole device, no F() + 1."""

    def setUp(self):
        self.device = CodeDevice.objects.create(user=self.create_user("alice", "pw"), name="c")

    def valid_token(self):
        return "right"

    def invalid_token(self):
        return "wrong"


def test_the_database_count_check_is_skipped_for_old_style_devices(db):
    case = CodeConformance("test_failures_are_counted_in_the_database")
    case.setUp()
    with pytest.raises(unittest.SkipTest, match="claims_tokens_atomically"):
        case.test_failures_are_counted_in_the_database()
