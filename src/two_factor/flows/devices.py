"""A user's devices as a whole: what the profile shows, telling of an added device, and removing
them all (disable)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user

from ..conf import settings
from ..events import DEVICE_ADDED, emit
from ..plugins.registry import registry
from ..utils import default_device, forget_default_device, is_verified
from .backup import backup_token_count
from .summary import has_device


def password_only(user: Any) -> bool:
    """Whether ``user`` signed in with the password alone although they have a device (on
    another login page of the site, say): such a session may not act on their second factor
    (add a device, revoke trusted browsers) nor see its records."""
    return bool(user is not None and user.is_authenticated and not is_verified(user)
                and has_device(user))


def device_added(request: Any, device: Any, *, announce: bool = True) -> None:
    """``device`` is a new confirmed device of ``request.user``: every way of adding one (the
    setup wizard, a backup phone, another security key) ends here.

    What this request remembers of the user's devices (the default device, the device summary)
    is dropped, so that code running later in the request sees the new one; then
    ``DEVICE_ADDED`` is emitted, unless ``announce`` is False (a concurrent request added the
    device first, and told of it).
    """
    user = request.user
    forget_default_device(user)
    if announce:
        emit(request, DEVICE_ADDED, user=user, device=device)


def remove_all_devices(user: Any) -> int:
    """Delete every device of ``user``, of every device model, confirmed or not.

    Each device is deleted through its own ``delete()``, so that a plugin's clean-up runs; all
    or none go, in one transaction. Returns the number of devices removed.
    """
    with transaction.atomic():
        devices = list(devices_for_user(user, confirmed=None))
        for device in devices:
            device.delete()
    forget_default_device(user)
    return len(devices)


def forget_verification(request: Any) -> None:
    """End the OTP verification of this session: the user is signed in with a password only."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        user.otp_device = None


def profile_context(user: Any, *, security: bool = True) -> dict[str, Any]:
    """What the profile page shows: the default method, backup methods, backup tokens, and
    with ``security`` the recent security events and trusted browsers (``security_context``).

    Hook for plugins: a registered method may define ``get_profile_context(user)`` returning
    a dict merged into this one (the phone methods fill ``backup_phones`` and
    ``available_phone_methods`` that way). Such a method presents its own devices, so they are
    left out of ``backup_methods``. The core imports no plugin.
    """
    device = default_device(user)
    method = registry.method_from_device(device) if device is not None else None
    context: dict[str, Any] = {
        "default_device": device,
        "default_device_type": type(device).__name__,  # "NoneType" without one, as before
        "default_method": method,
        "backup_methods": [],
        "backup_tokens": backup_token_count(user),
        "backup_phones": [],
        "available_phone_methods": [],
        # ``(label, URL)`` of the methods' own pages for adding a device (a security key, say).
        "add_device_links": [],
    }
    for other in registry.get_methods():
        link = other.get_add_device_link()
        if link is not None:
            context["add_device_links"].append(link)
        hook = getattr(other, "get_profile_context", None)
        if hook is not None:
            context.update(hook(user))
        else:
            context["backup_methods"].extend(other.get_other_authentication_devices(user, device))
    context.update(security_context(user, shown=security))
    return context


def security_context(user: Any, *, shown: bool = True) -> dict[str, Any]:
    """The recent security events and the trusted browsers of ``user``, each while its setting
    is on (one query each). Not ``shown`` (to this session): neither, and ``security_hidden``
    says whether either is on."""
    from .audit import recent_events
    from .trusted import active_browsers

    audit_log, trusted = bool(settings.TWO_FACTOR_AUDIT_LOG), bool(settings.TWO_FACTOR_TRUSTED_BROWSERS)
    return {"audit_log": shown and audit_log,
            "security_events": recent_events(user) if shown and audit_log else [],
            "trusted_browsers_on": shown and trusted,
            "trusted_browsers": active_browsers(user) if shown and trusted else [],
            "security_hidden": not shown and (audit_log or trusted)}
