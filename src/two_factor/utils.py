"""Helpers that sites and plugins import from ``two_factor.utils``."""

from __future__ import annotations

from base64 import b32decode
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db.models import IntegerField, TextField, Value
from django.db.models.functions import Cast
from django.utils.http import url_has_allowed_host_and_scheme

from django_otp import device_classes
from django_otp.models import Device
from django_otp.util import otpauth_url

from .conf import settings

__all__ = [
    "default_device", "forget_default_device", "get_otpauth_url", "totp_digits", "safe_next_url",
    "USER_DEFAULT_DEVICE_ATTR_NAME",
]

USER_DEFAULT_DEVICE_ATTR_NAME = "_default_device"


def default_device(user: Any) -> Device | None:
    """The user's confirmed device named ``default`` (their primary method), or None.

    Two queries at most, whatever the number of device models: one UNION over every device
    table finds the model and key of each ``default`` device, a second loads the one that
    counts (the first in ``device_classes()`` order, then by primary key). Remembered on the
    user object for the rest of the request; ``forget_default_device()`` drops it.
    """
    if not user or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    if hasattr(user, USER_DEFAULT_DEVICE_ATTR_NAME):
        return getattr(user, USER_DEFAULT_DEVICE_ATTR_NAME)
    device = _find_default_device(user)
    setattr(user, USER_DEFAULT_DEVICE_ATTR_NAME, device)
    return device


def _find_default_device(user: Any) -> Device | None:
    models = device_classes()
    queries = [
        model.objects.devices_for_user(user, confirmed=True).filter(name="default").order_by()
        .annotate(_model=Value(index, output_field=IntegerField()),
                  _key=Cast("pk", output_field=TextField()))
        .values_list("_model", "_key")
        for index, model in enumerate(models)
    ]
    if not queries:
        return None
    rows = list(queries[0].union(*queries[1:], all=True)) if len(queries) > 1 else list(queries[0])
    if not rows:
        return None
    # The key comes back as text (primary keys may differ in type between tables).
    found = [(index, models[index]._meta.pk.to_python(key)) for index, key in rows]
    index, pk = min(found)
    return models[index]._default_manager.filter(pk=pk).first()


def forget_default_device(user: Any) -> None:
    """Drop the remembered default device (after adding or removing devices)."""
    if hasattr(user, USER_DEFAULT_DEVICE_ATTR_NAME):
        delattr(user, USER_DEFAULT_DEVICE_ATTR_NAME)


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
