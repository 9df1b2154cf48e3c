"""Names claimed once, in the database (``two_factor.models.Claim``).

What must happen once but has no row of its own to update conditionally: a sign-in that the
browser keeps in its session cookie (it could send the finished one again), a WebAuthn challenge
(two requests of one session could both take it), a backup codes page (its first use). The claim
is one INSERT into a table whose primary key is the name's hash: of two requests at once, the
database lets one in. A cache would do it in one call too, but a cache may forget a claim
early (an eviction, which anyone can cause by filling it, a restart, ``DummyCache``), and a
forgotten claim lets the thing happen twice.

A claim lasts until its ``expires_at``; after that the name may be claimed again. Expired rows
are deleted now and then by a claim (one in ``PRUNE_ONE_IN``).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import Claim

#: A successful claim deletes the expired rows once in this many, on average.
PRUNE_ONE_IN = 64


def claim(name: str, lasts: float) -> bool:
    """Claim ``name`` for ``lasts`` seconds: True for the first request that does, False
    while an earlier claim of it lasts. One INSERT; an expired claim is taken over."""
    key = _key(name)
    now = timezone.now()
    expires_at = now + timedelta(seconds=lasts)
    if _inserted(key, now, expires_at):
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            Claim.objects.filter(expires_at__lte=now).delete()
        return True
    # Taken: by a claim that lasts, or by one that is over. Of two requests that delete the
    # same expired row, one inserts again and the other finds the key taken.
    deleted, _by_model = Claim.objects.filter(key=key, expires_at__lte=now).delete()
    return bool(deleted) and _inserted(key, now, expires_at)


def claimed_at(name: str) -> datetime | None:
    """When the claim of ``name`` that lasts was made, or None when there is none."""
    return (Claim.objects.filter(key=_key(name), expires_at__gt=timezone.now())
            .values_list("claimed_at", flat=True).first())


def _inserted(key: str, now: datetime, expires_at: datetime) -> bool:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on after a refusal
            Claim.objects.create(key=key, claimed_at=now, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()
