"""Backup phones: add one (``PhoneSetupView``, with a token sent to it) and remove one
(``PhoneDeleteView``)."""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import View

from ...flows.login import challenge_failed, send_challenge
from ...flows.removal import remove_device
from ...flows.setup import confirm_pending_device, discard_pending_device, get_pending_device
from ...forms import DeviceValidationForm
from ...utils import success_url_or_home
from ...views.devices import render_removal_confirmation
from ...views.mixins import OTPLoginRequiredMixin, ReauthenticationRequiredMixin
from ...views.setup import resend_token
from ...wizard.views import IdempotentSessionWizardView
from ..registry import registry
from .forms import PhoneNumberMethodForm
from .models import PhoneDevice
from .utils import BACKUP_PHONE_NAME, get_available_phone_methods, registered_backup_phones

__all__ = ["PhoneSetupView", "PhoneDeleteView"]

_PENDING = "pending_phone"  # in the wizard's storage: the persistent id of the phone to validate


@method_decorator([sensitive_post_parameters(), never_cache], name="dispatch")
class PhoneSetupView(OTPLoginRequiredMixin, ReauthenticationRequiredMixin, IdempotentSessionWizardView):
    """Add a backup phone: its number and method (``setup``), then a token that was sent to it
    (``validation``). A verified session only.

    The phone is saved unconfirmed when its token is sent, so that the token is checked and
    used up like any other, and confirmed when the wizard ends; cancelling, or a new GET,
    removes it. Submitting the same number again within the cooldown sends no second message.
    Done or cancelled: to ``success_url``, else ``LOGIN_REDIRECT_URL``; there too when no phone
    method is available (no gateway is configured), as the old view did.
    """

    template_name = "two_factor/core/phone_register.html"
    success_url: str | None = None
    form_list = (("setup", PhoneNumberMethodForm), ("validation", DeviceValidationForm))
    idempotent_dict = {"validation": False}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.end_wizard()  # a GET starts over
        if not get_available_phone_methods():  # no gateway is configured: nothing to add
            return redirect(self.get_success_url())
        return super().get(request, *args, **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if "wizard_cancel" in self.request.POST or not get_available_phone_methods():
            self.end_wizard()
            return redirect(self.get_success_url())
        resent = resend_token(self)
        return resent if resent is not None else super().post(*args, **kwargs)

    def get_success_url(self) -> str:
        """Where the wizard goes when done or cancelled (``cancel_url`` in the templates)."""
        return success_url_or_home(self.success_url)

    def get_pending_device(self) -> PhoneDevice | None:
        device = get_pending_device(self.request.user, self.storage.data.get(_PENDING))
        return device if isinstance(device, PhoneDevice) else None

    def end_wizard(self) -> None:
        discard_pending_device(self.request.user, self.storage.data.get(_PENDING))
        self.storage.reset()

    def start_validation(self, form: PhoneNumberMethodForm) -> str | None:
        """Save the new phone unconfirmed (or reuse the one of the same number) and send it
        a token; returns the message for the user."""
        number, method = form.cleaned_data["number"], form.cleaned_data["method"]
        device = self.get_pending_device()
        if device is None or device.number != number or device.method != method:
            discard_pending_device(self.request.user, self.storage.data.get(_PENDING))
            device = PhoneDevice.objects.create(user=self.request.user, name=BACKUP_PHONE_NAME,
                                                number=number, method=method, confirmed=False)
            self.storage.data[_PENDING] = device.persistent_id
        return send_challenge(device, self.request)

    def render_next_step(self, form: Any, **kwargs: Any) -> HttpResponse:
        if self.steps.current == "setup":
            kwargs["challenge"] = self.start_validation(form)
        return super().render_next_step(form, **kwargs)

    def get_context_data(self, form: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        context["cancel_url"] = self.get_success_url()
        # No steps on a view that was not dispatched: old test suites call this on a bare
        # PhoneSetupView() to read its cancel_url.
        steps = getattr(self, "steps", None)
        if steps is not None and steps.current == "validation":
            device = context["device"] = self.get_pending_device()
            method = registry.method_from_device(device) if device is not None else None
            # A method is only found for a device.
            context["verbose_action"] = method.get_verbose_action(cast(PhoneDevice, device)) if method else None
            context["challenge_failed"] = challenge_failed(kwargs.get("challenge"))
        return context

    def get_form_kwargs(self, step: str | None = None) -> dict[str, Any]:
        if step == "validation":
            # Without a pending phone (removed meanwhile) every token is refused.
            return {"device": self.get_pending_device()}
        return {}

    def done(self, form_list: Any, form_dict: dict[str, Any] | None = None, **kwargs: Any) -> HttpResponse:
        confirm_pending_device(self.request, (form_dict or {})["validation"].device)
        return redirect(self.get_success_url())


@method_decorator(never_cache, name="dispatch")
class PhoneDeleteView(OTPLoginRequiredMixin, ReauthenticationRequiredMixin, View):
    """Remove one of the user's backup phones on POST; then to ``success_url``, else
    ``LOGIN_REDIRECT_URL``. GET asks first (the profile's *Unregister* button comes here).

    Only the user's own backup phones (``registered_backup_phones()``) can be removed, also while
    no gateway is configured; another user's phone, or the default device, is a 404.
    """

    success_url: str | None = None

    def get(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        return render_removal_confirmation(request, self.phone(pk), {})

    def post(self, request: HttpRequest, pk: int, *args: Any, **kwargs: Any) -> HttpResponse:
        remove_device(request, self.phone(pk))
        return redirect(success_url_or_home(self.success_url))

    def phone(self, pk: int) -> PhoneDevice:
        return get_object_or_404(registered_backup_phones(self.request.user), pk=pk)
