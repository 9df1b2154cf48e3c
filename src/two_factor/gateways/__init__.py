"""Gateways that deliver phone tokens: chosen by dotted path in TWO_FACTOR_SMS_GATEWAY /
TWO_FACTOR_CALL_GATEWAY.

A gateway is a class with ``make_call(device, token)`` and ``send_sms(device, token)``. A gateway
that needs the request (to build an absolute URL, say) declares a parameter named ``request`` and
gets the request as an argument: no thread-local. Any other gateway is called with exactly
``device=`` and ``token=`` (also one whose method takes ``**kwargs``, such as a ``MagicMock`` that
a site's tests put in place of the gateway class).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from django_otp.util import declares_parameter

from ..conf import settings

__all__ = ["get_gateway_class", "make_call", "send_sms"]

_SETTINGS = {"make_call": "TWO_FACTOR_CALL_GATEWAY", "send_sms": "TWO_FACTOR_SMS_GATEWAY"}


def get_gateway_class(import_path: str) -> type:
    """The gateway class at ``import_path``."""
    return import_string(import_path)


def make_call(device: Any, token: str, request: Any = None) -> None:
    """Have the call gateway read ``token`` out to ``device.number``."""
    _deliver("make_call", device, token, request)


def send_sms(device: Any, token: str, request: Any = None) -> None:
    """Have the SMS gateway text ``token`` to ``device.number``."""
    _deliver("send_sms", device, token, request)


def _deliver(action: str, device: Any, token: str, request: Any) -> None:
    setting = _SETTINGS[action]
    path = getattr(settings, setting)
    if not path:
        raise ImproperlyConfigured(f"{setting} is not set: set it to the dotted path of a gateway "
                                   f"class, e.g. 'two_factor.gateways.fake.Fake'.")
    gateway_class = get_gateway_class(path) if isinstance(path, str) else path
    method = getattr(gateway_class(), action)
    if accepts_request(gateway_class, action):
        method(device=device, token=token, request=request)
    else:
        method(device=device, token=token)


def accepts_request(gateway_class: type, action: str) -> bool:
    """Whether ``gateway_class.action`` declares a parameter named ``request`` (positional or
    keyword, or keyword-only); ``**kwargs`` alone does not count."""
    return declares_parameter(getattr(gateway_class, action), "request")
