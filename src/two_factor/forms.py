"""Forms of the sign-in and setup wizards."""

from __future__ import annotations

from binascii import unhexlify
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from django_otp.forms import OTPAuthenticationFormMixin
from django_otp.models import Device
from django_otp.oath import TOTP, totp
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
        # self.fields types its values as Field: this one is the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["method"]).choices = choices
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

    def __init__(self, device: Device | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.device = device  # None: the device is gone, and no token is valid

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if self.device is None or not self.device.verify_token(token):
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        return token


class TOTPDeviceForm(forms.Form):
    """The generator step: check a token from the app against the new ``key``, then save it.

    Each candidate token is computed by this module's ``totp`` (``django_otp.oath.totp``), as
    django-two-factor-auth did, so that a test may patch ``two_factor.forms.totp``. The step
    that matched is recorded on the device (``last_t``): the token cannot sign in again.
    """

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
        self.t0 = 0
        self.matched_t: int | None = None
        self.drift = 0

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        value = parse_numeric_token(token, self.digits)
        matched = self.match_step(value) if value is not None else None
        if matched is None:
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        self.matched_t, self.drift = matched
        return token

    def match_step(self, value: int) -> tuple[int, int] | None:
        """``(step, offset)`` of the step within ``tolerance`` of now whose token is ``value``
        (the earliest, should two match), or None.

        The current step is read before and after the candidates are computed; should a step
        boundary pass in between, they are computed again, so that the step recorded is the one
        that matched.
        """
        key = unhexlify(self.key.encode())
        clock = TOTP(key, self.step, self.t0, self.digits)
        offsets = range(-self.tolerance, self.tolerance + 1)
        for _attempt in range(3):
            now_t = clock.t()
            offset = next((offset for offset in offsets
                           if totp(key, self.step, self.t0, self.digits, offset) == value), None)
            if clock.t() == now_t:
                return None if offset is None else (now_t + offset, offset)
        return None

    def save(self) -> TOTPDevice:
        """Create the confirmed device; the token that proved it is already used up."""
        last_t = cast(int, self.matched_t)  # set by clean_token(): save() follows a valid form
        return TOTPDevice.objects.create(
            user=self.user, name="default", key=self.key, digits=self.digits, step=self.step,
            t0=self.t0, tolerance=self.tolerance, drift=self.drift, last_t=last_t,
            confirmed=True)


class DisableForm(forms.Form):
    understand = forms.BooleanField(label=_("Yes, I am sure"))


class BackupTokensForm(forms.Form):
    """The "Generate new tokens" button of the backup tokens page. ``batch`` names the page's
    generation (``two_factor.flows.backup.new_batch``): sent twice, by a double click, it gives
    the same tokens."""

    batch = forms.CharField(widget=forms.HiddenInput, required=False)


def remember_label(age: float) -> str:
    """The label of the remember box for a cookie of ``age`` seconds: in days for whole days
    ("30 days", where the old package said "720 hours"), else in minutes below an hour, else in
    hours, in the old package's words."""
    if age >= 86400 and age % 86400 == 0:
        days = int(age // 86400)
        return ngettext("Don't ask again on this device for %(days)i day",
                        "Don't ask again on this device for %(days)i days", days) % {"days": days}
    if age < 3600:
        minutes = int(age / 60)
        return ngettext("Don't ask again on this device for %(minutes)i minute",
                        "Don't ask again on this device for %(minutes)i minutes",
                        minutes) % {"minutes": minutes}
    hours = int(age / 3600)
    return ngettext("Don't ask again on this device for %(hours)i hour",
                    "Don't ask again on this device for %(hours)i hours", hours) % {"hours": hours}


class AuthenticationTokenForm(OTPAuthenticationFormMixin, forms.Form):
    """The sign-in token step: a token of ``initial_device``, and "remember this browser"."""

    otp_token = _token_field()
    #: Not ticked until the user ticks it: a browser others use is not trusted by accident.
    remember = forms.BooleanField(required=False, initial=False)
    idempotent = False

    def __init__(self, user: Any, initial_device: Device | None, **kwargs: Any) -> None:
        from .conf import settings

        super().__init__(**kwargs)
        self.user = user
        self.initial_device = initial_device
        age = settings.TWO_FACTOR_REMEMBER_COOKIE_AGE
        if age:
            self.fields["remember"].label = remember_label(age)
        else:
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
