"""Static tokens: single-use backup codes, kept until used (in plain text, or salted and hashed)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.models import F, Func, IntegerField, OuterRef, Subquery
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from django_otp.conf import settings
from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from . import hashing

# Lower-case base32 (RFC 4648), the alphabet of django-otp's tokens: sites and their users
# know their shape, and validators or templates may rely on it.
TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def normalize(token: Any) -> str | None:
    """A candidate token as it is compared: without surrounding spaces, case kept; an int as
    its digits (django-otp's query matched ``123456`` to ``"123456"``); None when it cannot be
    a token (another type, empty, longer than 16 characters, or with a NUL)."""
    if isinstance(token, int) and not isinstance(token, bool):
        token = str(token)
    if not isinstance(token, str):
        return None
    token = token.strip()
    if not 0 < len(token) <= hashing.MAX_PLAINTEXT_LENGTH or "\x00" in token:
        return None  # (PostgreSQL refuses NUL in text)
    return token


class StaticDevice(TimestampMixin, ThrottlingMixin, Device):
    """A container of random tokens shared by the database and the user.

    Tokens can be used in any order; each one is deleted as it is used. With
    ``OTP_STATIC_HASH_TOKENS`` new tokens are stored hashed (see ``hashing``); tokens stored
    in plain text keep working either way.
    """

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        verbose_name = _("static device")
        verbose_name_plural = _("static devices")

    def get_throttle_factor(self) -> float:
        return settings.OTP_STATIC_THROTTLE_FACTOR

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        token = normalize(token)
        match = self._stored_match(token) if token is not None else None
        if match is None:
            self._record_failure()
            return False
        # The success columns first: their claim is the one the throttle guards (a guess that
        # failed meanwhile refuses it), and it must not come after the token is gone.
        return self._claim(models.Q()) and _delete_row(match, self.pk)

    def add_tokens(self, tokens: Sequence[str]) -> list[StaticToken]:
        """Store ``tokens`` (the codes) in one INSERT, hashed with one salt when
        ``OTP_STATIC_HASH_TOKENS`` is on. Each returned token has its code in ``plaintext``."""
        created = StaticToken.objects.bulk_create(
            StaticToken(device=self, token=value) for value in hashing.stored_forms(tokens))
        for static_token, plaintext in zip(created, tokens, strict=True):
            static_token.plaintext = plaintext
        return created

    def _stored_match(self, token: str) -> int | None:
        """The pk of the stored token that ``token`` is, or None.

        One SELECT returns the plaintext rows equal to ``token`` and the hashed rows (for their
        salts). Claiming it is ``_delete_row``'s DELETE: of requests with the same token, the
        one whose DELETE removes the row has used it (a loser was not guessing: no failure).
        """
        rows = list(StaticToken.objects.filter(device_id=self.pk)
                    .filter(models.Q(token=token) | models.Q(token__startswith=hashing.PREFIX))
                    .order_by("pk").values_list("pk", "token"))
        # Plaintext: as before, the first equal row goes, a duplicate stays usable.
        match = next((pk for pk, stored in rows if stored == token), None)
        if match is None:
            match = _matching_row(hashing.candidate_hashes(token, [stored for _pk, stored in rows]),
                                  rows)
        return match


def _matching_row(candidates: list[str], rows: list[tuple[int, str]]) -> int | None:
    """The pk of the row whose stored hash is a candidate, compared in constant time."""
    found = None
    for candidate in candidates:
        for pk, stored in rows:
            if constant_time_compare(candidate, stored):
                found = pk
    return found


def _delete_row(pk: int, device_id: int) -> bool:
    # One DELETE by key (Django's single-object path, no transaction around it): of concurrent
    # requests with the same token, the one whose DELETE removes the row has claimed it.
    deleted, _per_model = StaticToken(pk=pk, device_id=device_id).delete()
    return bool(deleted)


class StaticToken(models.Model):
    """One single-use token of a ``StaticDevice``: the code, or its salted hash."""

    device = models.ForeignKey(StaticDevice, related_name="token_set", on_delete=models.CASCADE)
    token = models.CharField(max_length=128, db_index=True)

    #: The code in clear, on the tokens just made by ``StaticDevice.add_tokens``; None otherwise.
    plaintext: str | None = None

    class Meta:
        verbose_name = _("static token")
        verbose_name_plural = _("static tokens")

    def __str__(self) -> str:
        # Never the code: the admin lists related objects by their text (a delete confirmation
        # page lists a user's or a device's tokens), and so may a log.
        return gettext("(hashed)") if self.is_hashed else gettext("(not shown)")

    @property
    def is_hashed(self) -> bool:
        """Whether ``token`` holds a salted hash rather than the code itself."""
        return hashing.is_hashed(self.token)

    @staticmethod
    def random_token(length: int = 8) -> str:
        """A random token of ``length`` lower-case base32 characters."""
        return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(length))


def token_count() -> Subquery:
    """An expression for the number of tokens left on each static device of the outer query.
    A subquery, not ``Count("token_set")``: that groups the whole join of devices and tokens
    before the admin's list takes its one page of it."""
    # COUNT without GROUP BY: one row, 0 for a device without tokens (not NULL).
    count = Func(F("pk"), function="COUNT", output_field=IntegerField())
    tokens = StaticToken.objects.filter(device=OuterRef("pk")).order_by().annotate(_n=count).values("_n")
    return Subquery(tokens, output_field=IntegerField())
