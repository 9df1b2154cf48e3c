"""Test helpers for django_otp and for the authors of device plugins.

``ThrottlingTestMixin``, ``TimestampTestMixin`` and ``CooldownTestMixin`` are conformance tests:
mix one into your plugin's ``TestCase``, set ``self.device`` in ``setUp`` and implement the
token methods; the mixin's tests then check that behaviour of your device. ``TestThread`` runs
a concurrent request in a concurrency test (in a ``TransactionTestCase``).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import connections
from django.test import TestCase as DjangoTestCase
from django.test import TransactionTestCase as DjangoTransactionTestCase
from django.utils import timezone

if TYPE_CHECKING:
    # The mixins are mixed into test cases: checked as one.
    from unittest import TestCase as _TestCaseBase
else:
    _TestCaseBase = object

__all__ = [
    "OTPTestCaseMixin", "TestCase", "TransactionTestCase", "ThrottlingTestMixin",
    "TimestampTestMixin", "CooldownTestMixin", "SingleUseTestMixin", "TestThread", "frozen_now",
]


class OTPTestCaseMixin(_TestCaseBase):
    """``create_user()`` for any user model, and the model as ``cls.User`` (with its
    ``cls.USERNAME_FIELD``), as django-otp's test case had them."""

    User: Any
    USERNAME_FIELD: str

    @classmethod
    def setUpClass(cls) -> None:
        # Set before the rest of the class set-up, so that setUpTestData() can use them too.
        cls.User = get_user_model()
        cls.USERNAME_FIELD = cls.User.USERNAME_FIELD
        super().setUpClass()

    def create_user(self, username: str, password: str, **kwargs: Any) -> Any:
        user_model = get_user_model()
        kwargs[user_model.USERNAME_FIELD] = username
        return user_model._default_manager.create_user(password=password, **kwargs)


class TestCase(OTPTestCaseMixin, DjangoTestCase):
    pass


class TransactionTestCase(OTPTestCaseMixin, DjangoTransactionTestCase):
    pass


class TestThread(threading.Thread):
    """A thread for concurrency tests: it closes its own database connections when its target
    is done (Django opens one per thread, and a test database cannot be dropped while one of
    them is still open)."""

    __test__ = False  # not a test class for pytest, despite its name

    def run(self) -> None:
        try:
            super().run()
        finally:
            connections.close_all()


