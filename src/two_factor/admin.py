"""Admin sites that demand an OTP-verified staff session.

``AdminSiteOTPRequired`` (or ``AdminSiteOTPRequiredMixin`` on your own ``AdminSite``) admits
active staff users whose session was verified by a device, on every admin URL; everyone else is
sent to the two_factor sign-in (``LOGIN_URL``). Custom admin views must be wrapped with
``admin_view()`` or check ``has_permission()``.

``patch_admin()`` is something else: it makes the login page of every admin site redirect to
the two_factor sign-in, so that there is one sign-in page, and a user with a device gives a token
there rather than a password alone on an admin's own form. It changes ``AdminSite.login`` on the
class, as django-two-factor-auth did, so a second site (``OTPAdminSite`` included) is covered
too; a site class that defines its own ``login`` (``AdminSiteOTPRequired``) keeps it. It does not
demand OTP on the admin's other pages. ``TwoFactorConfig.ready()`` calls it only when
``TWO_FACTOR_PATCH_ADMIN`` is true.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_otp import user_has_device

from .utils import safe_next_url
from .views.setup import SETUP_NEXT_SESSION_KEY

__all__ = [
    "AdminSiteOTPRequiredMixin", "AdminSiteOTPRequired", "patch_admin", "unpatch_admin", "is_admin_patched",
]


def _safe_next(site: AdminSite, request: HttpRequest) -> str:
    """The ``next`` of the request if it stays on this host, else the site's index."""
    return safe_next_url(request) or reverse("admin:index", current_app=site.name)


def _next_for_sign_in(request: HttpRequest) -> str:
    """Where the sign-in goes on to: the ``next`` of the request if it stays on this host,
    else ``LOGIN_REDIRECT_URL``, as django-two-factor-auth sent it."""
    return safe_next_url(request) or str(resolve_url(django_settings.LOGIN_REDIRECT_URL))


def _sign_in_url(request: HttpRequest) -> str:
    """``LOGIN_URL``; the two_factor sign-in if LOGIN_URL is this very page (no loop)."""
    url = str(resolve_url(django_settings.LOGIN_URL))
    if url.split("?")[0] == request.path:
        url = reverse("two_factor:login")
    return url


def _login_redirect(site: AdminSite, request: HttpRequest) -> HttpResponse:
    """What an admin login page does: the admitted go on, the others go to the sign-in."""
    if request.method == "GET" and site.has_permission(request):
        return HttpResponseRedirect(_safe_next(site, request))
    return redirect_to_login(_next_for_sign_in(request), _sign_in_url(request))


if TYPE_CHECKING:
    # The mixin comes before AdminSite, and extends it through super(): checked as one.
    _AdminSiteBase = AdminSite
else:
    _AdminSiteBase = object


class AdminSiteOTPRequiredMixin(_AdminSiteBase):
    """Admit active staff users verified by a device; put it before ``AdminSite``.

    Custom admin views must be wrapped with ``admin_view()`` or check ``has_permission()``.
    """

    def has_permission(self, request: HttpRequest) -> bool:
        if not super().has_permission(request):
            return False
        return _is_verified(request.user)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """No form here: send the user to the two_factor sign-in (``LOGIN_URL``) with ``next``.

        Staff signed in with the password alone who have no device yet are sent to the setup
        wizard instead (the sign-in could never verify them), at its own address as the old
        package sent them; its last page links back here (the way back is in the session).
        """
        user = request.user
        if (user.is_active and user.is_staff and not _is_verified(user)
                and not user_has_device(user)):
            request.session[SETUP_NEXT_SESSION_KEY] = _safe_next(self, request)
            return HttpResponseRedirect(reverse("two_factor:setup"))
        return _login_redirect(self, request)


class AdminSiteOTPRequired(AdminSiteOTPRequiredMixin, AdminSite):
    """An ``AdminSite`` for OTP-verified staff users."""


def _is_verified(user: Any) -> bool:
    is_verified = getattr(user, "is_verified", None)
    if is_verified is None:
        raise ImproperlyConfigured(
            "AdminSiteOTPRequired needs 'django_otp.middleware.OTPMiddleware' in MIDDLEWARE, "
            "after 'django.contrib.auth.middleware.AuthenticationMiddleware'.")
    return bool(is_verified())


def _patched_login(self: AdminSite, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """An admin site's login page, patched: redirect to the two_factor sign-in."""
    return _login_redirect(self, request)


_original_login = AdminSite.login


def patch_admin() -> None:
    """Make the login page of every admin site redirect to the two_factor sign-in.

    Without ``django.contrib.admin`` in INSTALLED_APPS there is nothing to patch.
    """
    if apps.is_installed("django.contrib.admin") and not is_admin_patched():
        AdminSite.login = _patched_login  # type: ignore[method-assign]


def unpatch_admin() -> None:
    """Give the admin sites their own login page back."""
    if is_admin_patched():
        AdminSite.login = _original_login  # type: ignore[method-assign]


def is_admin_patched() -> bool:
    """Whether ``patch_admin()`` is in force."""
    return AdminSite.__dict__.get("login") is _patched_login


# The audit log and the trusted browsers, on the default admin site.


class SecurityEventAdmin(admin.ModelAdmin):
    """The audit log, read only for everyone: a record that can be edited or deleted here is
    no record (old rows go with the ``two_factor_prune_events`` command)."""

    list_display: tuple[str, ...] = ("time", "user", "event", "device_name", "ip", "browser")
    list_filter = ("event", "time")
    date_hierarchy = "time"
    list_select_related = ("user",)
    readonly_fields = ("time", "user", "event", "device_id", "device_name", "ip", "user_agent",
                       "extra")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return (f"user__{get_user_model().USERNAME_FIELD}", "ip")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TrustedBrowserAdmin(SecurityEventAdmin):
    """Trusted browsers, read only; staff may revoke them (a stolen laptop, say)."""

    list_display = ("user", "device_name", "created_at", "last_used_at", "ip", "browser",
                    "revoked_at")
    list_filter = ("revoked_at", "created_at")
    date_hierarchy = "created_at"
    readonly_fields = ("user", "device_id", "device_name", "created_at", "last_used_at", "ip",
                       "user_agent", "revoked_at")
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("two_factor.change_trustedbrowser")

    @admin.action(description=_("Revoke the selected trusted browsers"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        from .flows.trusted import revoke_browsers

        revoked = revoke_browsers(request, queryset)
        self.message_user(request, ngettext("%(count)d trusted browser revoked.",
                                            "%(count)d trusted browsers revoked.",
                                            len(revoked)) % {"count": len(revoked)})


def _register_log_admins() -> None:
    from .models import SecurityEvent, TrustedBrowser

    for model, model_admin in ((SecurityEvent, SecurityEventAdmin),
                               (TrustedBrowser, TrustedBrowserAdmin)):
        if not admin.site.is_registered(model):
            admin.site.register(model, model_admin)


if apps.is_installed("django.contrib.admin"):
    _register_log_admins()
