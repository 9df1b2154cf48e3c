"""``{% load phonenumber %}``: phone numbers on screen, formatted or masked."""

from __future__ import annotations

from typing import Any

from django import template

from .. import utils

register = template.Library()


@register.filter
def mask_phone_number(number: Any) -> str:
    """Masks a phone number, only the first 3 and the last 2 digits visible: ``+31 * ******58``.

    ``number`` is text (masked as given) or a phone number object (formatted in international
    notation first).
    """
    return utils.mask_phone_number(number)


@register.filter
def format_phone_number(number: Any) -> str:
    """``number`` (text or a phone number object) in international notation."""
    return utils.format_phone_number(number)


@register.filter
def device_action(device: Any) -> str:
    """What picking a phone device does: ``Send text message to +31 * ******58`` or
    ``Call number +31 * ******58``.

    Raises ``NotImplementedError`` for a device whose ``method`` is neither ``sms`` nor ``call``
    (as django-two-factor-auth did).
    """
    from ..method import PhoneCallMethod, SMSMethod

    code = getattr(device, "method", None)
    # Keyed by any value: a device without a method (None) or an unknown one is not found.
    method_classes: dict[Any, type[PhoneCallMethod | SMSMethod]] = {"call": PhoneCallMethod, "sms": SMSMethod}
    method_class = method_classes.get(code)
    if method_class is None:
        raise NotImplementedError(
            f"device_action() knows the phone methods 'sms' and 'call', not {code!r}")
    return str(method_class.action) % utils.mask_phone_number(getattr(device, "number", None))
