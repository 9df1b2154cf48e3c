"""The device framework: the abstract ``Device`` that every OTP device model extends.

A token is accepted once: a device checks a token in Python, then claims it with one
conditional UPDATE (or DELETE) whose row count says whether this request won (``_claim``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _

from . import crypto
from .claim import claim
from .enums import GenerateNotAllowed, VerifyNotAllowed
from .fetch import fetch_by_pk
from .mixins import CooldownMixin, ThrottlingMixin, TimestampMixin
from .util import random_number_token

if TYPE_CHECKING:
    from django.db.models import Q, QuerySet

__all__ = [
    "Device", "DeviceManager", "SideChannelDevice", "ThrottlingMixin", "CooldownMixin",
    "TimestampMixin", "GenerateNotAllowed", "VerifyNotAllowed",
]

logger = logging.getLogger("django_otp")


_DeviceT = TypeVar("_DeviceT", bound="Device")


class DeviceManager(models.Manager[_DeviceT]):
    def devices_for_user(self, user: Any, confirmed: bool | None = None) -> QuerySet:
        """This model's devices of ``user``; ``confirmed`` None means all of them."""
        devices = self.model.objects.filter(user=user)
        if confirmed is not None:
            devices = devices.filter(confirmed=bool(confirmed))
        return devices


def _stub(method):
    """Mark a default implementation, so that ``is_interactive()`` can tell it was not overridden."""
    method.stub = True
    return method


class Device(models.Model):
    """The base of every OTP device: a user's named, possibly unconfirmed, token verifier."""

    user = models.ForeignKey(
        getattr(django_settings, "AUTH_USER_MODEL", "auth.User"),
        on_delete=models.CASCADE, help_text=_("The user that this device belongs to."))
    name = models.CharField(max_length=64, help_text=_("The human-readable name of this device."))
    confirmed = models.BooleanField(default=True, help_text=_("Is this device ready for use?"))

    objects = DeviceManager()

    # Our devices claim every token with a conditional UPDATE, so they are safe without a row
    # lock; a third-party device that reads, checks and save()s gets one from verify_token().
    claims_tokens_atomically = False

    class Meta:
        abstract = True

    def __str__(self) -> str:
        # Without a user (not set yet, or deleted under it) a device still has a name to show.
        try:
            user = self.user
        except ObjectDoesNotExist:
            user = None
        return f"{self.name} ({user})"

    @property
    def persistent_id(self) -> str:
        """``app_label.modelname/pk``: names any device of any installed model."""
        return f"{self.model_label()}/{self.pk}"

    @classmethod
    def model_label(cls) -> str:
        return f"{cls._meta.app_label}.{cls._meta.model_name}"

    @classmethod
    def from_persistent_id(cls, persistent_id: str, for_verify: bool = False) -> Device | None:
        """The device named by ``persistent_id``, or None if it does not parse or exist.

        ``for_verify`` locks the row (inside a transaction) for devices that need it.
        """
        found = _parse_persistent_id(persistent_id)
        if found is None:
            return None
        model, pk = found
        if for_verify and not model.claims_tokens_atomically:
            return model._default_manager.filter(pk=pk).select_for_update().first()
        return fetch_by_pk(model, pk)

    @classmethod
    async def afrom_persistent_id(cls, persistent_id: str, for_verify: bool = False) -> Device | None:
        """``from_persistent_id`` in async code. ``for_verify`` locks nothing here: a lock
        cannot outlive the call, so a device that must be verified on its locked row is
        verified in sync code, in one transaction (``django_otp.verify_token``)."""
        found = _parse_persistent_id(persistent_id)
        if found is None:
            return None
        model, pk = found
        return await model._default_manager.filter(pk=pk).afirst()

    def is_interactive(self) -> bool:
        """Whether this device must be asked for a challenge before it can verify."""
        return not hasattr(self.generate_challenge, "stub")

    def generate_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        return True, None

    @_stub
    def generate_challenge(self) -> str | None:
        """Send or display a challenge; returns a message for the user, or None."""
        return None

    def verify_is_allowed(self) -> tuple[bool, dict[str, Any] | None]:
        return True, None

    def verify_token(self, token: Any) -> bool:
        """Whether ``token`` is valid for this device; a valid token is consumed."""
        return False

    # The single-use machinery shared by every device of ours.

    def _success_values(self) -> dict[str, Any]:
        """Columns a successful verification writes (the mixins add theirs)."""
        return {}

    def _record_failure(self) -> None:
        """Hook run after a failed verification (the throttling mixin counts it)."""

    def _claim_guard(self) -> dict[str, Any]:
        """Column values that must still be in the row for a claim to win, besides the token's
        own condition (the throttling mixin's: no failure counted since this instance loaded)."""
        return {}

    def _retry_claim(self) -> bool:
        """After a claim that updated no row: whether it failed only on ``_claim_guard`` and
        the row, read again onto this instance, still lets the token be used."""
        return False

    def _refuse_undecryptable(self, error: crypto.DecryptionError) -> bool:
        """What ``verify_token`` answers when this device's secret cannot be decrypted (and what
        a challenge does before it tells the user so): False, with an error logged for the
        site's operators (the message of ``error`` names the key id and the column, never a
        key, the secret or its ciphertext).

        Not a throttling failure (``_record_failure`` is not called): no token was checked, so
        the user guessed nothing, and counting would lock the device out for longer still once
        the key is back. Nor an exception: a sign-in answers "invalid token", not a 500.
        """
        logger.error("Device %s cannot be used: its secret cannot be decrypted with the "
                     "configured keys (OTP_ENCRYPTION_KEYS). %s", self.persistent_id, error)
        return False

    def _claim(self, condition: Q, **values: Any) -> bool:
        """Write ``values`` if ``condition`` still holds for this row; True if this call won.

        A device that is not saved yet has no row and nothing to claim (no other request can
        know this instance): the values are set on it, and stored if and when it is saved. So
        a device is built, its first token verified, and then saved, as with django-otp.
        """
        values = {**self._success_values(), **values}
        if self.pk is None:
            for name, value in values.items():
                setattr(self, name, value)
            return True
        for _attempt in range(2):  # one retry, for an instance whose throttle state was stale
            guard = self._claim_guard()
            rows = claim(self, condition, values, guard)
            if rows is None:  # a shape claim.py does not compile: the ORM builds the statement
                rows = type(self)._base_manager.filter(condition, pk=self.pk, **guard).update(**values)
            if rows == 1:
                for name, value in values.items():
                    setattr(self, name, value)
                return True
            if not self._retry_claim():
                return False
        return False


