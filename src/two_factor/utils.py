"""Helpers that sites and plugins import from ``two_factor.utils``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings as django_settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from django_otp.fetch import fetch_by_pk
from django_otp.models import Device

from .conf import settings
from .flows.summary import cached_device_summary, device_summary, forget_device_summary

__all__ = [
    "default_device", "forget_default_device", "get_otpauth_url", "totp_digits", "safe_next_url",
    "success_url_or_home", "monkeypatch_method",
    "USER_DEFAULT_DEVICE_ATTR_NAME",
]

USER_DEFAULT_DEVICE_ATTR_NAME = "_default_device"


def default_device(user: Any) -> Device | None:
    """The user's confirmed device named ``default`` (their primary method), or None.

    Two queries at most, whatever the number of device models: the device summary (one UNION
    over every device table, ``two_factor.flows.summary``) names the model and key of each
    ``default`` device, a second query loads the one that counts (the first in
    ``device_classes()`` order, then by primary key). A device found is remembered on the user
    object for the rest of the request, with the summary; ``forget_default_device()`` drops
    both. "None" is not remembered: asked again, the database is asked again (a summary that
    shows no default device is summarised anew), as django-two-factor-auth did.
    """
    if not user or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    device = getattr(user, USER_DEFAULT_DEVICE_ATTR_NAME, None)
    if device is not None:
        return device
    device = _load_default_device(user)
    if device is not None:
        setattr(user, USER_DEFAULT_DEVICE_ATTR_NAME, device)
    return device


def _load_default_device(user: Any) -> Device | None:
    summary = cached_device_summary(user)
    if summary is not None and summary.default_row() is None:
        forget_device_summary(user)  # its "no default device" may be out of date by now
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


def get_otpauth_url(accountname: str, secret: str, issuer: str | None = None,
                    digits: int | None = None) -> str:
    """The ``otpauth://totp/`` URL an authenticator app scans, as django-two-factor-auth wrote it.

    ``secret`` is put in as given (the key in base32; it is not checked). The label is
    ``"<issuer>: <accountname>"`` (or the account name alone), percent-quoted; the query holds
    ``secret``, ``digits`` (``TWO_FACTOR_TOTP_DIGITS`` by default) and ``issuer`` when given::

        otpauth://totp/example.com%3A%20bouke%40example.com?secret=...&digits=6&issuer=example.com
    """
    label = quote(f"{issuer}: {accountname}" if issuer else accountname)
    query = [("secret", secret), ("digits", digits or totp_digits())]
    if issuer:
        query.append(("issuer", issuer))
    return f"otpauth://totp/{label}?{urlencode(query)}"


def totp_digits() -> int:
    """The number of digits of new authenticator-app tokens (``TWO_FACTOR_TOTP_DIGITS``)."""
    return int(settings.TWO_FACTOR_TOTP_DIGITS)


def success_url_or_home(success_url: str | None) -> str:
    """A view's ``success_url`` (a URL or URL name), else ``LOGIN_REDIRECT_URL``: where the old
    views went after success when the site did not say."""
    return str(resolve_url(success_url or django_settings.LOGIN_REDIRECT_URL))


def monkeypatch_method(cls: type) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator that adds the decorated function to ``cls`` under its own name (replacing an
    attribute of that name) and returns the function unchanged::

        @monkeypatch_method(AdminSite)
        def login(self, request, extra_context=None):
            ...

    Kept for sites that imported it from django-two-factor-auth; the package itself patches
    nothing.
    """
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(cls, func.__name__, func)
        return func

    return decorator


def safe_next_url(request: Any, field_name: str = REDIRECT_FIELD_NAME) -> str | None:
    """The request's ``next`` (POST, else GET) when it stays on this host, else None."""
    return safe_url(request, request.POST.get(field_name, request.GET.get(field_name)))


def safe_url(request: Any, target: Any) -> str | None:
    """``target`` when it is a URL that stays on the host of ``request``, else None."""
    if isinstance(target, str) and target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return None
