"""A user's confirmed devices at a glance, in one query: the "device summary".

One UNION ALL over every device table (``django_otp.device_classes()``) gives a row per
confirmed device of the user: its model, its key, its name and, for a ``StaticDevice``, how
many tokens it has left. From it ``two_factor.utils.default_device`` picks the default device,
``flows.backup.backup_token_count`` counts the backup tokens, and ``flows.login.other_devices``
sees whether there is anything else to offer, where each asked the database on its own before.

The summary is computed once per request and kept on the user object, like the default
device; ``two_factor.utils.forget_default_device(user)`` drops both, and code that adds or
removes devices or tokens calls it (every added device goes through
``flows.devices.device_added``). One exception: ``default_device()`` does not trust a kept
summary that shows no default device (a device named ``default`` may have been made since, as
django-two-factor-auth's ``default_device`` would see), and summarises again.
"""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from django.db import connections, router
from django.db.models import F, IntegerField, TextField, Value
from django.db.models.functions import Cast

from django_otp import device_classes
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, token_count

#: The attribute of the user object that keeps the summary for the rest of the request.
USER_DEVICE_SUMMARY_ATTR_NAME = "_two_factor_device_summary"


class SummaryRow(NamedTuple):
    """One confirmed device: ``index`` is its model's place in ``device_classes()``."""

    # mypy refuses a field that shadows tuple.index(); the name is public, and works.
    index: int  # type: ignore[assignment]
    model: type[Device]
    pk: Any
    name: str
    tokens: int  # the tokens left of a StaticDevice; 0 for other models

    def is_device(self, device: Device | None) -> bool:
        return device is not None and type(device) is self.model and device.pk == self.pk


class DeviceSummary(NamedTuple):
    rows: tuple[SummaryRow, ...]
    #: Whether StaticDevice is one of the summarised models (else its tokens are unknown here).
    has_static: bool

    def default_row(self) -> SummaryRow | None:
        """The default device: named ``default``, first in ``device_classes()`` order, then by
        primary key."""
        named = [row for row in self.rows if row.name == "default"]
        return min(named, key=lambda row: (row.index, row.pk)) if named else None

    def static_tokens(self, name: str) -> int | None:
        """The tokens left on the user's confirmed StaticDevices named ``name`` (None: unknown)."""
        if not self.has_static:
            return None
        return sum(row.tokens for row in self.rows if row.model is StaticDevice and row.name == name)

    def others(self, device: Device | None) -> list[SummaryRow]:
        """Every confirmed device but ``device``."""
        return [row for row in self.rows if not row.is_device(device)]


def device_summary(user: Any) -> DeviceSummary | None:
    """The summary of ``user``'s devices (one query, then remembered on the user object);
    None for an anonymous or unsaved user."""
    if not user or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    summary = cached_device_summary(user)
    if summary is None:
        summary = _summarise(user)
        setattr(user, USER_DEVICE_SUMMARY_ATTR_NAME, summary)
    return summary


def has_device(user: Any) -> bool:
    """Whether ``user`` has a confirmed device (``django_otp.user_has_device``), from the
    summary: one query whatever the number of device models, and none if this request has
    summarised the user's devices already."""
    summary = device_summary(user)
    return summary is not None and bool(summary.rows)


def cached_device_summary(user: Any) -> DeviceSummary | None:
    """The summary computed earlier in this request for this user object, or None."""
    return getattr(user, USER_DEVICE_SUMMARY_ATTR_NAME, None) if user is not None else None


def forget_device_summary(user: Any) -> None:
    if user is not None and hasattr(user, USER_DEVICE_SUMMARY_ATTR_NAME):
        delattr(user, USER_DEVICE_SUMMARY_ATTR_NAME)


def _summarise(user: Any) -> DeviceSummary:
    models = device_classes()
    raw = _summary_rows(user, models) if models else []
    # The key comes back as text (primary keys may differ in type between tables).
    rows = tuple(SummaryRow(index, models[index], models[index]._meta.pk.to_python(key), name,
                            int(tokens or 0))
                 for index, key, name, tokens in raw)
    return DeviceSummary(rows, StaticDevice in models)


def _summary_query(user: Any, models: list[type[Device]]) -> Any:
    queries = [
        model.objects.devices_for_user(user, confirmed=True).order_by()
        .annotate(_model=Value(index, output_field=IntegerField()),
                  _key=Cast("pk", output_field=TextField()),
                  _name=F("name"),
                  _tokens=_token_count(model))
        .values_list("_model", "_key", "_name", "_tokens")
        for index, model in enumerate(models)
    ]
    return queries[0].union(*queries[1:], all=True) if len(queries) > 1 else queries[0]


def _token_count(model: type[Device]) -> Any:
    if model is not StaticDevice:  # (a subclass or proxy would count the same tokens twice)
        return Value(0, output_field=IntegerField())
    return token_count()


# The UNION is the same statement for every user but for the user's key, and the ORM takes
# longer to build it than the database to run it: it is compiled once per database and set of
# device models, for a stand-in user, and the stand-in's key is swapped for the user's.
_compiled_summary_sql: dict[tuple, tuple[str, tuple, list[int]] | None] = {}


def _summary_rows(user: Any, models: list[type[Device]]) -> list[tuple[int, str, str, int]]:
    alias = router.db_for_read(models[0])
    key = (alias, tuple(models), user._meta.model, type(user.pk))
    if key not in _compiled_summary_sql:
        _compiled_summary_sql[key] = _compile_summary_sql(user, models, alias)
    compiled = _compiled_summary_sql[key]
    if compiled is None:  # a user key or a device manager we do not compile for: the ORM
        return [(int(index), key, name, tokens) for index, key, name, tokens
                in _summary_query(user, models).using(alias)]
    sql, template, positions = compiled
    connection = connections[alias]
    params = list(template)
    user_key = user._meta.pk.get_db_prep_value(user.pk, connection)
    for position in positions:
        params[position] = user_key
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(int(index), key, name, tokens) for index, key, name, tokens in cursor.fetchall()]


def _compile_summary_sql(user: Any, models: list[type[Device]],
                         alias: str) -> tuple[str, tuple, list[int]] | None:
    stand_in_key = _STAND_IN_KEYS.get(type(user.pk))
    if stand_in_key is None:
        return None
    connection = connections[alias]
    stand_in = user._meta.model(pk=stand_in_key)
    query = _summary_query(stand_in, models).using(alias).query
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
