"""``OTPRequiredMixin``: a view for users who signed in with their second factor
(``OTPLoginRequiredMixin``: the same, redirecting as ``otp_required`` does);
``ReauthenticationRequiredMixin`` and ``reauthentication_required``: a view for sessions that
proved their user's identity recently (see ``two_factor.flows.reauth``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import Resolver404, get_script_prefix, resolve, reverse

from django_otp.conf import settings as otp_settings

from ..flows import reauth
from ..flows.summary import has_device
from ..utils import default_device, is_verified

#: Query parameter set when the re-authentication page interrupted a form submission.
RESUBMIT_PARAM = "resubmit"


def checked_dispatch(view: Any, refusal: Callable[[HttpRequest], HttpResponse | None],
                     dispatch: Callable[..., Any], request: HttpRequest, *args: Any,
                     **kwargs: Any) -> Any:
    """``dispatch`` (the next in the view's MRO) unless ``refusal`` answers the request.

    For an async view the check, which reads the database, runs in a thread
    (``sync_to_async``), and what is returned is a coroutine, as Django expects of it.
    """
    if getattr(view, "view_is_async", False):
        async def checked() -> Any:
            answer = await sync_to_async(refusal)(request)
            return answer if answer is not None else await dispatch(request, *args, **kwargs)

        return checked()
    answer = refusal(request)
    return answer if answer is not None else dispatch(request, *args, **kwargs)


class OTPRequiredMixin:
    """Let through verified users only. Put it left-most among the view's bases.

    Anonymous users, and signed-in users who have a default device but whose session was not
    verified with it, go to ``get_login_url()`` with ``next`` (or get a 403 with
    ``raise_anonymous``): signing in with the device verifies them. Signed-in users without a
    default device go to ``verification_url``, get a 403 with ``raise_unverified``, or are
    shown ``two_factor/core/otp_required.html`` (403) that offers the setup.
    """

    raise_anonymous = False
    login_url: str | None = None
    redirect_field_name = "next"
    raise_unverified = False
    verification_url: str | None = None

    def get_login_url(self) -> str:
        """``login_url`` (a URL or URL name), else ``two_factor:login``."""
        return str(resolve_url(self.login_url or "two_factor:login"))

    def get_verification_url(self) -> str | None:
        return str(resolve_url(self.verification_url)) if self.verification_url else None

    @classmethod
    def is_otp_view(cls, view_path: str | None) -> bool:
        """Whether ``view_path`` (a URL path of this site, a query allowed) is served by a view
        that only verified users may see: one with this mixin, or one decorated with
        ``django_otp.decorators.otp_required`` (without ``if_configured``). The sign-in sends a
        user without a device who is on the way to such a view to set one up first."""
        if not view_path:
            return False
        path, prefix = urlsplit(view_path).path, get_script_prefix()
        if path.startswith(prefix):  # a site mounted below / (SCRIPT_NAME)
            path = "/" + path[len(prefix):]
        try:
            func = resolve(path).func
        except (Resolver404, ValueError):
            return False
        view_class = getattr(func, "view_class", None)
        return (isinstance(view_class, type) and issubclass(view_class, cls)) or bool(
            getattr(func, "otp_required", False))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return checked_dispatch(self, self.otp_refusal, super().dispatch,  # type: ignore[misc]
                                request, *args, **kwargs)

    def otp_refusal(self, request: HttpRequest) -> HttpResponse | None:
        """The answer to a user this view does not let through, or None to let them in."""
        user = request.user
        if not user or not user.is_authenticated or (
                not is_verified(user) and default_device(user) is not None):
            if self.raise_anonymous:
                raise PermissionDenied
            return redirect_to_login(request.get_full_path(), self.get_login_url(),
                                     self.redirect_field_name)
        if not is_verified(user):
            if self.raise_unverified:
                raise PermissionDenied
            verification_url = self.get_verification_url()
            if verification_url:
                return redirect_to_login(request.get_full_path(), verification_url,
                                         self.redirect_field_name)
            return otp_required_explanation(request, request.get_full_path(),
                                            self.get_login_url(), self.redirect_field_name)
        return None


def otp_required_explanation(request: HttpRequest, back_to: str, login_url: str,
                             redirect_field_name: str = "next") -> TemplateResponse:
    """``two_factor/core/otp_required.html`` (403) for a session not verified with a device:
    the way to sign in with the device, or to set one up, and then back to ``back_to``."""
    # ``next``, whatever the view's own field is called: the setup page reads that one.
    setup_url = reverse("two_factor:setup") + "?" + urlencode({REDIRECT_FIELD_NAME: back_to})
    context = {"setup_url": setup_url,
               "has_device": has_device(request.user),
               "login_url": redirect_to_login(back_to, login_url, redirect_field_name).url}
    return TemplateResponse(request, "two_factor/core/otp_required.html", context, status=403)


class OTPLoginRequiredMixin(OTPRequiredMixin):
    """``OTPRequiredMixin`` the way django_otp's ``otp_required`` decorator behaves: everyone who
    is not verified (anonymous, or signed in with or without a device) goes to
    ``OTP_LOGIN_URL`` (default ``LOGIN_URL``) with ``next``; no 403 page.

    The views that the old package protected with ``otp_required`` use it (backup tokens,
    disable, the backup phones), so that sites keep their redirects. ``login_url`` and
    ``verification_url``, when set, still win.
    """

    def get_login_url(self) -> str:
        return str(resolve_url(self.login_url or otp_settings.OTP_LOGIN_URL))

    def get_verification_url(self) -> str | None:
        return super().get_verification_url() or self.get_login_url()


def reauthentication_redirect(request: HttpRequest, next_url: str) -> HttpResponse:
    """Send the user to ``two_factor:reauthenticate``, then back to ``next_url``.

    A request that submitted a form (not GET or HEAD) loses its data: the page says so.
    """
    query = {"next": next_url}
    if request.method not in ("GET", "HEAD"):
        query[RESUBMIT_PARAM] = "1"
    return HttpResponseRedirect(f"{reverse('two_factor:reauthenticate')}?{urlencode(query)}")


def needs_reauthentication(request: HttpRequest) -> bool:
    """Whether ``request``'s signed-in user must prove their identity again before a sensitive
    action (``TWO_FACTOR_REAUTHENTICATION_AGE`` set, and no proof that recent)."""
    if not reauth.enabled():  # the setting is None: nothing more is read
        return False
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and not reauth.verified_recently(request))


class ReauthenticationRequiredMixin:
    """With ``TWO_FACTOR_REAUTHENTICATION_AGE`` set, a view for sessions that proved their
    user's identity within that many seconds; others (GET and POST alike) are sent to
    ``two_factor:reauthenticate`` first, and come back here.

    Anonymous users pass through: put it after the mixin that deals with them
    (``OTPRequiredMixin``, ``LoginRequiredMixin``). A view that has no GET (a POST-only action)
    brings the user back to ``reauthentication_fallback_url`` instead of itself.
    """

    reauthentication_fallback_url = "two_factor:profile"

    def get_reauthentication_next_url(self) -> str:
        request = self.request  # type: ignore[attr-defined]
        if hasattr(self, "get"):
            return request.get_full_path()
        return str(resolve_url(self.reauthentication_fallback_url))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        return checked_dispatch(self, self.reauthentication_refusal,
                                super().dispatch, request, *args, **kwargs)  # type: ignore[misc]

    def reauthentication_refusal(self, request: HttpRequest) -> HttpResponse | None:
        if needs_reauthentication(request):
            return reauthentication_redirect(request, self.get_reauthentication_next_url())
        return None


def reauthentication_required(view_func: Callable[..., Any] | None = None, *,
                              next_url: str | None = None) -> Any:
    """The function-view form of ``ReauthenticationRequiredMixin``; with or without arguments.

    ``@reauthentication_required`` or ``@reauthentication_required(next_url="profile")``
    (a URL or URL name to come back to instead of this view's own path). Sync and async views.
    Place it under ``login_required`` / ``otp_required``.
    """
    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        def target(request: HttpRequest) -> str:
            return str(resolve_url(next_url)) if next_url else request.get_full_path()

        if iscoroutinefunction(view):
            async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
                if reauth.enabled() and await sync_to_async(needs_reauthentication)(request):
                    return reauthentication_redirect(request, target(request))
                return await view(request, *args, **kwargs)

            return wraps(view)(async_wrapper)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if needs_reauthentication(request):
                return reauthentication_redirect(request, target(request))
            return view(request, *args, **kwargs)

        return wraps(view)(wrapper)

    return decorator(view_func) if view_func is not None else decorator
