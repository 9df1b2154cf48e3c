"""django_otp: the OTP device framework for Django.

The functional API: find a user's devices, verify a token, and mark a session as verified.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Device

DEVICE_ID_SESSION_KEY = "otp_device_id"

logger = logging.getLogger("django_otp")

__all__ = [
    "DEVICE_ID_SESSION_KEY", "login", "alogin", "verify_token", "match_token", "devices_for_user",
    "user_has_device", "device_classes",
]


def login(request: HttpRequest, device: Device | None) -> None:
    """Persist ``device`` as the one that verified the current user in this session.

    Does nothing unless the user is signed in and ``device`` is theirs.
    """
    user = getattr(request, "user", None)
    if (user is not None and device is not None and user.is_authenticated
            and device.user_id == user.pk):
        from .verified import set_otp_device

        _renew_key_sent(request)
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        set_otp_device(user, device)


def _handle_auth_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """Keep an OTP verification across ``auth.login()``, which may flush the session."""
    device = getattr(user, "otp_device", None)
    if device is not None and request is not None and hasattr(request, "session"):
        _renew_key_sent(request)
        request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id


def _renew_key_sent(request: HttpRequest) -> None:
    """A session that gains a verification gets a new key, unless this request renewed it
    already. ``auth.login()`` keeps the key of a session that is already the user's (signed in
    with a password only): a key planted in the victim's browser, or copied from it, before
    the token would otherwise be a verified session after it (session fixation). A session
    verified already keeps its key (a step-up verification, or ``login()`` on every request).

    Not in async code, where the session's database is out of reach of sync code:
    ``alogin()`` renews it there."""
    if not _in_event_loop() and _key_to_renew(request, request.session.get(DEVICE_ID_SESSION_KEY)):
        request.session.cycle_key()


def _key_to_renew(request: HttpRequest, verified_by: Any) -> bool:
    """Whether the session, verified by no device yet (``verified_by``), has the key its
    browser sent."""
    from django.conf import settings

    sent = getattr(request, "COOKIES", {}).get(settings.SESSION_COOKIE_NAME)
    return bool(sent) and verified_by is None and request.session.session_key == sent


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def alogin(request: HttpRequest, device: Device | None) -> None:
    """``login()`` for async code: the user of ``await request.auser()``, and the session
    (a new key when it gains a verification) through its async API."""
    auser = getattr(request, "auser", None)
    user = await auser() if auser is not None else getattr(request, "user", None)
    if (user is None or device is None or not user.is_authenticated
            or device.user_id != user.pk):
        return
    from .verified import set_otp_device

    session = request.session
    if _key_to_renew(request, await session.aget(DEVICE_ID_SESSION_KEY)):
        await session.acycle_key()
    await session.aset(DEVICE_ID_SESSION_KEY, device.persistent_id)
    set_otp_device(user, device)


def _locking(devices_need_lock: bool):
    from django.db import transaction

    return transaction.atomic() if devices_need_lock else nullcontext()


def verify_token(user: Any, device_id: str, token: Any) -> Device | None:
    """The device named by ``device_id`` if it is ``user``'s and accepts ``token``, else None."""
    from .models import Device, _parse_persistent_id

    found = _parse_persistent_id(device_id)
    if found is None:
        return None
    with _locking(not found[0].claims_tokens_atomically):
        device = Device.from_persistent_id(device_id, for_verify=True)
        if device is None or device.user_id != getattr(user, "pk", None):
            return None
        return device if _accepts(device, token) else None


def match_token(user: Any, token: Any) -> Device | None:
    """The first of ``user``'s confirmed devices that accepts ``token``, or None."""
    classes = device_classes()
    with _locking(any(not model.claims_tokens_atomically for model in classes)):
        for device in devices_for_user(user, for_verify=True):
            if _accepts(device, token):
                return device
    return None


def _accepts(device: Device, token: Any) -> bool:
    """``device.verify_token(token)``; a device that asks a service on the network (a remote
    YubiKey) and cannot reach it refuses the token, rather than failing the request."""
    try:
        return bool(device.verify_token(token))
    except OSError:  # URLError, a timeout, TLS: the service is down, not the user wrong
        logger.exception("%s could not check a token", device.persistent_id)
        return False


def devices_for_user(user: Any, confirmed: bool | None = True,
                     for_verify: bool = False) -> Iterator[Device]:
    """Every device of ``user`` across all installed device models."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return
    for model in device_classes():
        devices = model.objects.devices_for_user(user, confirmed=confirmed)
        if for_verify and not model.claims_tokens_atomically:
            devices = devices.select_for_update()
        yield from devices


def user_has_device(user: Any, confirmed: bool | None = True) -> bool:
    """Whether ``user`` has at least one device (confirmed, by default)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    return any(model.objects.devices_for_user(user, confirmed=confirmed).exists()
               for model in device_classes())


def device_classes() -> list[type[Device]]:
    """Every concrete ``Device`` model of the installed apps."""
    from django.apps import apps

    from .models import Device

    return [model for model in apps.get_models() if issubclass(model, Device)]
