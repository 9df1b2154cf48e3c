"""Static tokens: single-use backup codes, kept until used."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from django_otp.conf import settings
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

# Lower-case base32 without the look-alikes: no 0/o, 1/l/i.
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class StaticDevice(TimestampMixin, ThrottlingMixin, Device):
    """A container of random tokens shared by the database and the user.

    Tokens can be used in any order; each one is deleted as it is used.
    """

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        verbose_name = _("static device")

    def get_throttle_factor(self) -> float:
        return settings.OTP_STATIC_THROTTLE_FACTOR

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        match = self._matching_token_id(token)
        if match is None:
            self._record_failure()
            return False
        # The DELETE is the claim: of concurrent requests, one deletes the row. A request that
        # loses this race had the right token, so it is not counted as a failure.
        deleted, _per_model = StaticToken(pk=match, device_id=self.pk).delete()  # one DELETE
        if deleted:
            self._claim(models.Q())  # writes the success columns, on the row and on self
        return bool(deleted)

    def _matching_token_id(self, token: Any) -> int | None:
        if not isinstance(token, str):
            return None
        token = token.strip()
        if not 0 < len(token) <= 16 or "\x00" in token:  # PostgreSQL refuses NUL in text
            return None
        return (StaticToken.objects.filter(device=self, token=token)
                .values_list("pk", flat=True).first())


class StaticToken(models.Model):
    """One single-use token of a ``StaticDevice``."""

    device = models.ForeignKey(StaticDevice, related_name="token_set", on_delete=models.CASCADE)
    token = models.CharField(max_length=16, db_index=True)

    class Meta:
        verbose_name = _("static token")

    def __str__(self) -> str:
        return self.token

    @staticmethod
    def random_token(length: int = 8) -> str:
        """A random token of ``length`` characters that are easy to read and type."""
        return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))
