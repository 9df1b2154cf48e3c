"""Helpers of the phone methods: a user's backup phones, the phone methods on offer, and how a
number is shown (formatted, or masked)."""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from django.db.models import QuerySet

from ...conf import settings
from ..registry import MethodBase, registry
from .validators import parse_phone_number

__all__ = [
    "backup_phones", "registered_backup_phones", "get_available_phone_methods", "get_available_methods",
    "format_phone_number", "mask_phone_number",
]

PHONE_METHOD_CODES = ("call", "sms")
#: The name of the phones added with ``PhoneSetupView``, as the old package named them.
BACKUP_PHONE_NAME = "backup"
#: A digit with at least 3 characters before it and 2 after it (``mask_phone_number``).
_MASKED_DIGIT = re.compile(r"(?<=.{3})[0-9](?=.{2})", re.DOTALL)


def backup_phones(user: Any) -> QuerySet:
    """``user``'s confirmed backup phones (the phone devices named ``"backup"``), oldest first.

    Always a QuerySet: empty for None or an anonymous user, and when neither
    ``TWO_FACTOR_CALL_GATEWAY`` nor ``TWO_FACTOR_SMS_GATEWAY`` is set (no phone can be used).
    """
    if not (settings.TWO_FACTOR_CALL_GATEWAY or settings.TWO_FACTOR_SMS_GATEWAY):
        from .models import PhoneDevice

        return PhoneDevice.objects.none()
    return registered_backup_phones(user)


def registered_backup_phones(user: Any) -> QuerySet:
    """``user``'s confirmed backup phones whether or not a gateway is configured (what the user
    may remove); an empty QuerySet for None or an anonymous user."""
    from .models import PhoneDevice

    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return PhoneDevice.objects.none()
    return (PhoneDevice.objects.devices_for_user(user, confirmed=True)
            .filter(name=BACKUP_PHONE_NAME).order_by("pk"))


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
    """``number`` with every digit that has at least 3 characters before it and 2 after it
    replaced by ``*``: only the start and the last 2 digits stay visible.

    Text is masked as it is given, without parsing: ``+41 524 204 242`` gives
    ``+41 *** *** *42``. A phone number object is formatted in international notation first:
    ``+31 * ******58`` for +31612345658. None gives an empty string.
    """
    if isinstance(number, phonenumbers.PhoneNumber):
        text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    else:
        text = "" if number is None else str(number)
    return _MASKED_DIGIT.sub("*", text)
