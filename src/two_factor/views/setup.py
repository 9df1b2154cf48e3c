"""Setting up two-factor authentication: the wizard, the QR code it shows, and the end page."""

from __future__ import annotations

from base64 import b32encode
from binascii import unhexlify
from typing import Any, cast

from django import forms
from django.conf import settings as django_settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView, View

from django_otp.conf import settings as otp_settings
from django_otp.models import Device
from django_otp.qr import write_qrcode_image

from ..flows.login import challenge_failed, send_challenge
from ..flows.session import client_side
from ..flows.setup import (
    SetupAccess,
    complete_setup,
    discard_pending_device,
    drop_secret,
    get_or_create_secret,
    get_pending_device,
    get_secret,
    has_default_device,
    one_setup_at_a_time,
    save_pending_device,
    setup_access,
    setup_issuer,
    setup_otpauth_url,
)
from ..forms import DeviceValidationForm, MethodForm
from ..plugins.registry import MethodBase, MethodNotFoundError, registry
from ..utils import default_device, safe_next_url, safe_url, totp_digits
from ..wizard.views import IdempotentSessionWizardView
from .mixins import ReauthenticationRequiredMixin, needs_reauthentication

__all__ = ["SetupView", "QRGeneratorView", "SetupCompleteView", "resend_token"]

_CORE_STEPS = ("welcome", "method", "validation")
_PENDING = "pending_device"  # in the wizard's storage: the persistent id of the device to validate
_PHONE_METHOD_CODES = ("call", "sms")


def resend_token(wizard: Any) -> HttpResponse | None:
    """"Send me a new token" on a setup wizard's validation step (the button ``wizard_resend``),
    for a token that did not arrive, or that was asked for too soon after another: the tokens of
    a user's setups keep to a cooldown (``flows.setup.claim_setup_send``), whose message says when
    to ask again. The wizard's ``get_pending_device()`` is challenged once more, and the step is
    shown with the message; None for any other POST, and when the validation step is gone (its
    method was turned off meanwhile): the wizard's own ``post()`` then starts over."""
    if ("wizard_resend" not in wizard.request.POST or wizard.steps.current != "validation"
            or "validation" not in wizard.get_form_list()):
        return None
    device = wizard.get_pending_device()
    challenge = send_challenge(device, wizard.request) if device is not None else None
    return wizard.render(wizard.get_form(), challenge=challenge)


class WelcomeForm(forms.Form):
    """The first step has nothing to fill in: it explains."""


def base32_secret(secret: str) -> str:
    """The hex ``secret`` as an authenticator app asks for it: base32, without padding."""
    return b32encode(unhexlify(secret)).decode().rstrip("=")


#: Where to go on once a device is set up (the page that asked for one: from the sign-in, or
#: ``?next=`` of the setup page), kept in the session during the setup, under the key that
#: django-two-factor-auth's sign-in wrote it under.
SETUP_NEXT_SESSION_KEY = "next"


