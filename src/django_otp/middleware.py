"""``OTPMiddleware``: tells each request whether its user is OTP-verified.

``request.user.otp_device`` is the device that verified this session, or None, and
``request.user.is_verified()`` says whether there is one; both are set on the user object when
``request.user`` is first used, as django-otp did. The device must still exist, belong to the
user and be confirmed, or the session forgets it.

A session that names a device costs no query more than one that does not: the device is loaded
together with the user, in the one query that would have loaded the user, when Django's own
lookup is the plain one (``ModelBackend.get_user`` over the default manager) and would return
that same user (active, same session hash). Otherwise Django loads the user as usual, and the
device by a second query. The same holds for ``await request.auser()``, whose answer also
follows a verification that the request itself makes (``django_otp.login``) or ends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model, load_backend
from django.contrib.auth.backends import ModelBackend
from django.db import models, router
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject, empty

from . import DEVICE_ID_SESSION_KEY
from .fetch import fetch_by_pk
from .models import Device, _parse_persistent_id
from .verified import is_verified as is_verified  # django-otp's name for it, still importable
from .verified import set_otp_device

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase


def _usable(device: Device | None, user: Any) -> Device | None:
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    return device


def _forget(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is not None and DEVICE_ID_SESSION_KEY in session:
        del session[DEVICE_ID_SESSION_KEY]


def _session_device_id(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    return session.get(DEVICE_ID_SESSION_KEY) if session is not None else None


def load_verified_device(request: HttpRequest, user: Any) -> Device | None:
    """The device that verified ``user`` in this session, if it is still valid."""
    if not getattr(user, "is_authenticated", False):
        return None
    persistent_id = _session_device_id(request)
    if persistent_id is None:
        return None
    return _checked(request, Device.from_persistent_id(persistent_id), user)


def _checked(request: HttpRequest, device: Device | None, user: Any) -> Device | None:
    """``device``, already loaded, if it may verify ``user``; else the session forgets it."""
    if not getattr(user, "is_authenticated", False):
        return None
    usable = _usable(device, user)
    if usable is None:
        _forget(request)
    return usable


async def aload_verified_device(request: HttpRequest, user: Any) -> Device | None:
    """``load_verified_device`` in async code: the session through its async API too, which a
    user from the site's own auth layer may have left unread."""
    if not getattr(user, "is_authenticated", False):
        return None
    persistent_id = await _asession_device_id(request)
    if persistent_id is None:
        return None
    device = _usable(await Device.afrom_persistent_id(persistent_id), user)
    if device is None:
        session = getattr(request, "session", None)
        apop = getattr(session, "apop", None)  # a plain dict (tests) has none
        if apop is not None:
            await apop(DEVICE_ID_SESSION_KEY, None)
        elif session is not None:
            session.pop(DEVICE_ID_SESSION_KEY, None)
    return device


async def _asession_device_id(request: HttpRequest) -> str | None:
    session = getattr(request, "session", None)
    aget = getattr(session, "aget", None)  # a plain dict (tests) has none
    if aget is not None:
        return await aget(DEVICE_ID_SESSION_KEY)
    return session.get(DEVICE_ID_SESSION_KEY) if session is not None else None


_NOT_LOADED = object()


class JoinedLoad(NamedTuple):
    """A device loaded with its user in one query (``load_device_with_user``)."""

    device: Device | None  # None: no such device
    #: The backend's ``user_can_authenticate(device.user)``: with a plain lookup, whether its
    #: ``get_user`` returns that user for the user's key (it returns None otherwise).
    user_can_authenticate: bool


def load_device_with_user(persistent_id: Any, backend_path: Any) -> JoinedLoad | None:
    """The device named by ``persistent_id`` with its user joined, in one query; None (and no
    query) unless the backend at ``backend_path`` looks users up as ``ModelBackend`` does over a
    plain default manager on the same database, so that the joined row is what it would load."""
    found = _parse_persistent_id(persistent_id)
    backend = plain_user_backend(backend_path)
    if found is None or backend is None:
        return None
    model, device_pk = found
    if router.db_for_read(model) != router.db_for_read(get_user_model()):
        return None
    device = fetch_by_pk(model, device_pk, with_user=True)
    return JoinedLoad(device, device is not None and backend.user_can_authenticate(device.user))


def plain_user_backend(path: Any) -> ModelBackend | None:
    """The authentication backend at ``path`` (one of the site's) if its ``get_user`` is
    ``ModelBackend``'s over a plain default manager; else None."""
    if not isinstance(path, str) or path not in settings.AUTHENTICATION_BACKENDS:
        return None
    backend = load_backend(path)
    manager = get_user_model()._default_manager
    plain = (type(backend).get_user is ModelBackend.get_user
             and type(manager).get_queryset is models.Manager.get_queryset
             # A private attribute of Django's managers, not in django-stubs.
             and manager._queryset_class is models.QuerySet  # type: ignore[attr-defined]
             and manager._db is None)
    # Its get_user is ModelBackend's, which calls user_can_authenticate(): it has ModelBackend's API.
    return cast(ModelBackend, backend) if plain else None


