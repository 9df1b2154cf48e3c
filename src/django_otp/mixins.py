"""Composable behaviour for devices: throttling, generation cooldown, timestamps.

Each mixin is an abstract model placed before ``Device`` in a device's bases. They cooperate
through ``_success_values()``: the columns that a successful verification writes, in the same
conditional UPDATE that claims the token.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .enums import GenerateNotAllowed, VerifyNotAllowed

if TYPE_CHECKING:
    # A mixin comes before Device in a device's bases, and extends Device's hooks through
    # super(): checked as the Device it always ends up part of.
    from .models import Device as _MixinBase
else:
    _MixinBase = models.Model

# 2**30 seconds is over 34 years: a larger exponent protects nothing and risks overflow.
MAX_THROTTLE_EXPONENT = 30


def throttle_delay(failure_count: int, factor: float) -> timedelta:
    """How long verification stays locked after ``failure_count`` failures."""
    if failure_count <= 0 or factor <= 0:
        return timedelta(0)
    exponent = min(failure_count - 1, MAX_THROTTLE_EXPONENT)
    return timedelta(seconds=factor * (2**exponent))


def commit_fields(device: models.Model, **values: Any) -> None:
    """Write ``values``, already set on ``device``, for a ``commit=True``.

    Our devices get one UPDATE of those columns alone, so that concurrent writes to the others
    (a claimed token, a counted failure) are not undone. A device that is not saved yet is
    inserted (``generate_token()`` saves a new device, as django-otp's did); a device written
    for django-otp (``claims_tokens_atomically`` False) is saved whole, as django-otp did,
    because it may rely on that to store what else it changed.
    """
    if device.pk is None or not getattr(device, "claims_tokens_atomically", False):
        device.save()
    else:
        type(device)._base_manager.filter(pk=device.pk).update(**values)


def commit_state(device: models.Model, **values: Any) -> None:
    """``commit_fields`` for the state the mixins keep (throttling, cooldown, last use).

    A device that is not saved yet has no row to update, and verifying or throttling one must
    not create it (a refused token of a device being set up, or one with no user yet): its
    state stays on the instance, and is stored if and when the device is saved.
    """
    if device.pk is not None:
        commit_fields(device, **values)


class ThrottlingMixin(_MixinBase):
    """Exponential back-off after failed verifications: ``factor * 2**(n-1)`` seconds."""

    throttling_failure_timestamp = models.DateTimeField(
        null=True, blank=True, default=None,
        help_text=_("A timestamp of the last failed verification attempt. "
                    "Null if last attempt succeeded."))
    throttling_failure_count = models.PositiveIntegerField(
        default=0, help_text=_("Number of successive failed attempts."))

    class Meta:
        abstract = True

    def get_throttle_factor(self) -> float:
        """Seconds of delay after the first failure; 0 turns throttling off."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_throttle_factor()")

    @property
    def throttling_enabled(self) -> bool:
        return self.get_throttle_factor() > 0

    def throttle_free_failures(self) -> int:
        """Failures that cost no wait: one for a device being set up (not confirmed yet), so
        that a mistyped first token does not hold back the right one a second later; none for
        a device that signs in. The back-off doubles from there as usual."""
        return 0 if getattr(self, "confirmed", True) else 1

    def throttle_locked_until(self) -> datetime | None:
        # An unsaved device is not locked: its failures have no row to outlive this instance
        # (they are counted on it, and stored if it is saved).
        if self.throttling_failure_timestamp is None or self.pk is None:
            return None
        counted = self.throttling_failure_count - self.throttle_free_failures()
        delay = throttle_delay(counted, self.get_throttle_factor())
        if not delay:
            return None
        return self.throttling_failure_timestamp + delay

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        locked_until = self.throttle_locked_until()
        if locked_until is not None and timezone.now() < locked_until:
            return False, {
                "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                "failure_count": self.throttling_failure_count,
                "locked_until": locked_until,
            }
        return super().verify_is_allowed()

    def throttle_reset(self, commit: bool = True) -> None:
        self.throttling_failure_timestamp = None
        self.throttling_failure_count = 0
        if commit:
            commit_state(self, throttling_failure_timestamp=None, throttling_failure_count=0)

    def throttle_increment(self, commit: bool = True) -> None:
        """Count one failure. Committed as ``count = count + 1`` so none is lost to a race."""
        now = timezone.now()
        self.throttling_failure_timestamp = now
        self.throttling_failure_count += 1
        if commit:
            commit_state(self, throttling_failure_timestamp=now,
                         throttling_failure_count=F("throttling_failure_count") + 1)

    def _success_values(self) -> dict[str, Any]:
        values = super()._success_values()
        values.update(throttling_failure_timestamp=None, throttling_failure_count=0)
        return values

    def _record_failure(self) -> None:
        self.throttle_increment()
        super()._record_failure()

    # Guesses sent at once all pass ``verify_is_allowed()`` on the state they loaded, before
    # any of them counts its failure. So a right token is claimed only while the row's failure
    # count is still the one this instance saw: once a concurrent guess has failed, the
    # throttle is read again from the row, and a burst of guesses is worth about one. (With
    # throttling off, failures are still counted: the guard is the same, and the retry finds
    # no lock.)

    def _claim_guard(self) -> dict[str, Any]:
        return {**super()._claim_guard(), "throttling_failure_count": self.throttling_failure_count}

    def _retry_claim(self) -> bool:
        row = (type(self)._base_manager.filter(pk=self.pk)
               .values_list("throttling_failure_count", "throttling_failure_timestamp").first())
        if row is None or row[0] == self.throttling_failure_count:
            return super()._retry_claim()  # the guard held: the token's own condition failed
        self.throttling_failure_count, self.throttling_failure_timestamp = row
        locked_until = self.throttle_locked_until()
        return locked_until is None or timezone.now() >= locked_until


