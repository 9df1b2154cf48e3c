"""The enforcement policy: who must use two factors, and until when they may wait.

Plain functions over the ``TWO_FACTOR_ENFORCE_*`` settings; ``RequireTwoFactorMiddleware``
(``two_factor.middleware.enforce``) calls them. The order of the checks keeps the cost down:
the ``is_superuser`` / ``is_staff`` flags cost nothing, the groups one query (only when the flags
did not decide), the callable whatever it costs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string

from ..conf import settings
from ..utils import is_verified


def now() -> datetime:
    """The clock of the grace period (a seam for tests)."""
    return timezone.now()


def enforcement_configured() -> bool:
    """Whether any ``TWO_FACTOR_ENFORCE_*`` setting covers anybody."""
    return bool(settings.TWO_FACTOR_ENFORCE_SUPERUSERS or settings.TWO_FACTOR_ENFORCE_STAFF
                or enforced_groups() or settings.TWO_FACTOR_ENFORCE_CALLABLE is not None)


def enforced_groups() -> tuple[str, ...]:
    """``TWO_FACTOR_ENFORCE_GROUPS`` as a tuple of names (a single name counts as one)."""
    groups = settings.TWO_FACTOR_ENFORCE_GROUPS or ()
    return (groups,) if isinstance(groups, str) else tuple(groups)


def covered_by_flags(user: Any) -> bool:
    """The checks that need no query: superusers and staff, when the settings ask for them."""
    return bool((settings.TWO_FACTOR_ENFORCE_SUPERUSERS and getattr(user, "is_superuser", False))
                or (settings.TWO_FACTOR_ENFORCE_STAFF and getattr(user, "is_staff", False)))


def needs_lookup() -> bool:
    """Whether deciding for a user not covered by the flags costs a query or a call."""
    return bool(enforced_groups() or settings.TWO_FACTOR_ENFORCE_CALLABLE is not None)


def user_must_use_two_factor(user: Any) -> bool:
    """Whether the policy requires ``user`` (signed in) to use two-factor authentication."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if covered_by_flags(user):
        return True
    groups = enforced_groups()
    if groups and hasattr(user, "groups") and user.groups.filter(name__in=groups).exists():
        return True
    check = enforcement_callable()
    return bool(check is not None and check(user))


def enforcement_callable() -> Callable[[Any], Any] | None:
    """``TWO_FACTOR_ENFORCE_CALLABLE``, imported when it is a dotted path."""
    value = settings.TWO_FACTOR_ENFORCE_CALLABLE
    if value is None or callable(value):
        return value
    return _import_callable(value)


@functools.lru_cache(maxsize=8)
def _import_callable(path: Any) -> Callable[[Any], Any]:
    try:
        value = import_string(path)
    except Exception as error:  # a typo must not turn the policy off silently
        raise ImproperlyConfigured(
            f"TWO_FACTOR_ENFORCE_CALLABLE is {path!r}, which cannot be imported: {error}"
        ) from error
    if not callable(value):
        raise ImproperlyConfigured(f"TWO_FACTOR_ENFORCE_CALLABLE {path!r} is not callable.")
    return value


def grace_period_end(user: Any) -> datetime | None:
    """When the grace period of ``user`` ends: ``date_joined`` plus the setting; None without
    a grace period (the setting is None) or a ``date_joined``."""
    grace = settings.TWO_FACTOR_ENFORCE_GRACE_PERIOD
    joined = getattr(user, "date_joined", None)
    if grace is None or not isinstance(joined, datetime):
        return None
    return joined + timedelta(seconds=grace)


def in_grace_period(user: Any) -> bool:
    """Whether ``user`` may still wait before the policy sends them to set up."""
    end = grace_period_end(user)
    return end is not None and now() < end


def must_comply_now(user: Any) -> bool:
    """Whether ``user`` is covered by the policy and this session is not verified.

    The order is the cheap one: a user the flags cover is asked ``is_verified()`` (at most the
    one query of ``OTPMiddleware``, shared with the view); otherwise a verified session ends it
    before the groups query or the callable; with neither of those set, no query at all.
    """
    if covered_by_flags(user):
        return not is_verified(user)
    if not needs_lookup() or is_verified(user):
        return False
    return user_must_use_two_factor(user)