def _user_with_device(request: HttpRequest) -> tuple[Any, Any]:
    """(user, device) from one query: the session's device with its user joined.

    The user is None unless it is the very user ``django.contrib.auth.get_user`` would return
    (then Django need not look again); the device is ``_NOT_LOADED`` when nothing was queried,
    else the row named by the session (None when it is gone), to be checked against the user.
    """
    session = getattr(request, "session", None)
    loaded = (load_device_with_user(session.get(DEVICE_ID_SESSION_KEY), session.get(BACKEND_SESSION_KEY))
              if session is not None else None)
    if loaded is None:
        return None, _NOT_LOADED
    session = cast("SessionBase", session)  # nothing is loaded without a session
    device = loaded.device
    if device is None or not loaded.user_can_authenticate:
        return None, device  # Django loads the user as usual
    user = device.user
    try:
        same_user = user._meta.pk.to_python(session.get(SESSION_KEY)) == user.pk
    except Exception:  # a key that does not parse: Django's lookup decides what that means
        same_user = False
    session_hash = session.get(HASH_SESSION_KEY)
    if same_user and isinstance(session_hash, str) and constant_time_compare(
            session_hash, user.get_session_auth_hash()):
        return user, device
    return None, device  # Django loads the user (and flushes a stale session) as usual


def _session_device(request: HttpRequest, user: Any, device: Any = _NOT_LOADED) -> Device | None:
    """The session's device for ``user``: ``device`` when it was loaded with the user
    (checked here, no query), else read by key."""
    if device is _NOT_LOADED:
        return load_verified_device(request, user)
    return _checked(request, device, user)


class OTPMiddleware:
    """Install after ``AuthenticationMiddleware``; works in sync and async stacks."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any] | None = None) -> None:
        # None only for an instance whose helpers alone are called (in tests), never called itself.
        self.get_response: Callable[[HttpRequest], Any] = get_response  # type: ignore[assignment]
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        self._wrap_user(request)
        self._wrap_auser(request)  # an async view in a sync stack awaits it too
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self._wrap_user(request)
        self._wrap_auser(request)
        return await self.get_response(request)

    def _wrap_auser(self, request: HttpRequest) -> None:
        auser = getattr(request, "auser", None)
        if auser is not None:
            request.auser = self._verified_auser(request, auser)

    def _wrap_user(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is None:
            return

        def setup() -> Any:
            lazy = isinstance(user, SimpleLazyObject)
            real_user = user._wrapped if lazy else user
            device = _NOT_LOADED
            if lazy and real_user is empty and not hasattr(request, "_cached_user"):
                real_user, device = _user_with_device(request)
                if real_user is not None:  # what AuthenticationMiddleware's lookup returns
                    # AuthenticationMiddleware's private cache of the user, not in django-stubs.
                    request._cached_user = real_user  # type: ignore[attr-defined]
            if lazy and user._wrapped is empty:
                user._setup()
            real_user = user._wrapped if lazy else user
            set_otp_device(real_user, _session_device(request, real_user, device))
            return real_user

        # A lazy proxy of the user, as AuthenticationMiddleware sets one (django-stubs has no
        # type for that).
        request.user = SimpleLazyObject(setup)  # type: ignore[assignment]

    def _verified_auser(self, request: HttpRequest, auser: Callable[[], Any]) -> Callable[[], Any]:
        # The user whose answer was loaded, and the session's device id it was loaded for: it
        # is loaded again when the request has since verified the session (django_otp.login)
        # or ended its verification.
        loaded_user: Any = None
        loaded_for: Any = _NOT_LOADED

        async def verified_auser() -> Any:
            nonlocal loaded_user, loaded_for
            if (loaded_for is _NOT_LOADED and not hasattr(request, "_acached_user")
                    and await _asession_device_id(request) is not None):
                # As on the sync path: the device with its user, in the query that loads the user.
                joined, device = await sync_to_async(_user_with_device)(request)
                if joined is not None:
                    request._acached_user = joined  # type: ignore[attr-defined]  # Django's cache
                    set_otp_device(joined, _checked(request, device, joined))
                    loaded_user, loaded_for = joined, await _asession_device_id(request)
            user = await auser()
            if user is not loaded_user or await _asession_device_id(request) != loaded_for:
                set_otp_device(user, await aload_verified_device(request, user))
                loaded_user, loaded_for = user, await _asession_device_id(request)
            return user

        return verified_auser
