"""Forms of the phone methods: a phone number, and a number with the way to reach it."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from .utils import get_available_phone_methods
from .validators import INVALID_MESSAGE, MAX_INPUT_LENGTH, parse_phone_number

__all__ = ["PhoneNumberField", "PhoneNumberForm", "PhoneNumberMethodForm"]


class PhoneNumberField(forms.CharField):
    """A phone number typed by a person; cleaned to a valid ``PhoneNumber``.

    Text without a leading + is read as a number of ``PHONENUMBER_DEFAULT_REGION``.
    """

    default_error_messages = {"invalid": INVALID_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Phone Number"))
        kwargs.setdefault("max_length", MAX_INPUT_LENGTH)
        kwargs.setdefault("help_text", _("With the country code, e.g. +31 6 12345678."))
        kwargs.setdefault("widget", forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> PhoneNumber | str:
        text = super().to_python(value)
        if text in self.empty_values:
            return text
        number = parse_phone_number(text)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, PhoneNumber) and value.is_valid():
            return value.as_international
        return super().prepare_value(value)


class PhoneNumberForm(forms.Form):
    """The phone number that receives tokens (the ``sms`` and ``call`` setup steps)."""

    number = PhoneNumberField()


class PhoneNumberMethodForm(PhoneNumberForm):
    """A backup phone: its number, and whether tokens come by text message or by a call."""

    method = forms.ChoiceField(label=_("Method"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(method.code, method.verbose_name) for method in get_available_phone_methods()]
        # self.fields types its values as Field: this one is the ChoiceField declared above.
        cast(forms.ChoiceField, self.fields["method"]).choices = choices
        if choices:
            self.fields["method"].initial = choices[0][0]
