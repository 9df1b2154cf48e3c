"""What a user object carries about its OTP verification, in a form that pickles.

``user.otp_device`` is the device that verified this session (None: not verified) and
``user.is_verified()`` says whether there is one. ``is_verified`` is a module-level function
bound with ``functools.partial``, not a closure, so that ``request.user`` can still be pickled
(cached, handed to a task) as it could with django-otp. The middleware may leave a pending
loader in place of ``otp_device``; the first read calls it, once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from django.utils.functional import LazyObject, empty

if TYPE_CHECKING:
    from .models import Device

LOADER_ATTR = "_otp_device_loader"


def is_verified(user: Any) -> bool:
    """Whether ``user`` was verified with an OTP device in this session."""
    return otp_device_of(user) is not None


def otp_device_of(user: Any) -> Device | None:
    """``user.otp_device``, read through the pending loader the first time."""
    state = vars(user)
    if "otp_device" not in state:
        loader = state.pop(LOADER_ATTR, None)
        user.otp_device = loader() if loader is not None else None
    return user.otp_device


def set_otp_device(user: Any, device: Device | None) -> None:
    """Record ``device`` as what verified ``user`` (None: not verified), replacing a loader."""
    user = unwrap(user)
    vars(user).pop(LOADER_ATTR, None)
    user.otp_device = device
    user.is_verified = partial(is_verified, user)


def defer_otp_device(user: Any, loader: Callable[[], Device | None]) -> None:
    """Have ``loader()`` tell ``user``'s device on first read.

    An ``otp_device`` left on this object by an earlier request is dropped: only this request's
    session (or a ``django_otp.login()`` during it) may verify the user, as with django-otp.
    """
    vars(user).pop("otp_device", None)
    setattr(user, LOADER_ATTR, loader)
    user.is_verified = partial(is_verified, user)


def unwrap(user: Any) -> Any:
    """The user object itself behind a lazy ``request.user``."""
    if isinstance(user, LazyObject):
        # _wrapped and _setup() are LazyObject's own (private) API, absent from django-stubs.
        if user._wrapped is empty:  # type: ignore[attr-defined]
            user._setup()  # type: ignore[attr-defined]
        return user._wrapped  # type: ignore[attr-defined]
    return user
