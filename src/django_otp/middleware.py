"""``OTPMiddleware``: tells each request whether its user is OTP-verified, lazily.

``request.user.otp_device`` is the device that verified this session, or None, and
``request.user.is_verified()`` says whether there is one. Nothing is queried until one of the
two is read; then one query loads the device, which must still exist, belong to the user and
be confirmed, or the session forgets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

from . import DEVICE_ID_SESSION_KEY
from .models import Device


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
    device = _usable(Device.from_persistent_id(persistent_id), user)
    if device is None:
        _forget(request)
    return device


async def aload_verified_device(request: HttpRequest, user: Any) -> Device | None:
    if not getattr(user, "is_authenticated", False):
        return None
    persistent_id = _session_device_id(request)
    if persistent_id is None:
        return None
    device = _usable(await Device.afrom_persistent_id(persistent_id), user)
    if device is None:
        _forget(request)
    return device


def _install(user: Any, load: Callable[[], Device | None]) -> Any:
    """Give ``user`` an ``is_verified()`` that loads the device on first call."""
    def otp_device() -> Device | None:
        if "otp_device" in vars(user):  # set by django_otp.login() or a previous read
            return user.otp_device
        device = load()
        user.otp_device = device
        return device

    def is_verified() -> bool:
        return otp_device() is not None

    user.is_verified = is_verified
    user._otp_device_loader = otp_device
    return user


class OTPUser(SimpleLazyObject):
    """``request.user`` with a lazy ``otp_device``: no query until someone reads it."""

    def __getattr__(self, name: str) -> Any:
        if name == "otp_device":
            if self._wrapped is empty:
                self._setup()
            loader = getattr(self._wrapped, "_otp_device_loader", None)
            if loader is not None:
                return loader()
        return super().__getattr__(name)


class OTPMiddleware:
    """Install after ``AuthenticationMiddleware``; works in sync and async stacks."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        self._wrap_user(request)
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        self._wrap_user(request)
        auser = getattr(request, "auser", None)
        if auser is not None:
            request.auser = self._verified_auser(request, auser)
        return await self.get_response(request)

    def _wrap_user(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is None:
            return

        def setup() -> Any:
            # Resolving the user is AuthenticationMiddleware's lazy object; no device query yet.
            real_user = user._wrapped if isinstance(user, SimpleLazyObject) else user
            if isinstance(user, SimpleLazyObject) and real_user is empty:
                user._setup()
                real_user = user._wrapped
            return _install(real_user, lambda: load_verified_device(request, real_user))

        request.user = OTPUser(setup)

    def _verified_auser(self, request: HttpRequest, auser: Callable[[], Any]) -> Callable[[], Any]:
        async def verified_auser() -> Any:
            user = await auser()
            if "otp_device" not in vars(user):
                user.otp_device = await aload_verified_device(request, user)
                _install(user, lambda: user.otp_device)
            return user

        return verified_auser
