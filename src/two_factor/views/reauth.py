"""``ReauthenticateView``: prove again who you are before a sensitive action.

A thin view over ``two_factor.flows.reauth`` and the device helpers of the sign-in
(``two_factor.flows.login``). It asks for a token of the user's default device and offers their
other devices and backup tokens, as the sign-in's token step does; a user without any device
gives their password. Then it sends the user back to ``next`` (when it stays on this site).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from django_otp.models import Device

from ..events import emit
from ..flows import login as devices
from ..flows import reauth as flows
from ..flows.audit import token_failure_event
from ..flows.backup import backup_token_count, is_backup_device
from ..forms import AuthenticationTokenForm, BackupTokenForm
from ..plugins.registry import registry
from ..utils import is_verified, safe_next_url
from .mixins import RESUBMIT_PARAM

__all__ = ["ReauthenticateView", "PasswordForm"]

MESSAGES = {
    "not_your_device": devices.MESSAGES["not_your_device"],
    "no_backup_tokens": devices.MESSAGES["no_backup_tokens"],
    "signed_out": _("You entered a wrong password too many times: you were signed out. Please "
                    "sign in again."),
}


class PasswordForm(forms.Form):
    """The password of ``user``, for a user who has no device to give a token."""

    password = forms.CharField(
        label=_("Password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password",
                                          "autofocus": "autofocus"}))

    error_messages = {"invalid_password": _("Your password was entered incorrectly. Please "
                                            "enter it again.")}

    def __init__(self, user: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(self.error_messages["invalid_password"],
                                        code="invalid_password")
        return password


@method_decorator([sensitive_post_parameters(), csrf_protect, never_cache], name="dispatch")
class ReauthenticateView(LoginRequiredMixin, View):
    """GET shows the form; POST checks it, or switches to another device or backup tokens."""

    template_name = "two_factor/core/reauthenticate.html"
    success_url = "two_factor:profile"
    login_url = reverse_lazy("two_factor:login")
    http_method_names = ["get", "head", "post"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if flows.needs_password(request.user):
            return self.render(PasswordForm(request.user))
        device = devices.sign_in_device(request.user)
        return self.render(self.token_form(device), device)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user, data = request.user, request.POST
        if flows.needs_password(user):
            return self.check_password()
        if "challenge_device" in data:
            return self.choose_device(data["challenge_device"])
        if "use_backup" in data:
            return self.choose_backup()
        device_id = data.get("device")
        if not device_id:
            device = devices.sign_in_device(user)  # the page offered no device: any token
        else:
            device = self.find_device(device_id)
            if device is None:
                return self.refuse_device()
        return self.check_token(device)

    # Devices and forms

    def find_device(self, persistent_id: str) -> Device | None:
        """The user's backup device, or a confirmed device of theirs that a method knows."""
        device = devices.find_user_device(self.request.user, persistent_id)
        if device is None or not (self.is_backup(device) or registry.method_from_device(device)):
            return None
        return device

    def is_backup(self, device: Device | None) -> bool:
        return is_backup_device(self.request.user, device)

    def token_form(self, device: Device | None, data: Any = None) -> forms.Form:
        """The sign-in's token form for ``device`` (its method's own, e.g. a security key's)."""
        user = self.request.user
        kwargs: dict[str, Any] = {}
        method = registry.method_from_device(device) if device is not None else None
        # Every token form takes the user and the device (typed as a callable that does).
        if self.is_backup(device):
            form_class: Callable[..., forms.Form] = BackupTokenForm
        elif method is not None:
            form_class = method.get_token_form_class()
            # A method is only found for a device.
            kwargs = method.get_token_form_kwargs(self.request, cast(Device, device))
        else:
            form_class = AuthenticationTokenForm
        form = form_class(user=user, initial_device=device, data=data, **kwargs)
        form.fields.pop("remember", None)  # "remember this browser" belongs to the sign-in
        return form

    # Actions

    def check_token(self, device: Device | None) -> HttpResponse:
        user = self.request.user
        previous = getattr(user, "otp_device", None)
        form = self.token_form(device, data=self.request.POST)
        if form.is_valid():
            # Not None: the core token forms set otp_device when valid, and a method's own form
            # is only used for a device.
            verified = cast(Device, getattr(user, "otp_device", None) or device)
            flows.complete_with_device(self.request, verified, was_verified=previous is not None)
            return self.redirect_next()
        # The form cleared it while checking (an attribute OTPMiddleware gives request.user).
        user.otp_device = previous  # type: ignore[union-attr]
        event = token_failure_event(form)
        if event is not None:  # a wrong token, or a throttled device
            emit(self.request, event, device=device, method="token")
        return self.render(form, device)

    def check_password(self) -> HttpResponse:
        request = self.request
        form = PasswordForm(request.user, data=request.POST)
        if form.is_valid():
            flows.complete_with_password(request)
            return self.redirect_next()
        if form.has_error("password", "invalid_password") and flows.count_password_failure(request):
            logout(request)
            messages.error(request, MESSAGES["signed_out"], fail_silently=True)
            return HttpResponseRedirect(resolve_url(self.login_url))
        return self.render(form)

    def choose_device(self, persistent_id: str) -> HttpResponse:
        """"Use another device": its form, and its challenge sent when it has one."""
        device = devices.find_user_device(self.request.user, persistent_id, require_method=True)
        if device is None:
            return self.refuse_device()
        notice = devices.send_challenge(device, self.request) if device.is_interactive() else None
        return self.render(self.token_form(device), device, notice=notice)

    def choose_backup(self) -> HttpResponse:
        user = self.request.user
        device = devices.backup_device(user)
        if device is None or backup_token_count(user) == 0:
            main = devices.sign_in_device(user)
            return self.render(self.token_form(main), main, notice=MESSAGES["no_backup_tokens"])
        return self.render(self.token_form(device), device)

    def refuse_device(self) -> HttpResponse:
        device = devices.sign_in_device(self.request.user)
        return self.render(self.token_form(device), device, notice=MESSAGES["not_your_device"],
                           status=400)

    # Responses

    def redirect_next(self) -> HttpResponse:
        return HttpResponseRedirect(safe_next_url(self.request) or resolve_url(self.success_url))

    def render(self, form: forms.Form, device: Device | None = None, notice: Any = None,
               status: int = 200) -> HttpResponse:
        user, request = self.request.user, self.request
        password = isinstance(form, PasswordForm)
        backup = self.is_backup(device)
        context: dict[str, Any] = (
            {} if password else devices.step_context(user, device, "backup" if backup else "token",
                                                     notice))
        context.update(
            # Sent here by the enforcement from an ordinary page: not a recent confirmation that
            # this session lacks, but any (it was signed in with the password alone).
            unverified=not password and not is_verified(user),
            form=form, password=password, backup=backup, notice=notice,
            next=safe_next_url(request) or "", redirect_field_name="next",
            resubmit=bool(request.GET.get(RESUBMIT_PARAM)),
            cancel_url=reverse("two_factor:profile"))
        return TemplateResponse(request, self.template_name, context, status=status)
