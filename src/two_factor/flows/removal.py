"""Removing one device: the backup devices (a second security key, an email address, ...) that
the profile lists, each with its own "Remove" button.

The default device is not removed one by one (disabling two-factor authentication removes it
with all the others), nor are the backup tokens (the backup tokens page renews them). Methods
that show their own devices on the profile (``get_profile_context``, e.g. the phone plugin with
its own "Unregister" button) are left to do so.
"""

from __future__ import annotations

from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.models import Device

from .. import events
from ..plugins.registry import registry
from ..utils import default_device, forget_default_device
from .devices import forget_verification
from .login import find_user_device
from .notify import device_kind


def removable_devices(user: Any) -> list[Device]:
    """The user's confirmed devices that the profile offers to remove, method by method."""
    main = default_device(user)
    main_id = main.persistent_id if main is not None else None
    return [device for method in registry.get_methods()
            if getattr(method, "get_profile_context", None) is None
            for device in method.get_devices(user)
            if device.persistent_id != main_id]


def find_removable_device(user: Any, persistent_id: Any) -> Device | None:
    """``user``'s device named by ``persistent_id`` if the profile may remove it, else None."""
    if not isinstance(persistent_id, str) or len(persistent_id) > 255:
        return None
    device = find_user_device(user, persistent_id)
    if device is None:
        return None
    method = registry.method_from_device(device)
    if method is None or getattr(method, "get_profile_context", None) is not None:
        return None
    main = default_device(user)
    if main is not None and main.persistent_id == device.persistent_id:
        return None
    return device


def remove_device(request: Any, device: Device) -> None:
    """Delete ``device`` (through its own ``delete()``); a session it verified is no longer
    verified. Emits ``DEVICE_REMOVED``, unless a concurrent request deleted the row first (and
    told of it)."""
    persistent_id, name, kind = device.persistent_id, device.name, device_kind(device)
    deleted = device.delete()
    forget_default_device(request.user)
    if request.session.get(DEVICE_ID_SESSION_KEY) == persistent_id:
        forget_verification(request)
    if isinstance(deleted, tuple) and not deleted[0]:
        return
    # The device is gone: it is named in the details (as the audit log expects).
    events.emit(request, events.DEVICE_REMOVED, device_id=persistent_id, device_name=name,
                device_kind=kind)
