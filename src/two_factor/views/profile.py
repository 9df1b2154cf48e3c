"""``ProfileView`` (your two-factor settings), ``DisableView`` (remove every device), and the
POST-only views that revoke trusted browsers and sign out everywhere."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView, View

from django_otp.conf import settings as otp_settings

from ..events import TWO_FACTOR_DISABLED, emit
from ..flows.devices import forget_verification, password_only, profile_context, remove_all_devices
from ..flows.remember import delete_remember_cookie, remember_cookie_names
from ..flows.removal import removable_devices
from ..flows.trusted import logout_everywhere, revoke_all_browsers, revoke_browser
from ..forms import DisableForm
from ..utils import is_verified, safe_next_url, success_url_or_home
from .mixins import (
    OTPLoginRequiredMixin,
    ReauthenticationRequiredMixin,
    otp_required_explanation,
)


@method_decorator(never_cache, name="dispatch")
class ProfileView(LoginRequiredMixin, TemplateView):
    """Whether two-factor authentication is on, the primary method and the backup methods."""

    template_name = "two_factor/profile/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # A session signed in with the password alone sees no records of the second factor.
        context.update(profile_context(user, security=not password_only(user)))
        removable = removable_devices(user)
        # Each device once: a backup method gets its "Remove" button where it is listed, and
        # "Your other devices" holds only the removable devices not listed as backup methods.
        listed = {device.persistent_id for device in context["backup_methods"]}
        context["removable_devices"] = removable
        context["removable_ids"] = {device.persistent_id for device in removable}
        context["other_removable_devices"] = [
            device for device in removable if device.persistent_id not in listed]
        return context


@method_decorator(never_cache, name="dispatch")
class DisableView(OTPLoginRequiredMixin, ReauthenticationRequiredMixin, FormView):
    """Turn two-factor authentication off: after a confirmation, remove every device.

    Then to a safe ``next``, else ``success_url``, else ``LOGIN_REDIRECT_URL``.
    """

    form_class = DisableForm
    template_name = "two_factor/profile/disable.html"
    success_url: str | None = None

    def otp_refusal(self, request: HttpRequest) -> HttpResponse | None:
        """As django-two-factor-auth's: a session not verified by a device goes to
        ``success_url``, else ``OTP_LOGIN_URL``, with no ``next`` (its tests compare the URL);
        an anonymous user to the sign-in with ``next``."""
        user = request.user
        if user.is_authenticated and not is_verified(user):
            return HttpResponseRedirect(resolve_url(self.success_url or otp_settings.OTP_LOGIN_URL))
        return super().otp_refusal(request)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["redirect_field_name"] = self.redirect_field_name
        context["redirect_to"] = self._safe_next() or ""
        return context

    def form_valid(self, form: DisableForm) -> HttpResponse:
        count = remove_all_devices(self.request.user)
        emit(self.request, TWO_FACTOR_DISABLED, user=self.request.user, devices=count)
        forget_verification(self.request)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self) -> str:
        return self._safe_next() or success_url_or_home(self.success_url)

    def _safe_next(self) -> str | None:
        return safe_next_url(self.request, self.redirect_field_name)


class SecondFactorSessionMixin(LoginRequiredMixin):
    """Signed in, and verified by a device unless the user has none: a session signed in with
    the password alone (elsewhere on the site) of a user who has a device gets the 403 page
    that explains why, with the way to sign in with the device and back to the profile."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if password_only(request.user):
            return otp_required_explanation(request, resolve_url("two_factor:profile"),
                                            resolve_url("two_factor:login"))
        return super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class TrustedBrowserRevokeView(SecondFactorSessionMixin, View):
    """POST: revoke one of the user's trusted browsers (by its key); another's is a 404."""

    http_method_names = ["post"]
    success_url = "two_factor:profile"

    def post(self, request: HttpRequest, key: str, *args: Any, **kwargs: Any) -> HttpResponse:
        if revoke_browser(request, request.user, key) is None:
            raise Http404("No such trusted browser")
        return HttpResponseRedirect(resolve_url(self.success_url))


@method_decorator(never_cache, name="dispatch")
class TrustedBrowsersRevokeAllView(SecondFactorSessionMixin, View):
    """POST: revoke every trusted browser of the user."""

    http_method_names = ["post"]
    success_url = "two_factor:profile"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        revoke_all_browsers(request, request.user)
        return HttpResponseRedirect(resolve_url(self.success_url))


@method_decorator(never_cache, name="dispatch")
class LogoutEverywhereView(SecondFactorSessionMixin, View):
    """POST: revoke the user's trusted browsers, end their other sessions (where the session
    engine allows it) and sign this one out; then the sign-in page."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        logout_everywhere(request)
        response = HttpResponseRedirect(resolve_url(django_settings.LOGIN_URL))
        for name in remember_cookie_names(request):  # this browser forgets its own too
            delete_remember_cookie(response, name)
        return response