def _parse_persistent_id(persistent_id: object) -> tuple[type[Device], int] | None:
    if not isinstance(persistent_id, str) or persistent_id.count("/") != 1:
        return None
    label, _sep, pk_text = persistent_id.partition("/")
    if not pk_text.isascii() or not pk_text.isdigit() or len(pk_text) > 18:
        return None
    model = _device_model(label)
    if model is None:
        return None
    return model, int(pk_text)


def _device_model(label: str) -> type[Device] | None:
    """The device model for ``app_label.modelname``, or a legacy ``module.ClassName``."""
    model: Any = None
    if label.count(".") == 1:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            model = None
    else:
        module, _dot, class_name = label.rpartition(".")
        model = next((m for m in apps.get_models()
                      if m.__module__ == module and m.__name__ == class_name), None)
    if model is None or not issubclass(model, Device) or model._meta.abstract:
        return None
    return model


class SideChannelDevice(Device):
    """A device that delivers a random token through another channel (email, SMS, voice)."""

    token = models.CharField(max_length=16, blank=True, null=True)
    valid_until = models.DateTimeField(
        default=timezone.now,
        help_text=_("The timestamp of the moment of expiry of the saved token."))

    claims_tokens_atomically = True

    class Meta:
        abstract = True

    def generate_token(self, length: int = 6, valid_secs: int = 300, commit: bool = True) -> None:
        self.token = random_number_token(length)
        self.valid_until = timezone.now() + timedelta(seconds=valid_secs)
        if commit:
            self.save()

    def verify_token(self, token: Any) -> bool:
        """Whether ``token`` is the one sent and still valid; a valid token is cleared.

        As in django-otp, this base neither throttles nor asks ``verify_is_allowed()``: a
        subclass that mixes in ``ThrottlingMixin`` does that in its own ``verify_token`` (and
        counts its failures there, once), as ``EmailDevice`` does.
        """
        now = timezone.now()
        return self._token_matches(token, now) and self._consume_token(now)

    def _token_matches(self, token: Any, now: datetime) -> bool:
        """Whether ``token`` is the token stored on this instance, unexpired at ``now``."""
        stored = self.token
        return bool(stored and isinstance(token, str | int) and now < self.valid_until
                    and constant_time_compare(str(token).strip(), stored))

    def _consume_token(self, now: datetime) -> bool:
        """Clear the matched token in the statement that checks it is still there; False when
        another request used it first (a lost race, not a wrong guess)."""
        return self._claim(models.Q(token=self.token, valid_until__gt=now),
                           token=None, valid_until=now)
