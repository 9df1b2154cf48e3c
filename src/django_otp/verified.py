"""What a user object carries about its OTP verification, in a form that pickles.

``user.otp_device`` is the device that verified this session (None: not verified) and
``user.is_verified()`` says whether there is one. Both are plain attributes of the user object
itself, as django-otp set them, so that a user model's own methods can read them.
``is_verified`` is a module-level function bound with ``functools.partial``, not a closure, so
that ``request.user`` can still be pickled (cached, handed to a task) as it could with django-otp.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from django.utils.functional import LazyObject, empty

if TYPE_CHECKING:
    from .models import Device


def is_verified(user: Any) -> bool:
    """Whether ``user`` was verified with an OTP device in this session."""
    return getattr(user, "otp_device", None) is not None


def set_otp_device(user: Any, device: Device | None) -> None:
    """Record ``device`` as what verified ``user`` (None: not verified), replacing whatever an
    earlier request left on the object: only this request's session (or a
    ``django_otp.login()`` during it) may verify the user, as with django-otp."""
    user = unwrap(user)
    user.otp_device = device
    user.is_verified = partial(is_verified, user)


def unwrap(user: Any) -> Any:
    """The user object itself behind a lazy ``request.user``."""
    if isinstance(user, LazyObject):
        # _wrapped and _setup() are LazyObject's own (private) API, absent from django-stubs.
        if user._wrapped is empty:  # type: ignore[attr-defined]
            user._setup()  # type: ignore[attr-defined]
        return user._wrapped  # type: ignore[attr-defined]
    return user