def _method_step_shown(wizard: SetupView) -> bool:
    return len(registry.get_methods()) != 1


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class SetupView(ReauthenticationRequiredMixin, IdempotentSessionWizardView):
    """Set up the user's default device: ``welcome``, ``method`` (skipped when a single method
    is registered), the chosen method's own steps (``generator``: a QR code and a token), then
    ``validation`` for methods whose new device must prove a token it sent.

    The steps come from the method registry, so a plugin's method brings its steps. Who may use
    the wizard is checked on every request, GET and POST alike:

    - anonymous users are sent to ``LOGIN_URL`` with ``next``;
    - a user who has a confirmed device but whose session was not verified with one (a
      password-only sign-in) gets a 403 page that asks to sign in with the second factor (a
      link to ``OTP_LOGIN_URL``): such a session can neither add a device nor become verified
      here;
    - a verified user who already has a default device goes to ``setup_complete``;
    - anyone else (no device yet, or verified without a default one) runs the wizard.

    The generator's secret lives in the session from the moment its step is first shown until
    the wizard ends: done, restarted by a GET, or cancelled. The generator step shows it (in
    base32, for typing into an app that cannot scan) besides the QR code.

    The template gets ``method``, ``digits``, ``cancel_url`` (``LOGIN_REDIRECT_URL``, where the
    old template's Cancel link went; our Cancel button posts ``wizard_cancel`` instead, which
    also drops the secret, and then goes to the ``cancel_url`` attribute: the profile) and
    ``keys`` (``{"generator": <hex secret>}`` while a generator secret is in progress, else
    ``{}``, as the old wizard's extra data showed it); on the generator step also ``QR_URL``,
    ``secret_key`` and ``otpauth_url`` (its issuer from ``get_issuer()``); on the validation
    step ``device`` (the device to validate), ``verbose_action`` (its method's sentence) and
    ``challenge`` (what sending its token said).
    """

    template_name = "two_factor/core/setup.html"
    success_url = "two_factor:setup_complete"
    cancel_url = "two_factor:profile"
    #: Set when a concurrent request of the same session completed the setup first.
    finished_elsewhere = False
    #: The URL name of the QR code's view (``QR_URL`` in the context).
    qrcode_url = "two_factor:qr"
    # A list here; each view's own is a dict of steps (formtools' get_initkwargs, then
    # get_form_list() below): typed for both.
    form_list: Any = [("welcome", WelcomeForm), ("method", MethodForm)]
    idempotent_dict = {"generator": False, "validation": False}

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        access = setup_access(request.user)
        if access is SetupAccess.ANONYMOUS:
            return redirect_to_login(request.get_full_path())  # LOGIN_URL
        if access is SetupAccess.COMPLETE:
            return redirect(self.success_url)
        if access is SetupAccess.REFUSED:
            if request.method in ("GET", "HEAD") and default_device(request.user) is not None:
                # As django-two-factor-auth: a user whose setup is done is shown so, whichever
                # session asks. Adding a device from this session stays refused.
                return redirect(self.success_url)
            return self.render_refused(request)
        return super().dispatch(request, *args, **kwargs)

    def render_refused(self, request: HttpRequest) -> HttpResponse:
        login_url = redirect_to_login(request.path, resolve_url(otp_settings.OTP_LOGIN_URL)).url
        return TemplateResponse(request, self.template_name,
                                {"refused": True, "login_url": login_url}, status=403)

    # The steps, from the registry.

    def get_form_list(self) -> Any:
        if not getattr(self, "_check_cond_started", False):
            self.form_list, self.condition_dict = self.build_steps()
        return super().get_form_list()

    def build_steps(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every step with its condition: the chosen method's steps are shown, other methods'
        are known but skipped (so a step name shared by two methods takes the chosen one's form)."""
        steps: dict[str, Any] = {"welcome": WelcomeForm, "method": MethodForm}
        conditions: dict[str, Any] = {"method": _method_step_shown}
        chosen = self.get_method()
        methods = registry.get_methods()
        if chosen is not None:
            methods.remove(chosen)
            methods.insert(0, chosen)
        for method in methods:
            for step, form_class in method.get_setup_forms(self).items():
                if step not in steps and step not in _CORE_STEPS:
                    steps[step] = form_class
                    conditions[step] = method is chosen
        steps["validation"] = DeviceValidationForm
        conditions["validation"] = type(self).needs_validation
        return steps, conditions

    def is_step_idempotent(self, step: str) -> bool:
        form_class = self.form_list.get(step)
        return super().is_step_idempotent(step) and getattr(form_class, "idempotent", True)

    def get_method(self) -> MethodBase | None:
        """The method being set up: the only one registered, or the one chosen."""
        methods = registry.get_methods()
        if len(methods) == 1:
            return methods[0]
        form = MethodForm(data=self.storage.get_step_data("method"), prefix="method")
        if not form.is_valid():
            return None
        try:
            return registry.get_method(form.cleaned_data["method"])
        except MethodNotFoundError:
            return None

    # What the method's steps gathered, and the device they describe.

    def get_setup_data(self, method: MethodBase) -> dict[str, Any] | None:
        """``{step: cleaned data}`` of the method's steps; None until all are done."""
        data = {}
        for step in method.get_setup_forms(self):
            cleaned = self.get_cleaned_data_for_step(step)
            if cleaned is None:
                return None
            data[step] = cleaned
        return data

    def get_setup_device(self) -> Device | None:
        """The unsaved device the method builds from its steps; None for the generator, whose
        form saves its device itself."""
        method = self.get_method()
        data = self.get_setup_data(method) if method is not None else None
        if method is None or data is None:
            return None
        return method.get_device_from_setup_data(self.request, data)

    def needs_validation(self) -> bool:
        return self.get_setup_device() is not None

    def get_secret_key(self) -> str:
        """The generator's secret in progress (created when first needed)."""
        return get_or_create_secret(self.request.session)

    def get_issuer(self) -> str:
        """The issuer of ``otpauth_url`` in the context: ``setup_issuer()`` (``OTP_TOTP_ISSUER``
        when a string, else the current site's name). The QR code is drawn by another view, with
        ``QRGeneratorView.get_issuer()``: a site that changes one changes the other too (or
        sets ``OTP_TOTP_ISSUER``)."""
        return setup_issuer(self.request)

    def get_pending_device(self) -> Device | None:
        """The device waiting in the validation step: saved unconfirmed, so that its token is
        claimed in the database like any other."""
        return get_pending_device(self.request.user, self.storage.data.get(_PENDING))

    def start_validation(self) -> str | None:
        """Save the method's device unconfirmed and send its challenge (a message, or None)."""
        discard_pending_device(self.request.user, self.storage.data.get(_PENDING))
        # Called when the next step is the validation, whose condition is that there is one.
        device = save_pending_device(self.request.user, cast(Device, self.get_setup_device()))
        self.storage.data[_PENDING] = device.persistent_id
        return send_challenge(device, self.request)

    def end_wizard(self) -> None:
        """Forget what is in progress: the generator's secret, an unconfirmed device."""
        discard_pending_device(self.request.user, self.storage.data.get(_PENDING))
        drop_secret(self.request.session)
        self.storage.reset()

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        if step == "validation":
            # Without a pending device (removed meanwhile) every token is refused: a device
            # made up now has no token that anybody received.
            return {"device": self.get_pending_device()}
        method = self.get_method()
        if method is not None and step in method.get_setup_forms(self):
            return method.get_setup_form_kwargs(self, step)
        return {}

    # Requests.

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.end_wizard()  # a GET starts over
        next_url = safe_next_url(request)
        if next_url:  # the page to go on to once the device is set up (``SetupCompleteView``)
            request.session[SETUP_NEXT_SESSION_KEY] = next_url
        return super().get(request, *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if "wizard_cancel" in self.request.POST:
            return self.cancel()
        resent = resend_token(self)
        if resent is not None:
            return resent
        steps = list(self.get_form_list())
        current = self.steps.current
        if current in steps:
            posted = self.request.POST.get(f"{self.prefix}-current_step")
            if posted is not None and posted not in steps:
                raise SuspiciousOperation("Unknown setup wizard step")
            reached = steps[:steps.index(current) + 1]
            goto = self.request.POST.get("wizard_goto_step")
            if (posted is not None and posted not in reached) or (goto and goto not in reached):
                return self.render(self.get_form())  # a step ahead: stay where the user is
        response = super().post(*args, **kwargs)
        session = self.request.session
        if self.finished_elsewhere and not client_side(session) and not session.exists(session.session_key):
            # The concurrent request that finished, in this session, gave it a new key: this
            # request's copy is gone, and saving it would fail (Django answers 400). The browser
            # that shows this response has the old key: it signs in again, with its new device.
            session.modified = False
        return response

    def cancel(self) -> HttpResponse:
        self.end_wizard()
        return redirect(self.cancel_url)

    def render_next_step(self, form: Any, **kwargs: Any) -> HttpResponse:
        if self.steps.next == "validation":
            kwargs["challenge"] = self.start_validation()
        return super().render_next_step(form, **kwargs)

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        context.update(method=self.get_method(), digits=totp_digits(),
                       profile_url=reverse(self.cancel_url),
                       cancel_url=resolve_url(django_settings.LOGIN_REDIRECT_URL))
        secret: str | None
        if self.steps.current == "generator":
            secret = self.get_secret_key()
            context.update(QR_URL=reverse(self.qrcode_url), secret_key=base32_secret(secret),
                           otpauth_url=setup_otpauth_url(self.request, secret, self.get_issuer()))
        else:
            secret = get_secret(self.request.session)
        context["keys"] = {"generator": secret} if secret is not None else {}
        if self.steps.current == "validation":
            device = context["device"] = self.get_pending_device() or self.get_setup_device()
            method = context["method"]
            context["verbose_action"] = (method.get_verbose_action(device)
                                         if method is not None and device is not None else None)
            context["challenge_failed"] = challenge_failed(kwargs.get("challenge"))
        return context

    def done(self, form_list: Any, form_dict: dict[str, Any] | None = None, **kwargs: Any) -> HttpResponse:
        drop_secret(self.request.session)  # render_done resets the storage
        with one_setup_at_a_time(self.request.user):
            if has_default_device(self.request.user):  # a concurrent request finished first
                self.finished_elsewhere = True
                return redirect(self.success_url)
            device = self.finished_device(form_dict or {})
            if device is None:  # the method went away mid-way (unregistered): start over
                return redirect("two_factor:setup")
            complete_setup(self.request, device)
            method = self.get_method()
            if method is not None:
                method.setup_completed(self.request, device)
        return redirect(self.success_url)

    def finished_device(self, form_dict: dict[str, Any]) -> Device | None:
        """The validated device, the one the method builds, or the one its form saves."""
        if "validation" in form_dict:
            return form_dict["validation"].device
        method = self.get_method()
        if method is None:
            return None
        device = self.get_setup_device()
        if device is not None:
            return device
        saving = [form_dict[step] for step in method.get_setup_forms(self)
                  if hasattr(form_dict.get(step), "save")]
        return saving[-1].save() if saving else None


@method_decorator(never_cache, name="dispatch")
class QRGeneratorView(LoginRequiredMixin, View):
    """The QR code (SVG) of the generator being set up; 404 when no setup is in progress (or
    the user may not run one: the setup is done, say). Anonymous users go to ``LOGIN_URL``."""

    http_method_names = ["get", "head"]

    def get_issuer(self) -> str:
        """The issuer in the QR code's ``otpauth://`` URL, the name an authenticator app shows:
        ``OTP_TOTP_ISSUER`` when a string, else the current site's name. Override it to
        change the name (``SetupView.get_issuer()`` gives the one of the typed URL)."""
        return setup_issuer(self.request)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        secret = get_secret(request.session)
        # Only while the user may set up a device: a copy of a session from before the setup
        # finished (a cookie kept, say) does not get the key of the device now in use; nor a
        # session that the setup itself would send to prove its user's identity again.
        if (secret is None or setup_access(request.user) is not SetupAccess.ALLOWED
                or needs_reauthentication(request)):
            raise Http404("No two-factor setup in progress")
        response = HttpResponse(content_type="image/svg+xml; charset=utf-8")
        try:
            write_qrcode_image(setup_otpauth_url(request, secret, self.get_issuer()), response)
        except ValueError:  # too long for a QR code: an issuer from a Host header of 2 KB, say
            return HttpResponseBadRequest("The data is too long for a QR code; type the key instead.",
                                          content_type="text/plain; charset=utf-8")
        return response


@method_decorator(never_cache, name="dispatch")
class SetupCompleteView(LoginRequiredMixin, TemplateView):
    """Two-factor authentication is on: what to do next (backup tokens, a backup phone when a
    phone method is available, the profile) and, as ``next_url``, the way on to the page the
    user was going to when the sign-in sent them to set up a device (once, and only a URL of
    this site). Anonymous users go to ``LOGIN_URL``."""

    template_name = "two_factor/core/setup_complete.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(device=default_device(self.request.user),
                       backup_tokens_url=reverse("two_factor:backup_tokens"),
                       profile_url=reverse("two_factor:profile"),
                       phone_methods=phone_methods(),
                       next_url=self.pop_next_url())
        return context

    def pop_next_url(self) -> str | None:
        return safe_url(self.request, self.request.session.pop(SETUP_NEXT_SESSION_KEY, None))


def phone_methods() -> list[MethodBase]:
    """The phone methods on offer (as ``get_available_phone_methods()`` of the phone plugin
    gives them), from the registry: the core does not import the plugin."""
    return [method for method in registry.get_methods() if method.code in _PHONE_METHOD_CODES]
