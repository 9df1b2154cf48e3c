"""``otp_required``: ``login_required`` for OTP-verified users."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import user_passes_test
from django.utils.functional import lazy

from . import user_has_device
from .conf import settings

# Read at request time, so that the setting can change after import (tests, for one).
_otp_login_url = lazy(lambda: str(settings.OTP_LOGIN_URL), str)


def otp_required(view: Callable | None = None, redirect_field_name: str = "next",
                 login_url: str | None = None, if_configured: bool = False) -> Any:
    """Let through users verified by a device; redirect the rest to ``OTP_LOGIN_URL``.

    With ``if_configured=True``, an authenticated user with no confirmed device passes too.
    Works with and without arguments: ``@otp_required`` or ``@otp_required(login_url=...)``.
    """

    def test(user: Any) -> bool:
        if not user.is_authenticated:
            return False
        verified = getattr(user, "is_verified", None)
        if verified is not None and verified():
            return True
        return if_configured and not user_has_device(user)

    passes_test = user_passes_test(test, login_url=login_url or _otp_login_url(),
                                   redirect_field_name=redirect_field_name)

    def decorator(func: Callable) -> Callable:
        wrapped = passes_test(func)
        # Read by two_factor's sign-in: a user without a device who signs in on the way to such
        # a view is sent to set one up first (with ``if_configured`` the view lets them in).
        wrapped.otp_required = not if_configured  # type: ignore[attr-defined]
        return wrapped

    return decorator if view is None else decorator(view)
