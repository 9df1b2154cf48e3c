"""Checking the phone numbers that users type."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from ...conf import settings

__all__ = ["parse_phone_number", "validate_international_phonenumber"]

#: Longer input is not a phone number (E.164 numbers have at most 15 digits).
MAX_INPUT_LENGTH = 64

INVALID_MESSAGE = _(
    "This is not a valid phone number. Enter the full number with its country code, "
    "starting with +, for example +31 6 12345678.")


def parse_phone_number(value: Any, region: str | None = None) -> PhoneNumber | None:
    """``value`` (text or a phone number) as a valid ``PhoneNumber``, or None.

    Text without a leading + is read as a number of ``region``, by default
    ``PHONENUMBER_DEFAULT_REGION`` (no region: it must start with +).
    """
    if isinstance(value, phonenumbers.PhoneNumber):
        number = PhoneNumber()
        number.merge_from(value)
    elif isinstance(value, str) and 0 < len(value.strip()) <= MAX_INPUT_LENGTH:
        try:
            number = PhoneNumber.from_string(
                value.strip(), region=region or settings.PHONENUMBER_DEFAULT_REGION or None)
        except phonenumbers.NumberParseException:
            return None
    else:
        return None
    return number if number.is_valid() else None


def validate_international_phonenumber(value: Any) -> None:
    """Raise a ``ValidationError`` (code ``invalid``) unless ``value`` is a valid phone number.

    Its message is ``validate_international_phonenumber.message``, the one that the phone number
    fields show too.
    """
    if parse_phone_number(value) is None:
        # A function attribute (as phonenumber_field's validator has): mypy has no type for it.
        raise ValidationError(validate_international_phonenumber.message,  # type: ignore[attr-defined]
                              code="invalid")


validate_international_phonenumber.message = INVALID_MESSAGE  # type: ignore[attr-defined]
