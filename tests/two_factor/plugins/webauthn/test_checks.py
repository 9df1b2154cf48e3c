"""System checks of the WebAuthn settings, and the migrations of the app."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from two_factor.plugins.webauthn.checks import check_webauthn_settings


def ids(settings_obj=None):
    return [problem.id for problem in check_webauthn_settings()]


def test_the_test_settings_pass():
    assert ids() == []


def test_no_relying_party_name(settings):
    settings.TWO_FACTOR_WEBAUTHN_RP_NAME = None
    assert ids() == ["two_factor_webauthn.W001"]


@pytest.mark.parametrize(("name", "value", "check_id"), [
    ("TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT", "always", "two_factor_webauthn.E001"),
    ("TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE", None, "two_factor_webauthn.E002"),
    ("TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT", "usb", "two_factor_webauthn.E003"),
    ("TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS", "usb", "two_factor_webauthn.E004"),
    ("TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS", ["usb", "carrier pigeon"], "two_factor_webauthn.E004"),
])
def test_unknown_values(settings, name, value, check_id):
    setattr(settings, name, value)
    assert ids() == [check_id]


def test_known_values(settings):
    settings.TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT = "platform"
    settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS = ["usb", "nfc", "ble", "internal", "hybrid"]
    settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT = "required"
    assert ids() == []


def test_no_migration_missing(db):
    call_command("makemigrations", "two_factor_webauthn", check=True, dry_run=True, verbosity=0)


def test_the_first_migration_has_the_old_columns(db):
    loader = MigrationLoader(connection)
    initial = loader.get_migration("two_factor_webauthn", "0001_initial")
    fields = [name for name, _field in initial.operations[0].fields]
    assert fields == ["id", "throttling_failure_timestamp", "throttling_failure_count", "created_at",
                      "last_used_at", "name", "confirmed", "public_key", "key_handle", "sign_count",
                      "user"]
    ours = sorted(name for app, name in loader.disk_migrations if app == "two_factor_webauthn")
    assert ours == ["0001_initial", "0100_passkeys", "0101_webauthndevice_plural_name"]
