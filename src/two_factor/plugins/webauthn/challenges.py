"""Challenges bound to the session, each used once.

Each ceremony has a purpose (``register``, ``login``, ``passkey``) and at most one challenge in
flight for it: issuing a new one replaces the old one; checking one takes it out of the session,
so that the same response cannot be verified twice. A record may also name the user it was
issued for (and, for a registration, the user handle given to the authenticator).

Taking it out of the session is not enough on its own: two requests of one session each load
their own copy of it, and a session kept in a cookie (``signed_cookies``) can be sent again with
the challenge still in it. Many passkeys keep no signature counter, so nothing else would refuse
the same response twice. So a challenge taken is also claimed in the database
(``two_factor.flows.once``), for as long as it is valid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from webauthn.helpers import generate_challenge

from ...flows import once
from .encoding import b64decode, b64encode

SESSION_KEY = "two_factor_webauthn"
#: Seconds a challenge stays valid; the browser is told half of it as its timeout.
MAX_AGE = 300
PURPOSES = ("register", "login", "passkey")


@dataclass(frozen=True)
class Challenge:
    value: bytes
    user: str | None = None
    user_handle: str | None = None


def now() -> float:
    """The clock of challenge expiry (a seam for tests)."""
    return time.time()


def _records(session: Any) -> dict[str, Any]:
    records = session.get(SESSION_KEY)
    return dict(records) if isinstance(records, dict) else {}


def bind(session: Any, purpose: str, user: Any) -> None:
    """Record that ``user`` may ask for a challenge of ``purpose`` (the sign-in's token step).

    A challenge already issued to the same user stays valid.
    """
    records = _records(session)
    record = records.get(purpose)
    if isinstance(record, dict) and record.get("user") == str(user.pk):
        return
    records[purpose] = {"user": str(user.pk)}
    session[SESSION_KEY] = records


def bound_user_pk(session: Any, purpose: str) -> str | None:
    record = _records(session).get(purpose)
    return record.get("user") if isinstance(record, dict) else None


def issue(session: Any, purpose: str, user: Any = None, user_handle: str | None = None) -> bytes:
    """A new random challenge for ``purpose``, stored in the session with the time and user."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown challenge purpose {purpose!r}")
    value = generate_challenge()
    record: dict[str, Any] = {"challenge": b64encode(value), "issued": now()}
    if user is not None:
        record["user"] = str(user.pk)
    if user_handle is not None:
        record["user_handle"] = user_handle
    records = _records(session)
    records[purpose] = record
    session[SESSION_KEY] = records
    return value


def take(session: Any, purpose: str) -> Challenge | None:
    """The challenge of ``purpose``, removed from the session; None if none is valid.

    A record without a challenge (only bound to a user) is left in place.
    """
    records = _records(session)
    record = records.get(purpose)
    if not isinstance(record, dict) or "challenge" not in record:
        return None
    del records[purpose]
    if records:
        session[SESSION_KEY] = records
    else:
        session.pop(SESSION_KEY, None)
    issued = record.get("issued")
    if not isinstance(issued, int | float) or not 0 <= now() - issued <= MAX_AGE:
        return None
    try:
        value = b64decode(record["challenge"])
    except ValueError:
        return None
    if not _first_use(value):
        return None
    user, handle = record.get("user"), record.get("user_handle")
    return Challenge(value, user if isinstance(user, str) else None,
                     handle if isinstance(handle, str) else None)


def _first_use(value: bytes) -> bool:
    """Whether this is the first time the challenge ``value`` is taken, by any request."""
    return once.claim(f"two_factor:webauthn-taken:{b64encode(value)}", MAX_AGE)
