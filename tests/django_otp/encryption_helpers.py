"""Keys and readers of the raw database, shared by the tests of encrypted secrets."""

import io
import json
import unittest
from base64 import b32encode, b64encode

import pytest
from django.core.management import call_command
from django.db import connection

from django_otp.crypto import generate_key, parse_key

K1, K2, K3 = generate_key(), generate_key(), generate_key()
ID1, ID2, ID3 = (parse_key(key).id for key in (K1, K2, K3))


@pytest.fixture(autouse=True)
def plain_baseline(request):
    """Each test function starts as a site without encryption keys, whatever the settings module
    says (the suites also run with tests.settings_encrypted); test cases set their own."""
    if request.cls is not None and issubclass(request.cls, unittest.TestCase):
        return
    settings = request.getfixturevalue("settings")
    settings.OTP_ENCRYPTION_KEYS = None
    del settings.OTP_ADMIN_HIDE_SENSITIVE_DATA


def raw_key(device):
    """The ``key`` column of ``device``'s row, as the database holds it."""
    table = connection.ops.quote_name(device._meta.db_table)
    column = connection.ops.quote_name(device._meta.get_field("key").column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def declared_width(model):
    """The width the database declares for ``model``'s key column (varchar(N))."""
    table, column = model._meta.db_table, model._meta.get_field("key").column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT character_maximum_length FROM information_schema.columns "
                           "WHERE table_name = %s AND column_name = %s", [table, column])
            return cursor.fetchone()[0]
        cursor.execute(f"PRAGMA table_info({connection.ops.quote_name(table)})")
        [kind] = [row[2] for row in cursor.fetchall() if row[1] == column]
        return int(kind.lower().removeprefix("varchar(").rstrip(")"))


def set_raw_key(device, value):
    table = connection.ops.quote_name(device._meta.db_table)
    column = connection.ops.quote_name(device._meta.get_field("key").column)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, device.pk])


def dump(*labels):
    """``dumpdata`` of ``labels`` as JSON text (and checked to be JSON)."""
    out = io.StringIO()
    call_command("dumpdata", *labels, format="json", stdout=out)
    json.loads(out.getvalue())
    return out.getvalue()


def readable_forms(hex_key):
    """Every form in which a secret could be read: hex either case, base32, base64."""
    raw = bytes.fromhex(hex_key)
    base32 = b32encode(raw).decode()
    return {hex_key.lower(), hex_key.upper(), base32, base32.rstrip("="), b64encode(raw).decode()}


def assert_no_secret(text, hex_key):
    for form in readable_forms(hex_key):
        assert form not in text, form
