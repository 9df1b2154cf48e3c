"""A database left by django-otp 1.7 opens with `migrate`, and every device in it keeps working.

Each scenario runs in a subprocess (tests/legacy/scenario.py) on a database of its own: a
temporary SQLite file, or with TWOFOLD_DB=postgres a throwaway PostgreSQL database.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ON_POSTGRES = os.environ.get("TWOFOLD_DB") == "postgres"


@pytest.fixture
def database_name(tmp_path):
    if not ON_POSTGRES:
        yield str(tmp_path / "legacy.sqlite3")
        return
    import psycopg

    params = {"dbname": "postgres", "host": os.environ.get("TWOFOLD_PG_HOST", "127.0.0.1"),
              "port": os.environ.get("TWOFOLD_PG_PORT", "5432"),
              "user": os.environ.get("TWOFOLD_PG_USER", "postgres"),
              "password": os.environ.get("TWOFOLD_PG_PASSWORD", "")}
    name = f"twofold_legacy_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**params, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_scenario(mode, database_name):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.legacy.settings", "TWOFOLD_LEGACY_NAME": database_name}
    result = subprocess.run([sys.executable, "-m", "tests.legacy.scenario", mode], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return result.stdout


def test_old_database_migrates_and_every_device_verifies_once(database_name):
    out = run_scenario("legacy", database_name)
    assert "migrate OK" in out
    for persistent_id in ("otp_totp.totpdevice/7", "HOTPDevice/11", "otp_static.staticdevice/13",
                          "otp_email.emaildevice/17"):
        assert persistent_id in out
    assert out.rstrip().endswith("LEGACY OK")


def test_fresh_schema_has_the_old_columns(database_name):
    assert run_scenario("schema", database_name).rstrip().endswith("SCHEMA OK")
