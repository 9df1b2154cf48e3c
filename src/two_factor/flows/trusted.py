"""Trusted browsers: a server-side record of each remember cookie, so that it can be revoked.

With ``TWO_FACTOR_TRUSTED_BROWSERS`` on, every remember cookie carries the key of a
``TrustedBrowser`` row (``two_factor.flows.remember``), and the sign-in accepts it only while
that row belongs to the user and the device and is not revoked. With the setting off nothing
here runs a query, and remember cookies work as they always did.
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth import logout as auth_logout
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDatabaseSessionStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.cache import caches
from django.db import router, transaction
from django.utils import timezone

from ..conf import settings
from ..events import LOGGED_OUT_EVERYWHERE, TRUSTED_BROWSER_REVOKED, emit
from ..models import TrustedBrowser
from .audit import device_fields
from .clients import client_ip, user_agent
from .remember import remember_device_cookie


def trust_browser(request: Any, user: Any, otp_device_id: str, device: Any = None) -> TrustedBrowser:
    """Record the browser of ``request`` as trusted for ``user``'s device (one INSERT)."""
    if device is None:
        from django_otp.models import Device

        device = Device.from_persistent_id(otp_device_id)
    return TrustedBrowser.objects.create(
        user=user, device_id=otp_device_id, device_name=device_fields(device)[1],
        ip=client_ip(request), user_agent=user_agent(request))


def accept_cookie(cookie: str, user: Any, device: Any) -> bool:
    """Whether a remember cookie whose signatures are valid may skip the token step.

    With the setting off: yes, and no query. On: only if its key names a live record of this
    user and device, whose ``last_used_at`` is then updated (one conditional UPDATE).
    """
    if not settings.TWO_FACTOR_TRUSTED_BROWSERS:
        return True
    key = remember_device_cookie.browser_key(cookie)
    if key is None:
        return False
    return TrustedBrowser.objects.filter(
        key=key, user=user, device_id=device.persistent_id, revoked_at=None,
    ).update(last_used_at=timezone.now()) == 1


def active_browsers(user: Any) -> list[TrustedBrowser]:
    """``user``'s trusted browsers that a cookie could still use, newest first (one query)."""
    age = settings.TWO_FACTOR_REMEMBER_COOKIE_AGE
    if not age:
        return []
    since = timezone.now() - datetime.timedelta(seconds=int(age))
    return list(TrustedBrowser.objects.filter(user=user, revoked_at=None, created_at__gte=since)
                .order_by("-created_at", "-id"))


def revoke_browser(request: Any, user: Any, key: str) -> TrustedBrowser | None:
    """Revoke ``user``'s trusted browser named ``key``; None if there is no such live one.

    The UPDATE is conditional, so that two requests at once revoke (and report) it once.
    """
    browser = TrustedBrowser.objects.filter(key=key, user=user, revoked_at=None).first()
    if browser is None:
        return None
    browser.revoked_at = timezone.now()
    if not TrustedBrowser.objects.filter(pk=browser.pk, revoked_at=None).update(
            revoked_at=browser.revoked_at):
        return None
    announce_revoked(request, user, browser)
    return browser


def announce_revoked(request: Any, user: Any, browser: TrustedBrowser) -> None:
    """``TRUSTED_BROWSER_REVOKED`` for one browser of ``user``, naming it and its device."""
    emit(request, TRUSTED_BROWSER_REVOKED, user=user, device=None, browser=browser.key,
         device_id=browser.device_id, device_name=browser.device_name)


def revoke_browsers(request: Any, browsers: Any) -> list[TrustedBrowser]:
    """Revoke the live browsers among ``browsers`` (a queryset: the admin's selection, of any
    users), and tell of each (``emit``: with the audit log or notices on, a row or a mail
    each). Three queries to revoke, whatever the selection: the rows are locked while they are
    read, so that a concurrent revocation does not report one twice."""
    now = timezone.now()
    with transaction.atomic(using=router.db_for_write(TrustedBrowser)):
        live = list(TrustedBrowser.objects.select_for_update()
                    .filter(pk__in=browsers.values("pk"), revoked_at=None))
        TrustedBrowser.objects.filter(pk__in=[browser.pk for browser in live]).update(revoked_at=now)
        # The owners in a query of their own (a join would lock their rows too), while the
        # lock on their browsers holds off their deletion; by the base manager, as a join
        # would find them: a site's default manager may hide deactivated accounts.
        owners = get_user_model()._base_manager.in_bulk({browser.user_id for browser in live})
    for browser in live:
        browser.revoked_at = now
        announce_revoked(request, owners[browser.user_id], browser)
    return live


def revoke_all_browsers(request: Any, user: Any, announce: bool = True) -> int:
    """Revoke every trusted browser of ``user``; returns how many were live."""
    count = TrustedBrowser.objects.filter(user=user, revoked_at=None).update(
        revoked_at=timezone.now())
    if count and announce:
        emit(request, TRUSTED_BROWSER_REVOKED, user=user, count=count)
    return count


def revoke_for_deleted_device(sender: Any, instance: Any, **kwargs: Any) -> None:
    """Receiver of ``post_delete`` for each device model: the browsers trusted for a device
    that is gone are revoked, so that the profile no longer lists them and a device that came
    back with the same id (a restored backup) is not trusted by an old cookie."""
    if settings.TWO_FACTOR_TRUSTED_BROWSERS and instance.pk is not None:
        TrustedBrowser.objects.filter(user_id=instance.user_id, device_id=instance.persistent_id,
                                      revoked_at=None).update(
            revoked_at=timezone.now())


#: Sessions deleted per statement: a bounded number of parameters, however many a user has.
DELETE_BATCH = 500


def end_other_sessions(request: Any, user: Any) -> int | None:
    """Delete ``user``'s sessions other than this one; None when the session engine cannot
    list them (only engines that keep sessions in the database can).

    The database engines store sessions encoded, so every unexpired session is read and
    decoded: a cost that grows with the number of sessions of the site.
    """
    store_class = import_module(django_settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseSessionStore):
        return None
    current = request.session.session_key
    user_id = user._meta.pk.value_to_string(user)
    decoder = store_class()
    keys = [session.session_key for session in store_class.get_model_class().objects
            .filter(expire_date__gt=timezone.now()).only("session_key", "session_data").iterator()
            if session.session_key != current
            and decoder.decode(session.session_data).get(SESSION_KEY) == user_id]
    if store_class.delete not in (DatabaseSessionStore.delete, CachedDatabaseSessionStore.delete):
        for key in keys:  # a store of the site's own: its delete() may do more
            store_class(session_key=key).delete()
        return len(keys)
    for start in range(0, len(keys), DELETE_BATCH):
        chunk = keys[start:start + DELETE_BATCH]
        store_class.get_model_class().objects.filter(session_key__in=chunk).delete()
        if issubclass(store_class, CachedDatabaseSessionStore):
            caches[django_settings.SESSION_CACHE_ALIAS].delete_many(
                [store_class.cache_key_prefix + key for key in chunk])
    return len(keys)


def logout_everywhere(request: Any) -> dict[str, int | None]:
    """Revoke the user's trusted browsers, end their other sessions, then sign this one out."""
    user = request.user
    browsers = revoke_all_browsers(request, user, announce=False)
    sessions = end_other_sessions(request, user)
    emit(request, LOGGED_OUT_EVERYWHERE, user=user, browsers=browsers, sessions=sessions)
    auth_logout(request)
    return {"browsers": browsers, "sessions": sessions}
