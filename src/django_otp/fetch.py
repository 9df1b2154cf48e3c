"""Load one row by primary key, optionally with its user, with the SQL built once.

A device is loaded by key on every request of a verified user and at each step of a sign-in.
Through the ORM, ``Model.objects.filter(pk=...).first()`` spends several times longer building
its SQL than the database spends running it, and the statement never changes but for the key.
So the SQL is made once per model, database and shape (with the user's row joined, or not);
later calls prepare the key, run the statement, and turn the row into instances the way the ORM
does (each column through its backend and field converters, then ``Model.from_db``).

Only plain shapes are compiled: the model's default manager must add nothing to the query but
conditions without parameters. Anything else falls back to the ORM, which gives the same result.
"""

from __future__ import annotations

import weakref
from typing import Any, cast

from django.db import connections, models, router

# (model, database alias, with user) -> _Plan, or None for "use the ORM"
_plans: dict[tuple[type[models.Model], str, bool], _Plan | None] = {}


class _Plan:
    """The SQL of one shape, and how its columns become model instances."""

    def __init__(self, sql: str, columns: list[Any], parts: list[tuple[type[models.Model], int]],
                 user_field: models.ForeignKey | None) -> None:
        self.sql = sql
        self.columns = columns  # the selected column expressions, for the converters
        self.parts = parts  # (model, number of columns) of the row, in order
        self.user_field = user_field
        self.attnames = [[field.attname for field in model._meta.concrete_fields]
                         for model, _count in parts]
        # Converters are bound to a connection's operations: made once per connection.
        self.converters: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def converters_for(self, connection: Any) -> list[tuple[int, list[Any], Any]]:
        found = self.converters.get(connection)
        if found is None:
            found = []
            for position, column in enumerate(self.columns):
                converters = (connection.ops.get_db_converters(column)
                              + column.get_db_converters(connection))
                if converters:
                    found.append((position, converters, column))
            self.converters[connection] = found
        return found


def fetch_by_pk(model: type[models.Model], pk: Any, *, with_user: bool = False) -> Any:
    """``model._default_manager.filter(pk=pk).first()``; with ``with_user``, its ``user``
    foreign key is loaded in the same query (``select_related("user")``)."""
    alias = router.db_for_read(model)
    key = (model, alias, with_user)
    if key not in _plans:
        _plans[key] = _compile(model, alias, with_user)
    plan = _plans[key]
    if plan is None:
        return _orm_queryset(model, alias, with_user).filter(pk=pk).first()
    connection = connections[alias]
    param = model._meta.pk.get_db_prep_value(pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, [param])
        row = cursor.fetchone()
    if row is None:
        return None
    return _instances(plan, alias, connection, list(row))


def _instances(plan: _Plan, alias: str, connection: Any, row: list[Any]) -> Any:
    for position, converters, column in plan.converters_for(connection):
        value = row[position]
        for converter in converters:
            value = converter(value, column, connection)
        row[position] = value
    instances, start = [], 0
    for (model, count), attnames in zip(plan.parts, plan.attnames, strict=True):
        instances.append(model.from_db(alias, attnames, row[start:start + count]))
        start += count
    if plan.user_field is not None:
        plan.user_field.set_cached_value(instances[0], instances[1])
    return instances[0]


def _orm_queryset(model: type[models.Model], alias: str, with_user: bool) -> models.QuerySet:
    queryset = model._default_manager.using(alias).order_by()
    return queryset.select_related("user") if with_user else queryset


def _compile(model: type[models.Model], alias: str, with_user: bool) -> _Plan | None:
    """The plan of a shape, or None when its query is not the plain one this module reads."""
    if not isinstance(model._meta.pk, models.IntegerField):
        return None  # keys other than integers (auto or not): the ORM
    sample_pk = 1
    connection = connections[alias]
    query = _orm_queryset(model, alias, with_user).filter(pk=sample_pk).query
    compiler = query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    if list(params) != [model._meta.pk.get_db_prep_value(sample_pk, connection)]:
        return None  # the manager adds conditions with values of their own
    parts = _parts(compiler.klass_info, model, with_user)
    if parts is None or compiler.annotation_col_map or sum(n for _m, n in parts) != len(compiler.select):
        return None
    columns = [column for column, _sql, _alias in compiler.select]
    # A device's user is its ForeignKey (the join above is select_related("user")).
    user_field = cast(models.ForeignKey, model._meta.get_field("user")) if with_user else None
    return _Plan(sql, columns, parts, user_field)


def _parts(klass_info: Any, model: type[models.Model],
           with_user: bool) -> list[tuple[type[models.Model], int]] | None:
    """(model, column count) of the device and, if joined, its user; None for other shapes."""
    if not klass_info or klass_info["model"] is not model:
        return None
    own = len(model._meta.concrete_fields)
    if klass_info["select_fields"] != list(range(own)):
        return None  # deferred or extra columns
    related = klass_info.get("related_klass_infos", [])
    if not with_user:
        return [(model, own)] if not related else None
    if len(related) != 1 or related[0].get("related_klass_infos"):
        return None
    user_model = related[0]["model"]
    count = len(user_model._meta.concrete_fields)
    if related[0]["select_fields"] != list(range(own, own + count)):
        return None
    return [(model, own), (user_model, count)]
