"""The phone table opens with ``migrate``: on a fresh database, and on one where the old
two_factor app left the table (with or without its phonenumber migration recorded).

Each scenario runs in a subprocess (legacy_scenario.py) on a database of its own: a temporary
SQLite file, or with TWOFOLD_DB=postgres a throwaway PostgreSQL database.
"""

import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from tests.django_otp.test_legacy_database import ROOT, database_name  # noqa: F401 (a fixture)

MODULE = "tests.two_factor.plugins.phonenumber.legacy_scenario"


def run_scenario(mode, database_name):  # noqa: F811
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.two_factor.plugins.phonenumber.legacy_settings",
           "TWOFOLD_LEGACY_NAME": database_name}
    result = subprocess.run([sys.executable, "-m", MODULE, mode], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_fresh_database(database_name):  # noqa: F811
    assert run_scenario("fresh", database_name).rstrip().endswith("FRESH OK")


@pytest.mark.parametrize("mode", ["old-table", "old-table-recorded"])
def test_old_table_is_kept_and_its_devices_work(database_name, mode):  # noqa: F811
    out = run_scenario(mode, database_name)
    assert "old row verified once" in out and out.rstrip().endswith("OLD TABLE OK")


def test_migrations_reverse(database_name):  # noqa: F811
    assert run_scenario("reverse", database_name).rstrip().endswith("REVERSE OK")


def test_no_missing_migration(db):
    call_command("makemigrations", "phonenumber", check=True, dry_run=True, verbosity=0)


def test_migration_names_never_clash_with_the_old_ones(db):
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    ours = sorted(name for app, name in loader.disk_migrations if app == "phonenumber")
    assert ours == ["0001_initial", "0100_phonedevice_last_t", "0101_phonedevice_secret_key"]
    # Names of ours after 0001_initial start at 0100, away from any name of the old packages.
    assert all(int(name[:4]) >= 100 for name in ours[1:])
