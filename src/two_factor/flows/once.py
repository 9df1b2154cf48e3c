"""Names claimed once, in the database (``two_factor.models.Claim``).

What must happen once but has no row of its own to update conditionally: a sign-in that the
browser keeps in its session cookie (it could send the finished one again), a WebAuthn challenge
(two requests of one session could both take it), a backup codes page (its first use), the one
token per cooldown of the setup wizards. The claim is one INSERT into a table whose primary key
is the name's hash: of two requests at once, the database lets one in. A cache would do it in one
call too, but a cache may forget a claim early (an eviction, which anyone can cause by filling
it, a restart, ``DummyCache``), and a forgotten claim lets the thing happen twice.

Times are Unix times (``now()``), as the signed values and sessions they go with keep them: no
time zone, and no hour lost or gained when local clocks change.

A claim lasts until its ``expires_at``; after that the name may be claimed again. Expired rows
are deleted now and then by a claim (one in ``PRUNE_ONE_IN``), once the claim's transaction has
committed.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, router, transaction
from django.utils import timezone

from ..models import Claim

#: A successful claim deletes the expired rows once in this many, on average.
PRUNE_ONE_IN = 64


def now() -> float:
    """The Unix time: Django's clock (``timezone.now``, which tests can move), but with
    ``USE_TZ = False`` that clock is naive local time, ambiguous for an hour a year: then
    ``time.time()``."""
    return timezone.now().timestamp() if settings.USE_TZ else time.time()


def claim(name: str, lasts: float) -> bool:
    """Claim ``name`` for ``lasts`` seconds: True for the first request that does, False
    while an earlier claim of it lasts. One INSERT; an expired claim is taken over."""
    key, at = _key(name), now()
    if _inserted(key, at, at + lasts):
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            # After the caller's transaction (ATOMIC_REQUESTS, say), not in it: there the
            # deleted rows would stay locked until the request ends, and every other request
            # that prunes would wait for it. Robust: a failed clean-up is logged, not a 500
            # for a request whose work has committed.
            transaction.on_commit(lambda: _prune(at), using=router.db_for_write(Claim), robust=True)
        return True
    # Taken: by a claim that lasts, or by one that is over. Of two requests that delete the
    # same expired row, one inserts again and the other finds the key taken.
    deleted, _by_model = Claim.objects.filter(key=key, expires_at__lte=at).delete()
    return bool(deleted) and _inserted(key, at, at + lasts)


def claimed_at(name: str) -> float | None:
    """When (Unix time) the claim of ``name`` that lasts was made, or None when there is none
    that this request can see (in a REPEATABLE READ transaction, one made by a concurrent
    request may be refused to ``claim`` yet not be seen here)."""
    return (Claim.objects.filter(key=_key(name), expires_at__gt=now())
            .values_list("claimed_at", flat=True).first())


def release(name: str) -> None:
    """End the claim of ``name`` now (what it guarded did not happen after all)."""
    Claim.objects.filter(key=_key(name)).delete()


def _prune(at: float) -> None:
    Claim.objects.filter(expires_at__lte=at).delete()


def _inserted(key: str, claimed_at: float, expires_at: float) -> bool:
    using = router.db_for_write(Claim)
    # In a transaction, a savepoint: the caller's transaction goes on after a refusal. In
    # autocommit, none: a refused INSERT leaves nothing to undo.
    in_transaction = transaction.get_connection(using).in_atomic_block
    try:
        with transaction.atomic(using=using) if in_transaction else nullcontext():
            Claim.objects.using(using).create(key=key, claimed_at=claimed_at, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def _key(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()
