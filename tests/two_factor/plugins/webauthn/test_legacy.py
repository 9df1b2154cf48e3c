"""A key registered before the passkey columns existed: the migration keeps it working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from two_factor.plugins.webauthn.models import WebauthnDevice

from .authenticator import SoftAuthenticator, b64
from .conftest import PASSKEY_OPTIONS, fetch_options
from .test_login import LOGIN_OPTIONS, otp_status, post_key, post_password

APP = "two_factor_webauthn"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([(APP, target)])


@pytest.fixture
def old_row(transactional_db, user):
    """alice's key, written by the old schema (``0001_initial`` only)."""
    authenticator = SoftAuthenticator()
    authenticator.rp_id = "testserver"
    migrate("0001_initial")
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {APP}_webauthndevice (name, confirmed, user_id, throttling_failure_count,"
                " created_at, public_key, key_handle, sign_count) VALUES (%s, %s, %s, 0, %s, %s, %s, 4)",
                ["default", True, user.pk, connection.ops.adapt_datetimefield_value(timezone.now()),
                 b64(authenticator.cose_public_key()), b64(authenticator.credential_id)])
    finally:
        migrate("0100_passkeys")
    authenticator.sign_count = 4
    return authenticator


def test_the_old_row_after_migrate(old_row):
    device = WebauthnDevice.objects.get()
    assert (device.sign_count, device.user_handle, device.discoverable) == (4, None, None)


def test_the_old_key_signs_in(client, old_row):
    post_password(client)
    assert post_key(client, old_row.get(fetch_options(client, LOGIN_OPTIONS))).status_code == 302
    assert otp_status(client)["verified"] is True
    assert WebauthnDevice.objects.get().sign_count == 5


def test_the_old_key_as_a_passkey(client, old_row):
    old_row.user_handle = b"whatever the old site chose"
    response = old_row.get(fetch_options(client, PASSKEY_OPTIONS))
    assert client.post("/account/two_factor/webauthn/passkey/login/", {"credential": response},
                       HTTP_ACCEPT="application/json").status_code == 200
    assert otp_status(client)["verified"] is True
