"""Forms of the sign-in and setup wizards."""

from __future__ import annotations

import time
from binascii import unhexlify
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import parse_numeric_token

from .plugins.registry import registry
from .utils import totp_digits

__all__ = [
    "MethodForm", "DeviceValidationForm", "TOTPDeviceForm", "DisableForm",
    "AuthenticationTokenForm", "BackupTokenForm",
]


class MethodForm(forms.Form):
    """Pick how to receive tokens: one choice per registered method."""

    method = forms.ChoiceField(label=_("Method"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(method.code, method.verbose_name) for method in registry.get_methods()]
        self.fields["method"].choices = choices
        if choices:
            self.fields["method"].initial = choices[0][0]


def _token_field(label: Any = None) -> forms.CharField:
    return forms.CharField(
        label=label or _("Token"), max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": "autofocus", "spellcheck": "false"}))


class DeviceValidationForm(forms.Form):
    """Prove possession of a freshly set-up ``device`` with one of its tokens."""

    token = _token_field()
    idempotent = False  # a token works once: the wizard must not check it twice

    error_messages = {"invalid_token": _("Entered token is not valid.")}

    def __init__(self, device: Device, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.device = device

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not self.device.verify_token(token):
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        return token


class TOTPDeviceForm(forms.Form):
    """The generator step: check a token from the app against the new ``key``, then save it."""

    token = _token_field()
    idempotent = False

    error_messages = {"invalid_token": _("Entered token is not valid.")}

    # Clocks of phones drift: accept the previous and next step, and remember the offset.
    tolerance = 1

    def __init__(self, key: str, user: Any, metadata: dict[str, Any] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.key = key
        self.user = user
        self.metadata = metadata or {}
        self.digits = totp_digits()
        self.step = 30
        self.matched_t: int | None = None
        self.drift = 0

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        value = parse_numeric_token(token, self.digits)
        totp = TOTP(unhexlify(self.key.encode()), self.step, 0, self.digits)
        totp.time = time.time()
        if value is None or not totp.verify(value, self.tolerance):
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        self.drift = totp.drift
        self.matched_t = totp.t()
        return token

    def save(self) -> TOTPDevice:
        """Create the confirmed device; the token that proved it is already used up."""
        return TOTPDevice.objects.create(
            user=self.user, name="default", key=self.key, digits=self.digits, step=self.step,
            tolerance=self.tolerance, drift=self.drift, last_t=self.matched_t, confirmed=True)


class DisableForm(forms.Form):
    understand = forms.BooleanField(label=_("Yes, I am sure"))


class AuthenticationTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """The sign-in token step: a token of ``initial_device``, and "remember this browser"."""

    otp_token = _token_field()
    remember = forms.BooleanField(required=False, initial=False,
                                  label=_("Don't ask again on this browser"))
    idempotent = False

    def __init__(self, user: Any, initial_device: Device | None, **kwargs: Any) -> None:
        from .conf import settings

        super().__init__(**kwargs)
        self.user = user
        self.initial_device = initial_device
        if not settings.TWO_FACTOR_REMEMBER_COOKIE_AGE:
            del self.fields["remember"]

    def _chosen_device(self, user: Any) -> Device | None:
        return self.initial_device

    def clean(self) -> dict[str, Any]:
        self.clean_otp(self.user)
        return self.cleaned_data

    def get_user(self) -> Any:
        return self.user


class BackupTokenForm(AuthenticationTokenForm):
    """The backup step: one of the user's single-use backup tokens."""

    otp_token = forms.CharField(label=_("Token"), max_length=32,
                                widget=forms.TextInput(attrs={"autocomplete": "off",
                                                              "autofocus": "autofocus",
                                                              "spellcheck": "false"}))
