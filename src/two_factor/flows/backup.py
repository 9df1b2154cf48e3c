"""Backup tokens: single-use codes in the user's ``StaticDevice`` named ``backup``."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db import transaction

from django_otp.plugins.otp_static.hashing import stored_forms
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

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
        return (_backup_devices(user).first()
                or StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME))


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


def replace_backup_tokens(user: Any, number: int = 10) -> tuple[StaticDevice, list[str]]:
    """Replace the user's backup tokens by ``number`` new ones: their device, and the tokens.

    The old tokens die in one DELETE, the new ones are written in one INSERT, in one
    transaction; the device row is locked (where the database can), so that two requests at
    once leave ``number`` tokens, not twice as many. With ``OTP_STATIC_HASH_TOKENS`` the tokens
    are stored hashed (one salt for the batch), hashed before the lock is taken: the returned
    list is then the only place where they can be read.
    """
    device, tokens = _replace(user, number, ticket=None)
    assert tokens is not None  # only a ticket can be outrun
    return device, tokens


def take_generation_ticket(user: Any) -> int:
    """This request's place among the user's generations of backup tokens: higher than any
    taken before it. Pass it to ``replace_newest_backup_tokens``.

    Kept in the cache, counted atomically in a shared one (Redis, Memcached); a local-memory
    cache counts per process, and two generations at once then both write, as without tickets.
    """
    key = _GENERATION_KEY % user.pk
    for _attempt in range(2):
        cache.add(key, 0, timeout=_GENERATION_TTL)
        try:
            return cache.incr(key)
        except ValueError:  # expired between the add and the incr
            continue
    return 0  # a cache that keeps nothing: every generation writes


def replace_newest_backup_tokens(user: Any, number: int,
                                 ticket: int) -> tuple[StaticDevice, list[str] | None]:
    """``replace_backup_tokens``, unless a generation with a higher ``ticket`` has begun: then
    nothing is written, and the tokens are None.

    A double click sends two generations, and the browser shows the answer to the second.
    Stored hashed, the codes it shows can be read nowhere else, so they must be the ones that
    stay: whichever request reaches the lock last, the newest generation is the one written.
    """
    return _replace(user, number, ticket=ticket)


_GENERATION_KEY = "two_factor:backup-generation:%s"
_GENERATION_TTL = 300  # a generation's hashing and lock wait take moments


def _outrun(user: Any, ticket: int) -> bool:
    newest = cache.get(_GENERATION_KEY % user.pk)
    return isinstance(newest, int) and newest > ticket


def _replace(user: Any, number: int, ticket: int | None) -> tuple[StaticDevice, list[str] | None]:
    tokens = _distinct_random_tokens(number)
    stored = stored_forms(tokens)
    with transaction.atomic():
        device = _backup_devices(user).select_for_update().first()
        if device is None:
            # Under the lock of the user's row, the device that another request made meanwhile
            # is seen, and locked like any other (a device used unlocked deadlocks with a
            # request that locked it first, over the tokens both delete).
            lock_user_row(user)
            device = (_backup_devices(user).select_for_update().first()
                      or StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME))
        # Read under the lock: a newer generation that wrote first is seen, and one that comes
        # after this one writes after it.
        if ticket is not None and _outrun(user, ticket):
            return device, None
        device.token_set.all().delete()
        StaticToken.objects.bulk_create(StaticToken(device=device, token=value) for value in stored)
    forget_device_summary(user)  # the summary remembered in this request counts the old tokens
    return device, tokens


def _backup_devices(user: Any):
    return StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).order_by("pk")


def _distinct_random_tokens(number: int) -> list[str]:
    tokens: list[str] = []
    while len(tokens) < number:
        token = StaticToken.random_token()
        if token not in tokens:
            tokens.append(token)
    return tokens
