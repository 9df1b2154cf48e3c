"""``OTPRequiredMixin``: a view for users who signed in with their second factor."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse

from django_otp import user_has_device


class OTPRequiredMixin:
    """Let through verified users only. Put it left-most among the view's bases.

    Anonymous users go to ``login_url`` (or get a 403 with ``raise_anonymous``); signed-in but
    unverified users go to ``verification_url``, get a 403 with ``raise_unverified``, or are
    shown ``two_factor/core/otp_required.html`` that explains why.
    """

    raise_anonymous = False
    login_url: str | None = None
    redirect_field_name = "next"
    raise_unverified = False
    verification_url: str | None = None

    def get_login_url(self) -> str:
        return str(resolve_url(self.login_url or "two_factor:login"))

    def get_verification_url(self) -> str | None:
        return str(resolve_url(self.verification_url)) if self.verification_url else None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user or not user.is_authenticated:
            if self.raise_anonymous:
                raise PermissionDenied
            return redirect_to_login(request.get_full_path(), self.get_login_url(),
                                     self.redirect_field_name)
        if not _is_verified(user):
            if self.raise_unverified:
                raise PermissionDenied
            verification_url = self.get_verification_url()
            if verification_url:
                return redirect_to_login(request.get_full_path(), verification_url,
                                         self.redirect_field_name)
            context = {"setup_url": reverse("two_factor:setup"),
                       "has_device": user_has_device(user),
                       "login_url": redirect_to_login(request.get_full_path(), self.get_login_url(),
                                                      self.redirect_field_name).url}
            return TemplateResponse(request, "two_factor/core/otp_required.html", context,
                                    status=403)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())
