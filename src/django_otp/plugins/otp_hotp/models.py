"""Counter-based one-time passwords (RFC 4226): hardware tokens and some apps."""

from __future__ import annotations

from binascii import unhexlify
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_otp import crypto
from django_otp.conf import settings
from django_otp.fields import SecretField
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import COUNTER_LIMIT, hotp
from django_otp.util import hex_validator, otpauth_url, parse_numeric_token, random_hex


def default_key() -> str:
    return random_hex(20)


def key_validator(value: str) -> None:
    return hex_validator()(value)


class HOTPDevice(TimestampMixin, ThrottlingMixin, Device):
    """A generic HOTP device; the next token expected is at ``counter``."""

    key = SecretField(
        max_length=80, validators=[key_validator], default=default_key,
        help_text=_("A hex-encoded secret key of up to 40 bytes."))
    digits = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6, help_text=_("The number of digits to expect in a token."))
    tolerance = models.PositiveSmallIntegerField(
        default=5, help_text=_("The number of missed tokens to tolerate."))
    counter = models.BigIntegerField(default=0, help_text=_("The next counter value to expect."))

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        verbose_name = _("HOTP device")
        verbose_name_plural = _("HOTP devices")

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    def get_throttle_factor(self) -> float:
        return settings.OTP_HOTP_THROTTLE_FACTOR

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            key = self.bin_key
        except crypto.DecryptionError as error:
            return self._refuse_undecryptable(error)
        value = parse_numeric_token(token, self.digits)
        if value is not None:
            # Only counters that exist (a row given a negative one in the admin matches none).
            last = min(self.counter + self.tolerance, COUNTER_LIMIT - 1)
            for counter in range(max(self.counter, 0), last + 1):
                if hotp(key, counter, self.digits) == value:
                    # Claim the counter: a concurrent request with the same token updates no row.
                    return self._claim(models.Q(counter__lte=counter), counter=counter + 1)
        self._record_failure()
        return False

    @property
    def config_url(self) -> str:
        """The ``otpauth://`` URL that an authenticator app scans to set up this device."""
        issuer = settings.OTP_HOTP_ISSUER
        issuer = issuer(self) if callable(issuer) else issuer
        return otpauth_url("hotp", self.user.get_username(), self.bin_key, issuer,
                           digits=self.digits, counter=self.counter)
