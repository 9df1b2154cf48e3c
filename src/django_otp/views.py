"""``LoginView``: Django's login view with the OTP token asked for in the same form."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.utils.functional import cached_property

from . import login as otp_login
from .forms import OTPAuthenticationForm, OTPTokenForm


class LoginView(auth_views.LoginView):
    """Anonymous users give password and token; a signed-in, unverified user gives a token."""

    otp_authentication_form = OTPAuthenticationForm
    otp_token_form = OTPTokenForm

    @cached_property
    def authentication_form(self) -> Any:
        user = self.request.user
        # is_verified() is OTPMiddleware's addition to request.user.
        if user.is_anonymous or user.is_verified():  # type: ignore[attr-defined]
            return self.otp_authentication_form
        self._set_session_backend(user)
        return partial(self.otp_token_form, user)

    def _set_session_backend(self, user: Any) -> None:
        """Give the session's user the backend that signed it in, as ``auth.login()`` needs
        when the site has more than one (Django's ``get_user`` does not set it)."""
        backend = self.request.session.get(BACKEND_SESSION_KEY)
        if backend and not getattr(user, "backend", None):
            user.backend = backend

    def form_valid(self, form: Any) -> Any:
        # auth.login() may replace request.user; keep the device that verified the form's user.
        device = getattr(form.get_user(), "otp_device", None)
        response = super().form_valid(form)
        if device is not None:
            otp_login(self.request, device)
        return response