class CooldownMixin(_MixinBase):
    """A minimum pause between two generated challenges (for side-channel devices)."""

    last_generated_timestamp = models.DateTimeField(
        null=True, blank=True, help_text=_("The last time a token was generated for this device."))

    class Meta:
        abstract = True

    def get_cooldown_duration(self) -> float:
        """Seconds that must pass between two generations; 0 turns the cooldown off."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_cooldown_duration()")

    @property
    def cooldown_enabled(self) -> bool:
        return self.get_cooldown_duration() > 0

    def next_generation_at(self) -> datetime | None:
        duration = self.get_cooldown_duration()
        if not duration or self.last_generated_timestamp is None:
            return None
        return self.last_generated_timestamp + timedelta(seconds=duration)

    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        next_at = self.next_generation_at()
        if next_at is not None and timezone.now() < next_at:
            return False, {
                "reason": GenerateNotAllowed.COOLDOWN_DURATION_PENDING,
                "next_generation_at": next_at,
            }
        return super().generate_is_allowed()

    def cooldown_claim(self) -> bool:
        """Start a cooldown if none is running; False when another request got there first.

        One conditional UPDATE, so concurrent "send me a code" requests send one message. A
        device that is not saved yet has no row to claim on and no earlier token: the cooldown
        starts on the instance (and is stored with it when ``generate_token()`` saves it).
        """
        now = timezone.now()
        if self.pk is None:
            next_at = self.next_generation_at()
            if next_at is not None and now < next_at:
                return False
            self.last_generated_timestamp = now
            return True
        duration = self.get_cooldown_duration()
        rows = type(self)._base_manager.filter(pk=self.pk)
        if duration:
            rows = rows.filter(models.Q(last_generated_timestamp__isnull=True)
                               | models.Q(last_generated_timestamp__lte=now - timedelta(seconds=duration)))
        claimed = rows.update(last_generated_timestamp=now) == 1
        if claimed:
            self.last_generated_timestamp = now
        return claimed

    def _success_values(self) -> dict[str, Any]:
        # A used token protects nothing: the next sign-in may have a new one sent at once.
        values = super()._success_values()
        values["last_generated_timestamp"] = None
        return values

    def cooldown_set(self, commit: bool = True) -> None:
        self.last_generated_timestamp = timezone.now()
        if commit:
            commit_state(self, last_generated_timestamp=self.last_generated_timestamp)

    def cooldown_reset(self, commit: bool = True) -> None:
        self.last_generated_timestamp = None
        if commit:
            commit_state(self, last_generated_timestamp=None)


class TimestampMixin(_MixinBase):
    """When a device was created and last used."""

    created_at = models.DateTimeField(
        null=True, blank=True, auto_now_add=True,
        help_text=_("The date and time when this device was initially created in the system."))
    last_used_at = models.DateTimeField(
        null=True, blank=True,
        help_text=_("The most recent date and time this device was used."))

    class Meta:
        abstract = True

    def set_last_used_timestamp(self, commit: bool = True) -> None:
        self.last_used_at = timezone.now()
        if commit:
            commit_state(self, last_used_at=self.last_used_at)

    def _success_values(self) -> dict[str, Any]:
        values = super()._success_values()
        values["last_used_at"] = timezone.now()
        return values
