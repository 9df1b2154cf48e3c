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
    ``Call number +31 * ******58``."""
    from ..method import PhoneCallMethod, SMSMethod

    method = PhoneCallMethod() if getattr(device, "method", None) == "call" else SMSMethod()
    number = getattr(device, "number", None)
    return str(method.action) % utils.mask_phone_number(number)
