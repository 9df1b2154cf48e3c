"""Build a database the way django-otp 1.7 left it, then `migrate` it with our apps.

Run as ``python -m tests.legacy.scenario {legacy|schema}`` with
DJANGO_SETTINGS_MODULE=tests.legacy.settings (see tests/django_otp/test_legacy_database.py).
"""

import io
import sys
from datetime import timedelta

import django

# The old tables, column by column. {x} placeholders are filled per dialect from TYPES.
_COMMON = [("id", "{pk}"), ("name", "varchar(64) NOT NULL"), ("confirmed", "{bool} NOT NULL"),
           ("user_id", "integer NOT NULL REFERENCES auth_user (id) DEFERRABLE INITIALLY DEFERRED")]
_THROTTLE = [("throttling_failure_timestamp", "{dt} NULL"), ("throttling_failure_count", "{uint} NOT NULL")]
_STAMPS = [("created_at", "{dt} NULL"), ("last_used_at", "{dt} NULL")]
OLD_SCHEMA = {
    "otp_totp_totpdevice": _COMMON + [
        ("key", "varchar(80) NOT NULL"), ("step", "{usmall} NOT NULL"), ("t0", "bigint NOT NULL"),
        ("digits", "{usmall} NOT NULL"), ("tolerance", "{usmall} NOT NULL"), ("drift", "smallint NOT NULL"),
        ("last_t", "bigint NOT NULL")] + _THROTTLE + _STAMPS,
    "otp_hotp_hotpdevice": _COMMON + [
        ("key", "varchar(80) NOT NULL"), ("digits", "{usmall} NOT NULL"), ("tolerance", "{usmall} NOT NULL"),
        ("counter", "bigint NOT NULL")] + _THROTTLE + _STAMPS,
    "otp_static_staticdevice": _COMMON + _THROTTLE + _STAMPS,
    "otp_static_statictoken": [
        ("id", "{pk}"), ("token", "varchar(16) NOT NULL"),
        ("device_id", "integer NOT NULL REFERENCES otp_static_staticdevice (id) DEFERRABLE INITIALLY DEFERRED")],
    "otp_email_emaildevice": _COMMON + [
        ("token", "varchar(16) NULL"), ("valid_until", "{dt} NOT NULL"), ("email", "varchar(254) NULL"),
        ("last_generated_timestamp", "{dt} NULL")] + _THROTTLE + _STAMPS,
}
TYPES = {
    "sqlite": {"pk": "integer NOT NULL PRIMARY KEY AUTOINCREMENT", "bool": "bool", "dt": "datetime",
               "usmall": "smallint unsigned", "uint": "integer unsigned"},
    "postgresql": {"pk": "serial NOT NULL PRIMARY KEY", "bool": "boolean", "dt": "timestamp with time zone",
                   "usmall": "smallint", "uint": "integer"},
}
INDEXES = [("otp_totp_totpdevice", "user_id"), ("otp_hotp_hotpdevice", "user_id"),
           ("otp_static_staticdevice", "user_id"), ("otp_static_statictoken", "token"),
           ("otp_static_statictoken", "device_id"), ("otp_email_emaildevice", "user_id")]
OLD_MIGRATIONS = {
    "otp_totp": ["0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"],
    "otp_hotp": ["0001_initial", "0002_auto_20190420_0723", "0003_add_timestamps"],
    "otp_static": ["0001_initial", "0002_throttling", "0003_add_timestamps"],
    "otp_email": ["0001_initial", "0002_sidechanneldevice_email", "0003_emaildevice_throttling",
                  "0004_throttling", "0005_sidechanneldevice_last_generated_timestamp", "0006_add_timestamps"],
    "two_factor": ["0001_initial", "0002_auto_20150110_0810", "0003_auto_20150817_1733",
                   "0004_auto_20160205_1827", "0005_auto_20160224_0450", "0006_phonedevice_key_default",
                   "0007_auto_20201201_1019", "0008_delete_phonedevice"],
}
OTP_APPS = ["otp_totp", "otp_hotp", "otp_static", "otp_email"]
TOTP_KEY = "3132333435363738393031323334353637383930"
HOTP_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f9011223344"


def create_old_tables(cursor, vendor):
    for table, columns in OLD_SCHEMA.items():
        cols = ", ".join(f'"{name}" {kind.format(**TYPES[vendor])}' for name, kind in columns)
        cursor.execute(f'CREATE TABLE "{table}" ({cols})')
    for table, column in INDEXES:
        cursor.execute(f'CREATE INDEX "{table}_{column}_old" ON "{table}" ("{column}")')


def build_legacy_database(connection):
    from django.utils import timezone

    dt = connection.ops.adapt_datetimefield_value
    now = timezone.now()
    with connection.cursor() as c:
        create_old_tables(c, connection.vendor)
        for app, names in OLD_MIGRATIONS.items():
            for name in names:
                c.execute("INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, %s)",
                          [app, name, dt(now)])
        c.execute("INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, email,"
                  " is_staff, is_active, date_joined) VALUES (5, '!', %s, 'olduser', '', '', 'old@example.com',"
                  " %s, %s, %s)", [False, False, True, dt(now)])
        device = "(id, name, confirmed, user_id, throttling_failure_count, created_at, last_used_at"
        c.execute(f"INSERT INTO otp_totp_totpdevice {device}, key, step, t0, digits, tolerance, drift, last_t)"
                  " VALUES (7, 'phone', %s, 5, 0, NULL, NULL, %s, 30, 0, 6, 1, 0, -1)", [True, TOTP_KEY])
        c.execute(f"INSERT INTO otp_hotp_hotpdevice {device}, key, digits, tolerance, counter)"
                  " VALUES (11, 'fob', %s, 5, 0, NULL, NULL, %s, 6, 5, 41)", [True, HOTP_KEY])
        c.execute(f"INSERT INTO otp_static_staticdevice {device}) VALUES (13, 'backup', %s, 5, 0, NULL, NULL)", [True])
        c.execute("INSERT INTO otp_static_statictoken (id, device_id, token) VALUES (3, 13, 'old2backup7')")
        c.execute(f"INSERT INTO otp_email_emaildevice {device}, token, valid_until, email, last_generated_timestamp)"
                  " VALUES (17, 'mail', %s, 5, 0, %s, NULL, '482913', %s, NULL, %s)",
                  [True, dt(now - timedelta(days=300)), dt(now + timedelta(hours=1)), dt(now)])


