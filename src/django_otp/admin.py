"""An admin site that wants a password and a one-time token.

``OTPAdminSite`` admits staff users whose session was verified with an OTP device; its login
page asks for the token in the same form as the password. The device admins live in each
plugin's ``admin.py`` (built on ``django_otp.device_admin``) and register on Django's default
site.

After a successful login, ``auth.login()`` sends ``user_logged_in`` with the form's user, whose
``otp_device`` the form has set; django_otp's receiver stores that device in the new session.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from .forms import OTPAuthenticationForm

__all__ = ["OTPAdminAuthenticationForm", "OTPAdminSite"]


class OTPAdminAuthenticationForm(AdminAuthenticationForm, OTPAuthenticationForm):
    """The admin's login form (staff only) with ``otp_device``, ``otp_token``, ``otp_challenge``.

    The fields and ``clean()`` come from ``OTPAuthenticationForm``; ``AdminAuthenticationForm``
    comes first so that its staff check and error messages win.
    """


class OTPAdminSite(AdminSite):
    """An ``AdminSite`` for staff users who are also OTP-verified in this session."""

    #: The URL namespace of the site; pass another ``name`` to run more than one.
    name = "otpadmin"
    login_form = OTPAdminAuthenticationForm
    login_template = "otp/admin/login.html"

    def __init__(self, name: str = "otpadmin") -> None:
        super().__init__(name)

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _is_verified(request.user)


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None:
        raise ImproperlyConfigured(
            "OTPAdminSite needs 'django_otp.middleware.OTPMiddleware' in MIDDLEWARE, "
            "after 'django.contrib.auth.middleware.AuthenticationMiddleware'.")
    return bool(is_verified())
