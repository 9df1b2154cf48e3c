"""An admin site that wants a password and a one-time token.

``OTPAdminSite`` admits staff users whose session was verified with an OTP device; its login
page asks for the token in the same form as the password. The device admins live in each
plugin's ``admin.py`` (built on ``django_otp.device_admin``) and register on Django's default
site.

After a successful login, ``auth.login()`` sends ``user_logged_in`` with the form's user, whose
``otp_device`` the form has set; django_otp's receiver stores that device in the new session.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.http import HttpRequest

from .forms import OTPAuthenticationForm

__all__ = ["OTPAdminAuthenticationForm", "OTPAdminSite", "user_model_search_fields"]


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
    login_template = "otp/admin111/login.html"  # django-otp's name, which sites override

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


def user_model_search_fields(field_names: Iterable[str]) -> list[str]:
    """``user__<name>`` admin search fields for those of ``field_names`` that the user model has.

    A custom user model may lack ``email`` or ``first_name``: a device admin that searches them
    asks for them here rather than breaking its changelist.
    """
    meta = get_user_model()._meta
    found = []
    for name in field_names:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if field.concrete and not field.is_relation:  # a relation is not searched as text
            found.append(f"user__{name}")
    return found
