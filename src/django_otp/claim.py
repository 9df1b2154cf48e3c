"""The conditional UPDATE that claims a token, with its SQL built once per shape.

``Device._claim`` runs on every successful verification. Through the ORM, building the
``filter(...).update(...)`` query costs several times what the database then spends on it, and
the statement is always the same but for its values. So the SQL text is made once per model,
database and set of column names, and later calls only prepare the values (through each field's
``get_db_prep_*``, as the ORM does) and execute it.

Only the simple shapes the devices use are compiled: an AND of ``field``/``field__lt``/``__lte``/
``__gt``/``__gte`` conditions on non-null values, and plain values to set. Anything else (an
expression, ``None`` in a condition, OR or NOT) returns None, and the caller uses the ORM.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from django.db import connections, models, router, transaction

OPERATORS = {"exact": "=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
PLAIN = (str, int, float, bool, decimal.Decimal, datetime.datetime, datetime.date)

# (model, database alias, condition lookups, column names) -> (SQL, WHERE fields, SET fields)
_compiled: dict[tuple, tuple[str, list[models.Field], list[models.Field]]] = {}


def claim(instance: models.Model, condition: models.Q, values: dict[str, Any],
          also: dict[str, Any] | None = None) -> int | None:
    """UPDATE ``instance``'s row with ``values`` where ``condition`` holds, and the columns
    named in ``also`` have those values; the row count.

    None when the shape is not one this module compiles (then nothing was executed).
    """
    lookups = _lookups(condition)
    if lookups is None or not values or not all(map(_plain_or_none, values.values())):
        return None
    if also:
        if not all(isinstance(value, PLAIN) for value in also.values()):
            return None
        lookups += also.items()
    model = type(instance)
    alias = router.db_for_write(model, instance=instance)
    key = (model, alias, tuple(name for name, _value in lookups), tuple(values))
    plan = _compiled.get(key)
    if plan is None:
        try:
            plan = _compiled[key] = _compile(model, alias, key[2], key[3])
        except FieldDoesNotExist:
            return None
    sql, where_fields, set_fields = plan
    connection = connections[alias]
    params = [field.get_db_prep_save(value, connection)
              for field, value in zip(set_fields, values.values(), strict=True)]
    where_values = [instance.pk, *(value for _name, value in lookups)]
    params += [field.get_db_prep_value(field.get_prep_value(value), connection, prepared=True)
               for field, value in zip(where_fields, where_values, strict=True)]
    with transaction.mark_for_rollback_on_error(using=alias), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _lookups(condition: models.Q) -> list[tuple[str, Any]] | None:
    if condition.negated or (len(condition.children) > 1 and condition.connector != models.Q.AND):
        return None
    lookups = []
    for child in condition.children:
        if not isinstance(child, tuple) or not isinstance(child[1], PLAIN):
            return None
        name, _sep, operator = child[0].partition("__")
        if operator not in OPERATORS and operator != "":
            return None
        lookups.append(child)
    return lookups


def _plain_or_none(value: Any) -> bool:
    return value is None or isinstance(value, PLAIN)


def _compile(model: type[models.Model], alias: str, lookup_names: tuple[str, ...],
             set_names: tuple[str, ...]) -> tuple[str, list[models.Field], list[models.Field]]:
    quote = connections[alias].ops.quote_name
    meta = model._meta
    # get_field() is typed to return relations and generic keys too; a claim names columns:
    # the SET fields are checked just below, the WHERE fields are the device's own columns.
    set_fields = [cast(models.Field, meta.get_field(name)) for name in set_names]
    if any(not field.concrete or field.primary_key for field in set_fields):
        raise FieldDoesNotExist("A claim sets concrete, non-key columns only")
    where_fields: list[models.Field] = [meta.pk]
    where_sql = [f"{quote(meta.pk.column)} = %s"]
    for lookup in lookup_names:
        name, _sep, operator = lookup.partition("__")
        field = cast(models.Field, meta.get_field(name))
        where_fields.append(field)
        where_sql.append(f"{quote(field.column)} {OPERATORS[operator or 'exact']} %s")
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in set_fields)
    # Only quoted identifiers of the model are formatted in; every value is a parameter.
    sql = (f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
           f"WHERE {' AND '.join(where_sql)}")
    return sql, where_fields, set_fields