def frozen_now(moment: Any):
    """Patch ``django.utils.timezone.now`` to return ``moment``."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


class _DeviceTestMixin(_TestCaseBase):
    device: Any

    def valid_token(self) -> Any:
        """A token that the device accepts now (a new one on each call, where that matters)."""
        raise NotImplementedError

    def invalid_token(self) -> Any:
        raise NotImplementedError

    def fresh_device(self) -> Any:
        return type(self.device)._base_manager.get(pk=self.device.pk)


class ThrottlingTestMixin(_DeviceTestMixin):
    """Failures lock verification for ``factor * 2**(n-1)`` seconds; success resets it."""

    def test_delay_imposed_after_fail(self) -> None:
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        self.assertFalse(self.device.verify_token(self.valid_token()))  # locked
        allowed, info = self.fresh_device().verify_is_allowed()
        self.assertFalse(allowed)
        self.assertEqual(info["failure_count"], 1)

    def test_delay_grows_exponentially(self) -> None:
        start = timezone.now()
        factor = self.device.get_throttle_factor()
        for failures in (1, 2, 3):
            with frozen_now(start + timedelta(seconds=10**6 * failures)):
                self.assertFalse(self.device.verify_token(self.invalid_token()))
            moment = self.device.throttling_failure_timestamp
            delay = factor * 2 ** (failures - 1)
            with frozen_now(moment + timedelta(seconds=delay) - timedelta(milliseconds=1)):
                self.assertFalse(self.fresh_device().verify_is_allowed()[0])
            with frozen_now(moment + timedelta(seconds=delay)):
                self.assertTrue(self.fresh_device().verify_is_allowed()[0])

    def test_delay_expires(self) -> None:
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        later = timezone.now() + timedelta(seconds=self.device.get_throttle_factor() + 1)
        with frozen_now(later):
            self.assertTrue(self.fresh_device().verify_is_allowed()[0])

    def test_success_resets_throttle(self) -> None:
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        later = timezone.now() + timedelta(seconds=self.device.get_throttle_factor() + 1)
        with frozen_now(later):
            # The token first: a plugin's valid_token() may generate it on self.device.
            token = self.valid_token()
            device = self.fresh_device()
            self.assertTrue(device.verify_token(token))
        device = self.fresh_device()
        self.assertEqual(device.throttling_failure_count, 0)
        self.assertIsNone(device.throttling_failure_timestamp)

    def test_failures_are_counted_in_the_database(self) -> None:
        """Failures counted by stale instances all count (``F() + 1``): devices that claim
        their tokens atomically only; an old-style device saves its count with the device."""
        if not getattr(type(self.device), "claims_tokens_atomically", False):
            self.skipTest(f"{type(self.device).__name__} does not claim tokens atomically "
                          "(claims_tokens_atomically is False): its failures are saved with "
                          "the device, not counted with F() + 1")
        for _ in range(3):
            self.device.throttle_reset(commit=False)  # in memory only: the lock is not read
            self.device.throttling_failure_count = 0
            self.device.verify_token(self.invalid_token())
        self.assertEqual(self.fresh_device().throttling_failure_count, 3)

    def test_huge_failure_count_does_not_overflow(self) -> None:
        self.device.throttling_failure_count = 10**9
        self.device.throttling_failure_timestamp = timezone.now()
        allowed, info = self.device.verify_is_allowed()
        self.assertFalse(allowed)
        self.assertEqual(info["failure_count"], 10**9)


class TimestampTestMixin(_DeviceTestMixin):
    """``created_at`` is set on creation, ``last_used_at`` on each success only."""

    def test_created_at_set(self) -> None:
        self.assertIsNotNone(self.fresh_device().created_at)

    def test_last_used_at_set_on_success(self) -> None:
        self.assertIsNone(self.fresh_device().last_used_at)
        self.assertTrue(self.device.verify_token(self.valid_token()))
        self.assertIsNotNone(self.fresh_device().last_used_at)

    def test_last_used_at_unchanged_on_failure(self) -> None:
        self.assertFalse(self.device.verify_token(self.invalid_token()))
        self.assertIsNone(self.fresh_device().last_used_at)


class SingleUseTestMixin(_DeviceTestMixin):
    """A token that verified once never verifies again, even through a stale instance."""

    def test_token_accepted_once(self) -> None:
        token = self.valid_token()
        stale = self.fresh_device()
        self.assertTrue(self.device.verify_token(token))
        self.assertFalse(self.fresh_device().verify_token(token))
        self.assertFalse(stale.verify_token(token))


class CooldownTestMixin(_DeviceTestMixin):
    """After a challenge, the next one waits ``get_cooldown_duration()`` seconds."""

    def test_generate_is_allowed_on_first_try(self) -> None:
        self.assertTrue(self.device.generate_is_allowed()[0])

    def test_cooldown_imposed_after_generation(self) -> None:
        self.device.generate_challenge()
        allowed, info = self.fresh_device().generate_is_allowed()
        self.assertFalse(allowed)
        self.assertIn("next_generation_at", info)

    def test_cooldown_expires(self) -> None:
        self.device.generate_challenge()
        later = timezone.now() + timedelta(seconds=self.device.get_cooldown_duration() + 1)
        with frozen_now(later):
            self.assertTrue(self.fresh_device().generate_is_allowed()[0])

    def test_cooldown_reset(self) -> None:
        self.device.generate_challenge()
        self.device.cooldown_reset()
        self.assertTrue(self.fresh_device().generate_is_allowed()[0])

    def test_stale_instances_generate_once(self) -> None:
        first, second = self.fresh_device(), self.fresh_device()
        first.generate_challenge()
        token = self.fresh_device().token
        second.generate_challenge()
        self.assertEqual(self.fresh_device().token, token)
