"""A new session key at sign-in, as ``auth.login`` gives one, at less cost.

Signing in must change the session key, so that a key planted before the sign-in (session
fixation) is worth nothing after it. ``SessionBase.cycle_key()`` does that by creating a new
session and deleting the old one; with database sessions that is six statements (a collision
check, BEGIN, INSERT, COMMIT, SELECT and DELETE). Renaming the row's key in place is one UPDATE
with the same effect: the old key no longer names any session. Other engines cycle as usual.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import login as auth_login
from django.contrib.sessions.backends import cached_db, db, signed_cookies
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.db import connections, router, transaction
from django.utils.crypto import constant_time_compare, get_random_string


def renew_session_key(session: Any) -> None:
    """Give ``session`` a new key and keep its data."""
    old_key = session.session_key
    if old_key and _renamable(session):
        # 32 characters of 36: a collision with an existing key is out of reach (as for Django's
        # own keys, whose collision check exists for weaker random sources).
        new_key = get_random_string(32, VALID_KEY_CHARS)
        if _rename_row(session.model, old_key, new_key) == 1:
            session._session_key = new_key
            session.modified = True
            return
    session.cycle_key()


def _rename_row(model: Any, old_key: str, new_key: str) -> int:
    """``UPDATE ... SET session_key = new WHERE session_key = old``; the number of rows.

    Written out rather than built by the ORM on every sign-in: the statement never changes.
    """
    alias = router.db_for_write(model)
    connection = connections[alias]
    quote = connection.ops.quote_name
    column = quote(model._meta.get_field("session_key").column)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {column} = %s WHERE {column} = %s"  # noqa: S608 (quoted names)
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, [new_key, old_key])
        return cursor.rowcount


def _renamable(session: Any) -> bool:
    # The cached engine keeps a copy under the old key: let it cycle in its own way.
    return isinstance(session, db.SessionStore) and not isinstance(session, cached_db.SessionStore)


def login(request: Any, user: Any) -> None:
    """``django.contrib.auth.login``, with the new session key made by ``renew_session_key``.

    ``auth.login`` keeps the key of a session that already belongs to ``user`` (same pk, same
    password hash) and empties a session of anybody else; so a session of nobody is renewed
    here and marked as the user's, and ``auth.login`` then does everything else as usual
    (backend, hash, CSRF token, ``user_logged_in``).
    """
    session = request.session
    if SESSION_KEY in session and not _belongs_to(session, user):
        session.flush()  # another user's session: start an empty one, as auth.login would
    else:
        renew_session_key(session)
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    auth_login(request, user)


def _belongs_to(session: Any, user: Any) -> bool:
    try:
        same_user = user._meta.pk.to_python(session[SESSION_KEY]) == user.pk
    except Exception:  # a value that does not parse as this model's key: not this user's
        return False
    return same_user and constant_time_compare(session.get(HASH_SESSION_KEY, ""),
                                               user.get_session_auth_hash())


def client_side(session: Any) -> bool:
    """Whether the browser keeps ``session`` (``signed_cookies``): it can read it, and send an
    old copy again, so what must stay secret or happen once cannot rest on it alone."""
    return isinstance(session, signed_cookies.SessionStore)
