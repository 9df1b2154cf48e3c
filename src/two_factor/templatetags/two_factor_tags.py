"""``{% load two_factor_tags %}``: how to talk about a device, asked of its method."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext

from ..plugins.registry import registry

register = template.Library()


@register.filter
def as_action(device: Any) -> str:
    """A short label for a button that picks ``device``, e.g. "Use your authenticator app"."""
    text = _ask_method(device, "get_action")
    if text is None:
        return gettext("Use %(device)s") % {"device": _device_name(device)}
    return str(text)


@register.filter
def as_verbose_action(device: Any) -> str:
    """A sentence telling the user what to do with ``device``."""
    text = _ask_method(device, "get_verbose_action")
    if text is None:
        return gettext("Please enter a token from %(device)s.") % {"device": _device_name(device)}
    return str(text)


def _ask_method(device: Any, question: str) -> Any:
    if device is None:
        return None
    method = registry.method_from_device(device)
    return getattr(method, question)(device) if method is not None else None


def _device_name(device: Any) -> str:
    if device is None:
        return gettext("your device")
    meta = getattr(device, "_meta", None)
    return getattr(device, "name", "") or (str(meta.verbose_name) if meta else str(device))
