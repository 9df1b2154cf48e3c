"""Helpers of the phone methods: a user's backup phones, the phone methods on offer, and how a
number is shown (formatted, or masked)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ..registry import MethodBase, registry
from .validators import parse_phone_number

__all__ = [
    "backup_phones", "get_available_phone_methods", "get_available_methods",
    "format_phone_number", "mask_phone_number",
]

PHONE_METHOD_CODES = ("call", "sms")


def backup_phones(user: Any) -> QuerySet | list:
    """``user``'s confirmed phone devices other than the default one."""
    from .models import PhoneDevice

    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return []
    return (PhoneDevice.objects.devices_for_user(user, confirmed=True)
            .exclude(name="default").order_by("pk"))


def get_available_methods() -> list[MethodBase]:
    """Every method that can be used now."""
    return registry.get_methods()


def get_available_phone_methods() -> list[MethodBase]:
    """The phone methods (``call``, ``sms``) whose gateway is configured."""
    return [method for method in registry.get_methods() if method.code in PHONE_METHOD_CODES]


def format_phone_number(number: Any) -> str:
    """``number`` (text or a phone number) in international notation, e.g. ``+31 6 12345678``;
    text that is not a valid number comes back as it was."""
    parsed = parse_phone_number(number)
    if parsed is None:
        return "" if number is None else str(number)
    return parsed.as_international


def mask_phone_number(number: Any) -> str:
    """``number`` in international notation with only the country code and the last 2 digits
    visible, the spacing kept: ``+31 * ******58`` for +31612345658.

    Text that is not a valid number keeps its first 3 and last 2 characters, other digits masked.
    """
    parsed = parse_phone_number(number)
    if parsed is None:
        text = "" if number is None else str(number)
        return _mask_digits(text, lambda index: 3 <= index < len(text) - 2)
    formatted = parsed.as_international
    digits = [index for index, char in enumerate(formatted) if char.isdigit()]
    shown = set(digits[:len(str(parsed.country_code))]) | set(digits[-2:])
    return _mask_digits(formatted, lambda index: index not in shown)


def _mask_digits(text: str, hide: Any) -> str:
    return "".join("*" if char.isdigit() and hide(index) else char
                   for index, char in enumerate(text))
