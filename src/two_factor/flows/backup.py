"""Backup tokens: single-use codes in the user's ``StaticDevice`` named ``backup``."""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.db import router, transaction
from django.utils.crypto import salted_hmac

from django_otp.plugins.otp_static.hashing import stored_forms
from django_otp.plugins.otp_static.models import TOKEN_ALPHABET, StaticDevice, StaticToken

from . import once
from .locks import lock_user_row, user_locked
from .summary import cached_device_summary, forget_device_summary

BACKUP_DEVICE_NAME = "backup"


def backup_device(user: Any, *, create: bool = True,
                  confirmed: bool = False) -> StaticDevice | None:
    """The user's backup device, created on first use (unless ``create`` is False).

    Like ``get_or_create``, but a user who somehow has two of them gets the oldest one rather
    than an error. ``confirmed``: only a confirmed one, the one a sign-in accepts tokens of.
    """
    devices = _backup_devices(user)
    device = (devices.filter(confirmed=True) if confirmed else devices).first()
    if device is None and create:
        device = _create_backup_device(user)
        forget_device_summary(user)  # the summary remembered in this request lacks it
    return device


def _create_backup_device(user: Any) -> StaticDevice:
    """The user's backup device, made now unless a concurrent request just made one: two would
    split the user's tokens between them (the sign-in takes those of the oldest alone)."""
    with user_locked(user):  # what another request made meanwhile is seen here
        return _found_or_made(user)


def _found_or_made(user: Any, *, lock: bool = False) -> StaticDevice:
    """Under the lock of the user's row: the backup device another request may just have made
    (locked too with ``lock``), else a new one."""
    devices = _backup_devices(user).select_for_update() if lock else _backup_devices(user)
    return devices.first() or StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME)


def is_backup_device(user: Any, device: Any) -> bool:
    """Whether ``device`` is ``user``'s backup device, the kind ``backup_device(user,
    confirmed=True)`` finds for the sign-in's backup step: a confirmed StaticDevice of theirs
    named ``backup``."""
    return (isinstance(device, StaticDevice) and device.user_id == getattr(user, "pk", None)
            and device.name == BACKUP_DEVICE_NAME and device.confirmed)


def backup_token_count(user: Any) -> int:
    """How many unused backup tokens the user has left to sign in with: the tokens of their
    confirmed StaticDevice(s) named ``backup``.

    Read from the device summary when this request has one for ``user`` already (no query),
    else one query.
    """
    summary = cached_device_summary(user)
    count = summary.static_tokens(BACKUP_DEVICE_NAME) if summary is not None else None
    if count is not None:
        return count
    return StaticToken.objects.filter(device__user=user, device__name=BACKUP_DEVICE_NAME,
                                      device__confirmed=True).count()


def generate_backup_tokens(user: Any, number: int = 10) -> list[str]:
    """Replace the user's backup tokens by ``number`` new ones, and return them."""
    return replace_backup_tokens(user, number)[1]


def replace_backup_tokens(user: Any, number: int = 10, *,
                          batch: str | None = None) -> tuple[StaticDevice, list[str]]:
    """Replace the user's backup tokens by ``number`` new ones: their device, and the tokens.

    The old tokens die in one DELETE, the new ones are written in one INSERT, in one
    transaction; the device row is locked (where the database can), so that two requests at
    once leave ``number`` tokens, not twice as many. With ``OTP_STATIC_HASH_TOKENS`` the tokens
    are stored hashed (one salt for the batch), hashed before the lock is taken: the returned
    list is then the only place where they can be read.

    ``batch`` (from ``new_batch``, sent with the page's form) makes the tokens those of the
    batch: the requests that send it within ``BATCH_REPEAT_SECONDS`` of its first use (a double
    click sends two) write and return the same tokens, so whichever the database sees last, the
    tokens the browser shows are the ones kept. A batch sent later, or not ours, or older than
    ``BATCH_MAX_AGE``, raises ``StaleBatch`` and changes nothing. Without a batch the tokens
    are random.
    """
    tokens = _batch_tokens(user, batch, number) if batch else _distinct_random_tokens(number)
    stored = stored_forms(tokens)
    with transaction.atomic(using=router.db_for_write(StaticToken)):
        device = _backup_devices(user).select_for_update().first()
        if device is None:
            # Under the lock of the user's row, the device that another request made meanwhile
            # is seen, and locked like any other (a device used unlocked deadlocks with a
            # request that locked it first, over the tokens both delete).
            lock_user_row(user)
            device = _found_or_made(user, lock=True)
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=value) for value in stored)
    forget_device_summary(user)  # the summary remembered in this request counts the old tokens
    return device, tokens


#: How long the form of a backup tokens page may generate its batch, and for how long after the
#: batch's first use it may be sent again and give the same tokens (a double click, a reload).
BATCH_MAX_AGE = 3600
BATCH_REPEAT_SECONDS = 30
_BATCH_SALT = "two_factor.flows.backup.batch"


class StaleBatch(Exception):
    """A batch that may make no tokens: older than ``BATCH_MAX_AGE``, not ours, or first used
    more than ``BATCH_REPEAT_SECONDS`` ago (a page sent again long after: its tokens may have
    been used or replaced since, and must not come back)."""


def new_batch() -> str:
    """A new batch for ``replace_backup_tokens``: a random name, signed and dated."""
    return signing.TimestampSigner(salt=_BATCH_SALT).sign(secrets.token_urlsafe(16))


def _batch_tokens(user: Any, batch: str, number: int) -> list[str]:
    """The tokens of ``batch`` for ``user``, derived from its name with ``SECRET_KEY`` (nothing
    stores them). Raises ``StaleBatch`` for a batch that may make none. The first use is claimed
    in the database (``flows.once``), for ``BATCH_MAX_AGE``: longer than the batch is valid,
    so no resent page finds it forgotten.

    A batch is refused rather than given random tokens: of two requests with their own tokens
    the database may keep the first one's, while the browser shows the second answer.
    """
    try:
        name = signing.TimestampSigner(salt=_BATCH_SALT).unsign(batch, max_age=BATCH_MAX_AGE)
    except signing.BadSignature:  # expired, or not ours
        raise StaleBatch from None
    seed = f"{user.pk}:{name}"
    claim_name = f"two_factor:backup-batch:{seed}"
    if not once.claim(claim_name, BATCH_MAX_AGE):
        # Claimed before. Not seen (None): by a concurrent request whose claim a REPEATABLE READ
        # transaction does not show, a first use too. Either side of the clock: servers differ.
        first_use = once.claimed_at(claim_name)
        if first_use is not None and abs(once.now() - first_use) > BATCH_REPEAT_SECONDS:
            raise StaleBatch
    return _derived_tokens(seed, number)


def _derived_tokens(seed: str, number: int) -> list[str]:
    tokens: list[str] = []
    index = 0
    while len(tokens) < number:
        digest = salted_hmac(_BATCH_SALT, f"{seed}:{index}", algorithm="sha256").digest()
        token = "".join(TOKEN_ALPHABET[byte % len(TOKEN_ALPHABET)] for byte in digest[:8])
        if token not in tokens:
            tokens.append(token)
        index += 1
    return tokens


def _backup_devices(user: Any):
    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).order_by("pk")


def _distinct_random_tokens(number: int) -> list[str]:
    tokens: list[str] = []
    while len(tokens) < number:
        token = StaticToken.random_token()
        if token not in tokens:
            tokens.append(token)
    return tokens
