"""Time-based one-time passwords (RFC 6238): authenticator apps."""

from __future__ import annotations

import time
from binascii import unhexlify
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_otp import crypto
from django_otp.conf import settings
from django_otp.fields import SecretField
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP
from django_otp.util import hex_validator, otpauth_url, parse_numeric_token, random_hex


def default_key() -> str:
    return random_hex(20)


def key_validator(value: str) -> None:
    return hex_validator()(value)


def _setting_for(device: Device, value: Any) -> Any:
    return value(device) if callable(value) else value


class TOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A generic TOTP device; the fields are the arguments of ``django_otp.oath.totp``."""

    key = SecretField(
        max_length=80, validators=[key_validator], default=default_key,
        help_text=_("A hex-encoded secret key of up to 40 bytes."))
    step = models.PositiveSmallIntegerField(default=30, help_text=_("The time step in seconds."))
    t0 = models.BigIntegerField(default=0, help_text=_("The Unix time at which to begin counting steps."))
    digits = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6, help_text=_("The number of digits to expect in a token."))
    tolerance = models.PositiveSmallIntegerField(
        default=1, help_text=_("The number of time steps in the past or future to allow."))
    drift = models.SmallIntegerField(
        default=0, help_text=_("The number of time steps the prover is known to deviate from our clock."))
    last_t = models.BigIntegerField(
        default=-1,
        help_text=_("The t value of the latest verified token. The next token must be at a higher time step."))

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        verbose_name = _("TOTP device")
        verbose_name_plural = _("TOTP devices")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def get_throttle_factor(self) -> float:
        return settings.OTP_TOTP_THROTTLE_FACTOR

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            key = self.bin_key
        except crypto.DecryptionError as error:
            return self._refuse_undecryptable(error)
        value = parse_numeric_token(token, self.digits)
        if self.step <= 0:  # a misconfigured row verifies nothing rather than dividing by zero
            value = None
        totp = TOTP(key, self.step, self.t0, self.digits, self.drift)
        totp.time = time.time()
        if value is not None and totp.verify(value, self.tolerance, self.last_t + 1):
            matched_t = totp.t()
            updates: dict[str, Any] = {"last_t": matched_t}
            if settings.OTP_TOTP_SYNC:
                updates["drift"] = totp.drift
            # Claim the step: a concurrent request with the same token updates no row.
            return self._claim(models.Q(last_t__lt=matched_t), **updates)
        self._record_failure()
        return False

    @property
    def config_url(self) -> str:
        """The ``otpauth://`` URL that an authenticator app scans to set up this device."""
        issuer = _setting_for(self, settings.OTP_TOTP_ISSUER)
        image = _setting_for(self, settings.OTP_TOTP_IMAGE)
        return otpauth_url("totp", self.user.get_username(), self.bin_key, issuer,
                           digits=self.digits, period=self.step, image=image)
