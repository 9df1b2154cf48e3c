"""Static tokens stored salted and hashed, in the format of Django's PBKDF2 password hashes.

A hashed token is kept in ``StaticToken.token`` as ``pbkdf2_sha256$<iterations>$<salt>$<hash>``
(what ``django.contrib.auth.hashers.PBKDF2PasswordHasher`` writes for a password), so the string
says how to hash a candidate: a later change of ``OTP_STATIC_HASH_ITERATIONS`` leaves the tokens
already stored working. The tokens generated together share one salt, so that checking a candidate
against a whole batch costs one hash: the candidate is hashed once for each salt among the
stored rows (``candidate_hashes``), and the row whose hash matches is claimed with one DELETE.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured

from django_otp.conf import settings

ALGORITHM = PBKDF2PasswordHasher.algorithm  # "pbkdf2_sha256"
PREFIX = f"{ALGORITHM}$"
#: A plaintext token is 16 characters at most, a hashed one much longer: the two never collide.
MAX_PLAINTEXT_LENGTH = 16
#: Iteration counts are below this, in the setting and in a stored hash alike.
MAX_ITERATIONS = 10**9

_hasher = PBKDF2PasswordHasher()


class HashParams(NamedTuple):
    """What a batch of hashed tokens shares: the iteration count and the salt."""

    iterations: int
    salt: str


def new_params() -> HashParams:
    """A fresh salt (128 random bits), with the iterations of ``OTP_STATIC_HASH_ITERATIONS``."""
    iterations = settings.OTP_STATIC_HASH_ITERATIONS
    if not isinstance(iterations, int) or isinstance(iterations, bool) or not 0 < iterations < MAX_ITERATIONS:
        raise ImproperlyConfigured("OTP_STATIC_HASH_ITERATIONS must be a positive integer "
                                   f"below 10**9, not {iterations!r}.")
    return HashParams(iterations, secrets.token_urlsafe(16))


def hash_token(token: str, params: HashParams) -> str:
    """The stored form of ``token`` hashed with ``params``."""
    return _hasher.encode(token, params.salt, params.iterations)


def stored_forms(tokens: Sequence[str]) -> list[str]:
    """What to store for ``tokens``: hashed with one new salt when ``OTP_STATIC_HASH_TOKENS`` is
    on, else the tokens themselves."""
    if not settings.OTP_STATIC_HASH_TOKENS:
        return list(tokens)
    params = new_params()
    return [hash_token(token, params) for token in tokens]


def is_hashed(stored: str) -> bool:
    """Whether a stored token is a hash (a plaintext token is too short to be one)."""
    return parse_params(stored) is not None


def parse_params(stored: str) -> HashParams | None:
    """The parameters of a stored hashed token; None when ``stored`` is not one."""
    if len(stored) <= MAX_PLAINTEXT_LENGTH:
        return None
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != ALGORITHM or not parts[2] or not parts[3]:
        return None
    iterations = parts[1]
    if not iterations.isascii() or not iterations.isdigit() or not 0 < int(iterations) < MAX_ITERATIONS:
        return None
    return HashParams(int(iterations), parts[2])


def candidate_hashes(token: str, stored: Iterable[str]) -> list[str]:
    """``token`` hashed once for every distinct set of parameters among ``stored``."""
    params = {p for p in map(parse_params, stored) if p is not None}
    return [hash_token(token, p) for p in sorted(params)]
