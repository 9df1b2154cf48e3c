"""Re-authentication: sensitive actions want a recent proof of identity in this session.

With ``TWO_FACTOR_REAUTHENTICATION_AGE`` set, the session records when its user last proved who
they are (an int timestamp under ``VERIFIED_AT_SESSION_KEY``):

- a sign-in: the password (``user_logged_in``; not a password login over a session that a
  device verified), and for a user with devices a token of one
  (``two_factor.signals.user_verified``); a sign-in that a remember-this-browser cookie vouched
  for is no proof of presence, and leaves no record (``flows.login.complete_sign_in`` calls
  :func:`forget` after sending the signal);
- the re-authentication page (``two_factor.views.reauth``): a token, or the password of a user
  who has no device yet.

A session counts as recently verified when that record is younger than the setting and, for a
user with devices, the session is verified by one of them (a password alone is not enough for
them). Plain functions; the views and the receivers connected in ``two_factor.apps`` call them.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import update_session_auth_hash

import django_otp
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from .. import events
from ..conf import settings
from ..utils import is_verified
from .backup import is_backup_device
from .session import renew_session_key
from .summary import has_device

#: The session key of the time (an int, seconds since the epoch) of the last proof of identity.
VERIFIED_AT_SESSION_KEY = "two_factor_verified_at"
#: Seconds a record may lie in the future: the clocks of a site's servers differ a little.
CLOCK_SKEW = 60
#: The session key counting wrong passwords on the re-authentication page.
PASSWORD_FAILURES_SESSION_KEY = "two_factor_reauth_failures"
#: Wrong passwords a session may give on the re-authentication page before it is signed out.
MAX_PASSWORD_FAILURES = 5


def now() -> float:
    """The clock of re-authentication (a seam for tests)."""
    return time.time()


def max_age() -> int | None:
    """``TWO_FACTOR_REAUTHENTICATION_AGE`` in seconds, or None when re-authentication is off."""
    age = settings.TWO_FACTOR_REAUTHENTICATION_AGE
    return None if age is None else int(age)


def enabled() -> bool:
    return max_age() is not None


def mark_verified(request: Any) -> None:
    """Record that the user of this session proved who they are, now."""
    request.session[VERIFIED_AT_SESSION_KEY] = int(now())


def forget(request: Any) -> None:
    """Drop the record: the next sensitive action asks again."""
    request.session.pop(VERIFIED_AT_SESSION_KEY, None)


def last_verified(request: Any) -> int | None:
    """When this session last proved its user's identity (seconds since the epoch), or None."""
    session = getattr(request, "session", None)
    value = session.get(VERIFIED_AT_SESSION_KEY) if session is not None else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verified_recently(request: Any) -> bool:
    """Whether the user of ``request`` may do a sensitive action without proving it again.

    Always true when the setting is None. Otherwise the record may be at most as old as the
    setting, and a user with a device must be verified by one in this session.
    """
    age = max_age()
    if age is None:
        return True
    verified_at = last_verified(request)
    if verified_at is None or not -CLOCK_SKEW <= now() - verified_at <= age:
        return False  # none, too old, or later than the clocks of a site's servers differ
    user = request.user
    return is_verified(user) or not has_device(user)


def needs_password(user: Any) -> bool:
    """A user with no confirmed device proves who they are with their password."""
    return not has_device(user)


# Receivers (connected in ``two_factor.apps``)


def on_user_logged_in(sender: Any, request: Any = None, user: Any = None, **kwargs: Any) -> None:
    """``user_logged_in``: the password was just checked (a token may follow, see below).

    Not over a session that a device verified, unless this login checked a token too
    (django_otp's forms put it on ``user.otp_device``): Django keeps the session of the same
    user through a new login, so a password login elsewhere on the site (Django's own login
    view, an admin's) would otherwise count as a recent proof for a user with a device, which
    a password alone never is.
    """
    if not (enabled() and request is not None and hasattr(request, "session")):
        return
    if getattr(user, "otp_device", None) is None and request.session.get(DEVICE_ID_SESSION_KEY):
        return
    mark_verified(request)


def on_user_verified(sender: Any, request: Any = None, user: Any = None, device: Any = None,
                     **kwargs: Any) -> None:
    """``two_factor.signals.user_verified``: a device verified the sign-in (any sender's signal
    counts; a sign-in by remember cookie is undone by ``flows.login.complete_sign_in``)."""
    if enabled() and request is not None and hasattr(request, "session"):
        mark_verified(request)


# The re-authentication page


def complete_with_device(request: Any, device: Device, was_verified: bool) -> None:
    """A token of ``device`` was accepted: the session is verified (by it, unless it already
    was) and recently so. ``was_verified``: whether it was verified before the token.

    A backup token (``device`` is the user's backup device) is told of as at sign-in:
    ``BACKUP_TOKEN_USED``, then ``REAUTHENTICATED``."""
    if not was_verified:
        # The session gains a verification: give it a new key, as a sign-in does.
        renew_session_key(request.session)
        django_otp.login(request, device)
    mark_verified(request)
    request.session.pop(PASSWORD_FAILURES_SESSION_KEY, None)
    if is_backup_device(request.user, device):
        events.emit(request, events.BACKUP_TOKEN_USED, device=device)
    events.emit(request, events.REAUTHENTICATED, device=device, method="token")


def complete_with_password(request: Any) -> None:
    """The password of a user without a device was accepted."""
    # A new session key, and the session keeps working if checking the password upgraded
    # its hash (``check_password`` saves the new one).
    update_session_auth_hash(request, request.user)
    mark_verified(request)
    request.session.pop(PASSWORD_FAILURES_SESSION_KEY, None)
    events.emit(request, events.REAUTHENTICATED, method="password")


def count_password_failure(request: Any) -> bool:
    """Count a wrong password; True when the session gave too many and must be signed out.

    The count lives in the session, so concurrent requests of one session can each read the
    same count: it bounds a careless or scripted sequence, not a parallel guesser. That is on
    purpose. Only a user without devices gives a password here, and whoever holds their session
    can guess that password as fast on the sign-in page, which (as Django's) counts nothing; a
    rate limit against guessing belongs there, site-wide (e.g. a login throttle).
    """
    failures = request.session.get(PASSWORD_FAILURES_SESSION_KEY, 0)
    failures = (failures if isinstance(failures, int) else 0) + 1
    request.session[PASSWORD_FAILURES_SESSION_KEY] = failures
    events.emit(request, events.VERIFICATION_FAILED, method="password", failure_count=failures)
    if failures < MAX_PASSWORD_FAILURES:
        return False
    events.emit(request, events.THROTTLED, method="password", failure_count=failures)
    return True