def row_ids(connection):
    with connection.cursor() as c:
        result = {}
        for table in OLD_SCHEMA:
            c.execute(f'SELECT id FROM "{table}" ORDER BY id')
            result[table] = [row[0] for row in c.fetchall()]
        return result


def run_legacy():
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.db.migrations.recorder import MigrationRecorder

    from django_otp import match_token, verify_token
    from django_otp.oath import hotp, totp
    from django_otp.plugins.otp_email.models import EmailDevice
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    call_command("migrate", "contenttypes", verbosity=0)
    call_command("migrate", "auth", verbosity=0)
    build_legacy_database(connection)
    before = row_ids(connection)

    # Our 0001_initial counts as applied: no table is (re)created; only our later migrations
    # (0100 and up, such as the wider key columns) are planned.
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    assert all(int(m.name[:4]) >= 100 for m, _ in plan if m.app_label in OTP_APPS), plan
    call_command("migrate", verbosity=0)
    assert row_ids(connection) == before, (row_ids(connection), before)
    out = io.StringIO()
    call_command("showmigrations", *OTP_APPS, stdout=out)
    assert out.getvalue().count("[X] 0001_initial") == 4 and "[ ]" not in out.getvalue(), out.getvalue()
    applied = set(MigrationRecorder(connection).applied_migrations())
    assert ("two_factor", "0008_delete_phonedevice") in applied and ("otp_email", "0004_throttling") in applied
    print("migrate OK:", before)

    user = get_user_model().objects.get(pk=5)
    tokens = {
        "otp_totp.totpdevice/7": f"{totp(bytes.fromhex(TOTP_KEY)):06d}",
        # The legacy persistent-id form (module path and class name) that old sessions carry.
        "django_otp.plugins.otp_hotp.models.HOTPDevice/11": f"{hotp(bytes.fromhex(HOTP_KEY), 41):06d}",
        "otp_static.staticdevice/13": "old2backup7",
        "otp_email.emaildevice/17": "482913",
    }
    for persistent_id, token in tokens.items():
        device = verify_token(user, persistent_id, token)
        assert device is not None and device.pk == int(persistent_id.split("/")[1]), (persistent_id, token)
        assert device.last_used_at is not None, persistent_id
        assert verify_token(user, persistent_id, token) is None, f"{persistent_id}: token accepted twice"
        print("verified once:", persistent_id)
    assert match_token(user, "old2backup7") is None
    assert HOTPDevice.objects.get(pk=11).counter == 42
    assert EmailDevice.objects.get(pk=17).token is None
    new = TOTPDevice.objects.create(user=user, name="new")  # the old id sequence still works
    assert new.pk not in before["otp_totp_totpdevice"]
    check_old_keys_can_be_encrypted(connection)
    print("LEGACY OK")


def check_old_keys_can_be_encrypted(connection):
    """The old key columns (80 characters) were widened: the longest encrypted key fits."""
    from django.core.management import call_command
    from django.test import override_settings

    from django_otp.crypto import PREFIX, generate_key, stored_length
    from django_otp.plugins.otp_hotp.models import HOTPDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with override_settings(OTP_ENCRYPTION_KEYS=[generate_key()]):
        call_command("otp_reencrypt", stdout=io.StringIO())
        for model, pk, key in [(TOTPDevice, 7, TOTP_KEY), (HOTPDevice, 11, HOTP_KEY)]:
            with connection.cursor() as c:
                c.execute(f'SELECT "key" FROM "{model._meta.db_table}" WHERE id = %s', [pk])
                [stored] = c.fetchone()
            assert stored.startswith(PREFIX), stored
            assert model.objects.get(pk=pk).key == key
        TOTPDevice.objects.filter(pk=7).update(key="ab" * 40)
        with connection.cursor() as c:
            c.execute('SELECT "key" FROM "otp_totp_totpdevice" WHERE id = 7')
            assert len(c.fetchone()[0]) == stored_length(80)
    print("old keys encrypted")


def run_schema():
    """Plain migrate on an empty database, then report each table's columns and nullability."""
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("makemigrations", *OTP_APPS, check=True, dry_run=True, verbosity=0)
    with connection.cursor() as c:
        for table, columns in OLD_SCHEMA.items():
            found = {col.name: col for col in connection.introspection.get_table_description(c, table)}
            expected = {name: " NULL" in kind.replace("NOT NULL", "") for name, kind in columns}
            assert set(found) == set(expected), (table, sorted(set(found) ^ set(expected)))
            nullable = {name: bool(found[name].null_ok) for name in expected}
            assert nullable == expected, (table, nullable, expected)
            id_type = connection.introspection.get_field_type(found["id"].type_code, found["id"])
            assert id_type == "AutoField", (table, id_type)
    print("SCHEMA OK")


if __name__ == "__main__":
    django.setup()
    {"legacy": run_legacy, "schema": run_schema}[sys.argv[1]]()
