"""Migrate the phone plugin on a database of its own: fresh, or left by the old packages.

Run as ``python -m tests.two_factor.plugins.phonenumber.legacy_scenario MODE`` with
DJANGO_SETTINGS_MODULE=tests.two_factor.plugins.phonenumber.legacy_settings (see
test_migrations.py). MODE: ``fresh``; ``old-table`` (the table made by the old two_factor app's
migrations 0001-0008, no phonenumber migration recorded); ``old-table-recorded`` (the same, with
the old phonenumber 0001_initial recorded as applied); ``reverse``.
"""

import sys
import time

import django

from tests.legacy.scenario import OLD_MIGRATIONS, TYPES

TABLE = "two_factor_phonedevice"
OLD_COLUMNS = [
    ("id", "{pk}"), ("name", "varchar(64) NOT NULL"), ("confirmed", "{bool} NOT NULL"),
    ("number", "varchar(128) NOT NULL"), ("key", "varchar(40) NOT NULL"), ("method", "varchar(4) NOT NULL"),
    ("user_id", "integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED"),
    ("throttling_failure_timestamp", "{dt} NULL"), ("throttling_failure_count", "{uint} NOT NULL"),
]
NEW_COLUMNS = ["last_t", "last_generated_timestamp"]
KEY = "3132333435363738393031323334353637383930"
NUMBER = "+31612345658"


def columns(connection):
    with connection.cursor() as cursor:
        return {col.name for col in connection.introspection.get_table_description(cursor, TABLE)}


def build_old_table(connection, record_phonenumber):
    from django.utils import timezone

    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as c:
        cols = ", ".join(f'"{name}" {kind.format(**TYPES[connection.vendor])}' for name, kind in OLD_COLUMNS)
        c.execute(f'CREATE TABLE "{TABLE}" ({cols})')
        c.execute(f'CREATE INDEX "{TABLE}_user_id_old" ON "{TABLE}" ("user_id")')
        rows = [("two_factor", name) for name in OLD_MIGRATIONS["two_factor"]]
        if record_phonenumber:
            rows.append(("phonenumber", "0001_initial"))
        for app, name in rows:
            c.execute("INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)", [app, name, now])
        c.execute("INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,"
                  " is_staff, is_active, date_joined) VALUES (5, '!', %s, 'olduser', '', '', 'old@example.com',"
                  " %s, %s, %s)", [False, False, True, now])
        c.execute(f'INSERT INTO "{TABLE}" (id, name, confirmed, number, "key", method, user_id,'
                  " throttling_failure_timestamp, throttling_failure_count)"
                  " VALUES (9, 'default', %s, %s, %s, 'sms', 5, NULL, 0)", [True, NUMBER, KEY])


def check_old_row_verifies_once():
    from django_otp import verify_token
    from django_otp.oath import TOTP
    from two_factor.plugins.phonenumber.models import PhoneDevice
    from two_factor.utils import default_device

    device = PhoneDevice.objects.get(pk=9)
    assert (device.number.as_e164, device.method, device.key, device.last_t) == (NUMBER, "sms", KEY, -1)
    assert default_device(device.user) == device
    totp = TOTP(bytes.fromhex(KEY), 30, 0, 6)
    totp.time = time.time()
    token = f"{totp.token():06d}"
    assert verify_token(device.user, device.persistent_id, token) is not None, "old device refused its token"
    assert verify_token(device.user, device.persistent_id, token) is None, "token accepted twice"
    new = PhoneDevice.objects.create(user=device.user, name="backup", number=NUMBER, method="call")
    assert new.pk != 9  # the old id sequence still works
    print("old row verified once")


def check_old_row_can_be_encrypted():
    """The old key column (40 characters) was widened: an encrypted key fits."""
    import io

    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from django_otp.crypto import PREFIX, generate_key, stored_length
    from two_factor.plugins.phonenumber.models import PhoneDevice

    with override_settings(OTP_ENCRYPTION_KEYS=[generate_key()]):
        call_command("otp_reencrypt", stdout=io.StringIO())
        with connection.cursor() as c:
            c.execute(f'SELECT "key" FROM "{TABLE}" WHERE id = 9')
            [stored] = c.fetchone()
        assert stored.startswith(PREFIX) and len(stored) == stored_length(40), stored
        assert PhoneDevice.objects.get(pk=9).key == KEY
    print("old row encrypted")


def migrate_quietly(*args):
    from django.core.management import call_command

    call_command("migrate", *args, verbosity=0)


def run_fresh():
    from django.core.management import call_command
    from django.db import connection

    migrate_quietly()
    assert columns(connection) == {name for name, _kind in OLD_COLUMNS} | set(NEW_COLUMNS), columns(connection)
    call_command("makemigrations", "phonenumber", check=True, dry_run=True, verbosity=0)
    print("FRESH OK")


def run_old_table(record_phonenumber):
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    migrate_quietly("contenttypes")
    migrate_quietly("auth")
    build_old_table(connection, record_phonenumber)
    migrate_quietly()
    assert columns(connection) == {name for name, _kind in OLD_COLUMNS} | set(NEW_COLUMNS), columns(connection)
    applied = {name for app, name in MigrationRecorder(connection).applied_migrations() if app == "phonenumber"}
    assert applied == {"0001_initial", "0100_phonedevice_last_t", "0101_phonedevice_secret_key"}, applied
    check_old_row_verifies_once()
    check_old_row_can_be_encrypted()
    print("OLD TABLE OK")


def run_reverse():
    from django.db import connection

    migrate_quietly()
    migrate_quietly("phonenumber", "0001_initial")
    assert not set(NEW_COLUMNS) & columns(connection)
    migrate_quietly("phonenumber", "zero")
    assert TABLE not in connection.introspection.table_names()
    migrate_quietly("phonenumber")
    assert set(NEW_COLUMNS) <= columns(connection)
    print("REVERSE OK")


if __name__ == "__main__":
    django.setup()
    {
        "fresh": run_fresh,
        "old-table": lambda: run_old_table(record_phonenumber=False),
        "old-table-recorded": lambda: run_old_table(record_phonenumber=True),
        "reverse": run_reverse,
    }[sys.argv[1]]()
