"""JSON endpoints of the ceremonies: options for the browser, and the passkey sign-in."""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.auth.views import RedirectURLMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView

from ...flows.reauth import verified_recently
from ...flows.setup import SetupAccess, setup_access
from ...views.mixins import OTPRequiredMixin, ReauthenticationRequiredMixin
from . import challenges
from .ceremonies import MAX_RESPONSE_LENGTH, CeremonyError, authentication_options, registration_options
from .flows import add_key, passkey_sign_in
from .forms import WebauthnKeyForm


def error_response(request: HttpRequest, error: CeremonyError) -> HttpResponse:
    """The error as JSON for the page's script, or as plain text."""
    if _wants_json(request):
        return JsonResponse({"error": str(error.message), "code": error.code}, status=error.status)
    return HttpResponse(str(error.message), status=error.status,
                        content_type="text/plain; charset=utf-8")


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@method_decorator([never_cache, csrf_protect], name="dispatch")
class OptionsView(View):
    """POST: fresh options (and a fresh challenge in the session) for a ceremony."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return JsonResponse(self.get_options(request))
        except CeremonyError as error:
            return error_response(request, error)

    def get_options(self, request: HttpRequest) -> dict[str, Any]:
        raise NotImplementedError


class RegisterOptionsView(OptionsView):
    """For the signed-in user who may run the setup wizard now, or who is verified."""

    def get_options(self, request: HttpRequest) -> dict[str, Any]:
        if request.user.is_authenticated and not verified_recently(request):
            raise CeremonyError("reauthenticate", status=403)
        if setup_access(request.user) not in (SetupAccess.ALLOWED, SetupAccess.COMPLETE):
            raise CeremonyError("not_allowed", status=403)
        return registration_options(request, request.user)


class LoginOptionsView(OptionsView):
    """For the user whose sign-in reached the token step in this session."""

    def get_options(self, request: HttpRequest) -> dict[str, Any]:
        pk = challenges.bound_user_pk(request.session, "login")
        user = get_user_model()._default_manager.filter(pk=pk).first() if pk else None
        if user is None:
            raise CeremonyError("no_sign_in")
        return authentication_options(request, user)


class PasskeyOptionsView(OptionsView):
    """For anyone on the sign-in page: no credentials listed, the browser offers its passkeys."""

    def get_options(self, request: HttpRequest) -> dict[str, Any]:
        return authentication_options(request)


@method_decorator([sensitive_post_parameters(), never_cache, csrf_protect], name="dispatch")
class PasskeyLoginView(RedirectURLMixin, View):
    """POST ``credential`` (a passkey's ``get()`` response) and ``next``: signs in, verified.

    Answers JSON (``{"redirect": url}`` or ``{"error": message}``) to a script that accepts it,
    otherwise a redirect or a plain-text error.
    """

    http_method_names = ["post"]

    def get_default_redirect_url(self) -> str:
        return resolve_url(self.next_page or django_settings.LOGIN_REDIRECT_URL)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = request.POST.get("credential", "")
        try:
            if not response or len(response) > MAX_RESPONSE_LENGTH:
                raise CeremonyError("invalid")
            passkey_sign_in(request, response)
        except CeremonyError as error:
            return error_response(request, error)
        redirect_to = self.get_success_url()
        if _wants_json(request):
            return JsonResponse({"redirect": redirect_to})
        return HttpResponseRedirect(redirect_to)


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class AddKeyView(OTPRequiredMixin, ReauthenticationRequiredMixin, FormView):
    """A verified user adds another security key or passkey, named as they like."""

    form_class = WebauthnKeyForm
    template_name = "two_factor/webauthn/add.html"
    success_url = "two_factor:profile"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request, "user": self.request.user}

    def form_valid(self, form: WebauthnKeyForm) -> HttpResponse:
        add_key(self.request, form)
        return HttpResponseRedirect(resolve_url(self.success_url))
