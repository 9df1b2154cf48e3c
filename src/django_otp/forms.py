"""Forms that verify a token: on their own (``OTPTokenForm``) or with the password."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.dispatch import Signal
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from . import devices_for_user, match_token, verify_token
from .models import Device, VerifyNotAllowed
from .util import generate_challenge

#: Sent with ``user`` (and ``device`` when known) when a token is refused by a form.
otp_verification_failed = Signal()


class OTPAuthenticationFormMixin:
    """Token handling shared by the OTP forms: call ``clean_otp(user)`` from ``clean()``.

    On success ``user.otp_device`` is the device that accepted the token. Error texts live in
    ``otp_error_messages`` so a subclass can change them.
    """

    otp_error_messages = {
        "token_required": _("Please enter your OTP token."),
        "challenge_exception": _("Error generating challenge: %(error)s"),
        "not_interactive": _("The selected OTP device is not interactive"),
        "challenge_message": _("OTP Challenge: %(message)s"),
        "invalid_token": _("Invalid token. Please make sure you have entered it correctly."),
        "n_failed_attempts": ngettext_lazy(
            "Verification temporarily disabled because of %(failure_count)d failed attempt, "
            "please try again soon.",
            "Verification temporarily disabled because of %(failure_count)d failed attempts, "
            "please try again soon.",
            "failure_count"),
        "verification_not_allowed": _("Verification of the token is currently disabled"),
        "invalid_device": _("Please choose one of your devices."),
    }

    #: Write the typed password back into the page of a form that needs a token too, as
    #: django-otp did, so that the user gives the token without typing the password again. False:
    #: the page never holds the password, which the user then types with the token.
    otp_keep_password = True

    cleaned_data: dict[str, Any]
    fields: dict[str, forms.Field]

    def clean_otp(self, user: Any) -> None:
        """Verify the token (or send a challenge) for ``user``; raise a ValidationError on failure."""
        if user is None or "otp_device" in (getattr(self, "_errors", None) or {}):
            return  # no device, or one that is not on offer: verify nothing, use up no token
        token = self.cleaned_data.get("otp_token")
        user.otp_device = None
        try:
            device = self._chosen_device(user)
            if self.cleaned_data.get("otp_challenge"):
                self._handle_challenge(device)
            elif token:
                user.otp_device = self._verify_token(user, token, device)
            else:
                raise forms.ValidationError(self.otp_error_messages["token_required"],
                                            code="token_required")
        finally:
            if user.otp_device is None:
                self._update_form(user)

    def _chosen_device(self, user: Any) -> Device | None:
        device_id = self.cleaned_data.get("otp_device")
        if not device_id:
            return None
        device = Device.from_persistent_id(device_id)
        if device is None or device.user_id != user.pk or not device.confirmed:
            raise forms.ValidationError(self.otp_error_messages["invalid_device"],
                                        code="invalid_device")
        return device

    def _handle_challenge(self, device: Device | None) -> None:
        if device is None:  # no device chosen: nothing to challenge, as django-otp answered
            raise forms.ValidationError(self.otp_error_messages["not_interactive"],
                                        code="not_interactive")
        try:
            message = generate_challenge(device, getattr(self, "request", None))
        except Exception as exc:
            raise self._filled_error("challenge_exception", "error", exc) from exc
        if message is None:
            raise forms.ValidationError(self.otp_error_messages["not_interactive"],
                                        code="not_interactive")
        raise self._filled_error("challenge_message", "message", message)

    def _filled_error(self, code: str, name: str, value: Any) -> forms.ValidationError:
        """``otp_error_messages[code]`` with ``value`` in it: as ``%(name)s``, or as ``{0}``,
        the placeholder of django-otp's own messages, which a subclass may still use."""
        message = self.otp_error_messages[code]
        if "{0}" in str(message):
            return forms.ValidationError(str(message).format(value), code=code)
        return forms.ValidationError(message, code=code, params={name: value})

    def _verify_token(self, user: Any, token: str, device: Device | None = None) -> Device:
        if device is None:
            verified = match_token(user, token)
        else:
            self._raise_if_not_allowed(device)
            if device.claims_tokens_atomically:
                verified = device if device.verify_token(token) else None
            else:  # a device that reads, checks and save()s: verify it on its locked row
                verified = verify_token(user, device.persistent_id, token)
        if verified is None:
            otp_verification_failed.send(sender=type(self), user=user, device=device)
            raise forms.ValidationError(self.otp_error_messages["invalid_token"],
                                        code="invalid_token")
        return verified

    def _raise_if_not_allowed(self, device: Device) -> None:
        allowed, info = device.verify_is_allowed()
        if allowed:
            return
        if info and info.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
            locked_until = info.get("locked_until")
            raise forms.ValidationError(
                self.otp_error_messages["n_failed_attempts"], code="n_failed_attempts",
                params={"failure_count": info["failure_count"],
                        "locked_until": date_format(localtime(locked_until), "DATETIME_FORMAT")
                        if locked_until else ""})
        if info and info.get("error_message"):
            # A device that says why it refuses (django-otp's convention) is quoted as is.
            raise forms.ValidationError(info["error_message"], code="verification_not_allowed")
        raise forms.ValidationError(self.otp_error_messages["verification_not_allowed"],
                                    code="verification_not_allowed")

    def _update_form(self, user: Any) -> None:
        # Choices made in __init__ (OTPTokenForm) stand: listing the devices again costs a
        # query per device model on every refused token.
        if "otp_device" in self.fields and not self.fields["otp_device"].widget.choices:
            self.fields["otp_device"].widget.choices = self.device_choices(user)
        if "password" in self.fields and self.otp_keep_password:
            self.fields["password"].widget.render_value = True

    @staticmethod
    def device_choices(user: Any) -> list[tuple[str, str]]:
        return [(device.persistent_id, device.name) for device in devices_for_user(user)]


def _token_field() -> forms.CharField:
    return forms.CharField(required=False, max_length=64, label=_("OTP Token"),
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}))


class OTPAuthenticationForm(OTPAuthenticationFormMixin, AuthenticationForm):
    """Username, password and token in one form; the token may be asked for on a second pass."""

    otp_device = forms.CharField(required=False, widget=forms.Select, label=_("OTP Device"))
    otp_token = _token_field()
    otp_challenge = forms.CharField(required=False)

    def clean(self) -> dict[str, Any]:
        self.cleaned_data = super().clean()
        self.clean_otp(self.get_user())
        return self.cleaned_data


class OTPTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """Verify an already authenticated ``user`` with a token from one of their devices."""

    otp_device = forms.ChoiceField(choices=[], label=_("OTP Device"))
    otp_token = _token_field()
    otp_challenge = forms.CharField(required=False)

    def __init__(self, user: Any, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request
        # self.fields types its values as Field: this one is the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["otp_device"]).choices = self.device_choices(user)

    def clean(self) -> dict[str, Any]:
        super().clean()
        self.clean_otp(self.user)
        return self.cleaned_data

    def get_user(self) -> Any:
        return self.user
