"""Helpers that sites and plugins import from ``two_factor.utils``."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.utils.http import url_has_allowed_host_and_scheme

from django_otp.fetch import fetch_by_pk
from django_otp.models import Device
from django_otp.util import otpauth_url

from .conf import settings
from .flows.summary import device_summary, forget_device_summary

__all__ = [
    "default_device", "forget_default_device", "get_otpauth_url", "totp_digits", "safe_next_url",
    "USER_DEFAULT_DEVICE_ATTR_NAME",
]

USER_DEFAULT_DEVICE_ATTR_NAME = "_default_device"


def default_device(user: Any) -> Device | None:
    """The user's confirmed device named ``default`` (their primary method), or None.

    Two queries at most, whatever the number of device models: the device summary (one UNION
    over every device table, ``two_factor.flows.summary``) names the model and key of each
    ``default`` device, a second query loads the one that counts (the first in
    ``device_classes()`` order, then by primary key). Remembered on the user object for the
    rest of the request, with the summary; ``forget_default_device()`` drops both.
    """
    if not user or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    if hasattr(user, USER_DEFAULT_DEVICE_ATTR_NAME):
        return getattr(user, USER_DEFAULT_DEVICE_ATTR_NAME)
    device = _load_default_device(user)
    setattr(user, USER_DEFAULT_DEVICE_ATTR_NAME, device)
    return device


def _load_default_device(user: Any) -> Device | None:
    summary = device_summary(user)
    row = summary.default_row() if summary is not None else None
    return fetch_by_pk(row.model, row.pk) if row is not None else None


def is_verified(user: Any) -> bool:
    """Whether ``user`` is verified by a device in this request (``OTPMiddleware``'s
    ``user.is_verified()``); False for a user object without it."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def forget_default_device(user: Any) -> None:
    """Drop the remembered default device and device summary (after adding or removing devices
    or backup tokens): what this request shows next is read from the database again."""
    if hasattr(user, USER_DEFAULT_DEVICE_ATTR_NAME):
        delattr(user, USER_DEFAULT_DEVICE_ATTR_NAME)
    forget_device_summary(user)


def get_otpauth_url(accountname: str, secret: bytes | str, issuer: str | None = None,
                    digits: int | None = None) -> str:
    """The ``otpauth://totp/`` URL an authenticator app scans.

    ``secret`` is the key in base32 (as authenticator apps show it), or the raw bytes.
    """
    if isinstance(secret, str):
        text = secret.replace(" ", "").upper()
        key = b32decode(text + "=" * (-len(text) % 8))
    else:
        key = secret
    return otpauth_url("totp", accountname, key, issuer or None,
                       digits=digits or totp_digits())


def totp_digits() -> int:
    """The number of digits of new authenticator-app tokens (``TWO_FACTOR_TOTP_DIGITS``)."""
    return int(settings.TWO_FACTOR_TOTP_DIGITS)


def safe_next_url(request: Any, field_name: str = REDIRECT_FIELD_NAME) -> str | None:
    """The request's ``next`` (POST, else GET) when it stays on this host, else None."""
    target = request.POST.get(field_name, request.GET.get(field_name))
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None
