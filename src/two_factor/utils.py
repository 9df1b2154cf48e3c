"""Helpers that sites and plugins import from ``two_factor.utils``."""

from __future__ import annotations

import uuid
from base64 import b32decode
from typing import Any

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db import connections, router
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
    if not models:
        return None
    rows = _default_device_rows(user, models)
    if not rows:
        return None
    # The key comes back as text (primary keys may differ in type between tables).
    found = [(index, models[index]._meta.pk.to_python(key)) for index, key in rows]
    index, pk = min(found)
    return models[index]._default_manager.filter(pk=pk).first()


def _default_devices_query(user: Any, models: list[type[Device]]) -> Any:
    queries = [
        model.objects.devices_for_user(user, confirmed=True).filter(name="default").order_by()
        .annotate(_model=Value(index, output_field=IntegerField()),
                  _key=Cast("pk", output_field=TextField()))
        .values_list("_model", "_key")
        for index, model in enumerate(models)
    ]
    return queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]


# The UNION is the same statement for every user but for the user's key, and the ORM takes
# longer to build it than the database to run it: it is compiled once per database and set of
# device models, for a stand-in user, and the stand-in's key is swapped for the user's.
_compiled_default_device_sql: dict[tuple, tuple[str, tuple, list[int]] | None] = {}


def _default_device_rows(user: Any, models: list[type[Device]]) -> list[tuple[int, str]]:
    alias = router.db_for_read(models[0])
    key = (alias, tuple(models), user._meta.model, type(user.pk))
    if key not in _compiled_default_device_sql:
        _compiled_default_device_sql[key] = _compile_default_device_sql(user, models, alias)
    compiled = _compiled_default_device_sql[key]
    if compiled is None:  # a user key or a device manager we do not compile for: the ORM
        return list(_default_devices_query(user, models).using(alias))
    sql, template, positions = compiled
    connection = connections[alias]
    params = list(template)
    user_key = user._meta.pk.get_db_prep_value(user.pk, connection)
    for position in positions:
        params[position] = user_key
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(index), key) for index, key in cursor.fetchall()]


def _compile_default_device_sql(user: Any, models: list[type[Device]],
                                alias: str) -> tuple[str, tuple, list[int]] | None:
    stand_in_key = _STAND_IN_KEYS.get(type(user.pk))
    if stand_in_key is None:
        return None
    connection = connections[alias]
    stand_in = user._meta.model(pk=stand_in_key)
    query = _default_devices_query(stand_in, models).using(alias).query
    sql, params = query.get_compiler(using=alias).as_sql()
    prepared = user._meta.pk.get_db_prep_value(stand_in_key, connection)
    positions = [i for i, param in enumerate(params) if param == prepared]
    # One user condition per device table, else a manager does something we cannot follow.
    return (sql, tuple(params), positions) if len(positions) == len(models) else None


_STAND_IN_KEYS: dict[type, Any] = {
    int: -7_318_244_015_962_441,
    str: "two-factor-stand-in-7318244015962441",
    uuid.UUID: uuid.UUID("7318244f-0159-4624-8410-000000007318"),
}


def is_verified(user: Any) -> bool:
    """Whether ``user`` is verified by a device in this request (``OTPMiddleware``'s
    ``user.is_verified()``); False for a user object without it."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


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
