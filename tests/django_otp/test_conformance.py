"""The conformance mixins of ``django_otp.test_utils``, run on our own device plugins.

This is how a plugin author uses them: a ``TestCase`` that creates a device in ``setUp`` and
says how to make a valid and an invalid token; the mixins bring the tests.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from django_otp import test_utils
from django_otp.oath import hotp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.tests import TestCase as LegacyTestCase

from ..conftest import totp_now

ALL_BEHAVIOURS = (test_utils.ThrottlingTestMixin, test_utils.TimestampTestMixin,
                  test_utils.SingleUseTestMixin)


def _not_in(tokens, digits=6):
    """A well-formed token that is none of ``tokens``."""
    candidate = 0
    while f"{candidate:0{digits}d}" in tokens:
        candidate += 1
    return f"{candidate:0{digits}d}"


class TOTPConformance(*ALL_BEHAVIOURS, test_utils.TestCase):
    def setUp(self):
        user = self.create_user("alice", "password")
        self.device = TOTPDevice.objects.create(user=user, name="totp")

    def valid_token(self):
        return totp_now(self.fresh_device())

    def invalid_token(self):
        device = self.fresh_device()
        window = range(-device.tolerance - 1, device.tolerance + 2)
        return _not_in({totp_now(device, offset) for offset in window})


class HOTPConformance(*ALL_BEHAVIOURS, test_utils.TestCase):
    def setUp(self):
        user = self.create_user("alice", "password")
        self.device = HOTPDevice.objects.create(user=user, name="hotp")

    def _token(self, counter):
        return f"{hotp(self.device.bin_key, counter):06d}"

    def valid_token(self):
        return self._token(self.fresh_device().counter)

    def invalid_token(self):
        device = self.fresh_device()
        window = range(device.counter, device.counter + device.tolerance + 1)
        return _not_in({self._token(counter) for counter in window})


class StaticConformance(*ALL_BEHAVIOURS, test_utils.TestCase):
    def setUp(self):
        user = self.create_user("alice", "password")
        self.device = StaticDevice.objects.create(user=user, name="backup")

    def valid_token(self):
        return self.device.token_set.create(token=StaticToken.random_token()).token

    def invalid_token(self):
        return "not-a-token"


class EmailConformance(*ALL_BEHAVIOURS, test_utils.CooldownTestMixin, test_utils.TestCase):
    # The token that the email device accepts is stored up front, valid long enough for the
    # mixins' time travel (SMSLikeConformance, in test_third_party_devices, sends one instead).
    token = "424242"

    def setUp(self):
        user = self.create_user("alice", "password")
        self.device = EmailDevice.objects.create(
            user=user, name="email", token=self.token,
            valid_until=timezone.now() + timedelta(days=3650))

    def valid_token(self):
        return self.token

    def invalid_token(self):
        return "000000"


class LegacyImportPath(LegacyTestCase):
    """Third-party suites import ``TestCase`` from ``django_otp.tests``; it must keep working."""

    def test_is_the_test_utils_case(self):
        self.assertTrue(issubclass(LegacyTestCase, test_utils.TestCase))

    def test_create_user(self):
        user = self.create_user("carol", "s3cret-password", email="carol@example.com")
        user.refresh_from_db()
        self.assertEqual(user.get_username(), "carol")
        self.assertEqual(user.email, "carol@example.com")
        self.assertTrue(user.check_password("s3cret-password"))

    def test_conformance_mixins_are_exported(self):
        from django_otp import tests as legacy

        for name in ("ThrottlingTestMixin", "TimestampTestMixin", "CooldownTestMixin",
                     "TransactionTestCase", "OTPTestCaseMixin"):
            self.assertIs(getattr(legacy, name), getattr(test_utils, name))


# The mixins must catch a device that does not behave: run some against a misconfigured one.

def _case(case_class, method_name):
    case = case_class(method_name)
    case.setUp()
    return getattr(case, method_name)


def test_throttling_mixin_fails_when_throttling_is_off(db, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    with pytest.raises(AssertionError):
        _case(TOTPConformance, "test_delay_imposed_after_fail")()


def test_cooldown_mixin_fails_without_a_cooldown(db, settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 0
    with pytest.raises(AssertionError):
        _case(EmailConformance, "test_cooldown_imposed_after_generation")()
