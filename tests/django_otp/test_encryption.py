"""Device secrets encrypted at rest: ``django_otp.crypto``, ``SecretField``, what the database
and a dump hold, the admin with encryption on, the system checks, and the conformance tests of
the devices with their keys encrypted."""

import io
import re
import sys
import time
from binascii import unhexlify

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.checks import run_checks
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from django_otp import DEVICE_ID_SESSION_KEY, crypto
from django_otp.checks import check_encryption_keys
from django_otp.conf import settings as otp_settings
from django_otp.fields import SecretField
from django_otp.oath import TOTP
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import hotp_at, totp_now
from . import test_conformance as conformance
from .encryption_helpers import (
    ID1,
    K1,
    K2,
    K3,
    assert_no_secret,
    declared_width,
    dump,
    plain_baseline,  # noqa: F401 (an autouse fixture)
    raw_key,
    set_raw_key,
)

CONTEXT = "otp_totp.totpdevice.key"
HEX = "3132333435363738393031323334353637383930"


@pytest.fixture
def encrypted(settings):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    return settings


# django_otp.crypto

def test_every_length_round_trips_at_its_documented_stored_length(encrypted):
    """From the empty string on: base64 padding differs with the length modulo 3."""
    for length in range(41):
        plaintext = "a" * length
        stored = crypto.encrypt(plaintext, CONTEXT)
        assert len(stored) == crypto.stored_length(length)
        assert crypto.decrypt(stored, CONTEXT) == plaintext


def test_encrypting_without_keys_says_so(settings):
    settings.OTP_ENCRYPTION_KEYS = None
    with pytest.raises(ImproperlyConfigured, match="no key to encrypt with"):
        crypto.encrypt(HEX, CONTEXT)


def test_round_trip_names_the_key_and_uses_a_fresh_nonce(encrypted):
    first, second = crypto.encrypt(HEX, CONTEXT), crypto.encrypt(HEX, CONTEXT)
    assert first != second
    for stored in (first, second):
        assert stored.startswith(crypto.PREFIX) and HEX not in stored
        assert crypto.stored_key_id(stored) == ID1
        assert crypto.decrypt(stored, CONTEXT) == HEX


def test_plain_text_passes_through(encrypted):
    assert crypto.decrypt(HEX, CONTEXT) == HEX
    assert crypto.stored_key_id(HEX) is None


def test_another_column_cannot_read_a_ciphertext(encrypted):
    stored = crypto.encrypt(HEX, CONTEXT)
    with pytest.raises(crypto.DecryptionError, match="altered, or copied from another column"):
        crypto.decrypt(stored, "otp_hotp.hotpdevice.key")


@pytest.mark.parametrize("position", [len(crypto.PREFIX) + 1, len(crypto.PREFIX) + 9, -5])
def test_a_tampered_ciphertext_is_an_error(encrypted, position):
    """A changed key id, nonce, or ciphertext/tag character."""
    stored = crypto.encrypt(HEX, CONTEXT)
    index = position % len(stored)
    changed = "A" if stored[index] != "A" else "B"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored[:index] + changed + stored[index + 1:], CONTEXT)


@pytest.mark.parametrize("stored", [crypto.PREFIX, f"{crypto.PREFIX}abcd1234$", f"{crypto.PREFIX}abcd1234$!!",
                                    f"{crypto.PREFIX}abcd1234$c2hvcnQ"])
def test_a_malformed_stored_value_is_an_error(encrypted, stored):
    with pytest.raises(crypto.DecryptionError, match="not a valid encrypted value"):
        crypto.decrypt(stored, CONTEXT)


def test_a_key_no_longer_listed_is_a_clear_error(settings):
    settings.OTP_ENCRYPTION_KEYS = [K1]
    stored = crypto.encrypt(HEX, CONTEXT)
    settings.OTP_ENCRYPTION_KEYS = [K3]
    with pytest.raises(ImproperlyConfigured, match=f"key id '{ID1}', which is not in OTP_ENCRYPTION_KEYS"):
        crypto.decrypt(stored, CONTEXT)
    settings.OTP_ENCRYPTION_KEYS = None
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, CONTEXT)


def test_generated_keys_parse_and_differ():
    keys = {crypto.generate_key() for _ in range(20)}
    assert len(keys) == 20
    assert all(len(crypto.parse_key(key).secret) == 32 for key in keys)
    unpadded = K1.rstrip("=")
    assert crypto.parse_key(unpadded) == crypto.parse_key(K1)


@pytest.mark.parametrize(("text", "message"), [
    (b"bytes", "must be a string"), ("not base64!", "URL-safe base64"),
    ("c2hvcnQ=", "32 bytes, not 5"), ("", "32 bytes, not 0"), ("é" * 44, "URL-safe base64"),
])
def test_malformed_keys_are_refused_without_quoting_them(text, message):
    with pytest.raises(ValueError, match=message) as error:
        crypto.parse_key(text)
    assert not text or str(text) not in str(error.value)


@pytest.mark.parametrize("value", [K1, [], (), {"k": K1}])
def test_the_setting_must_be_a_list_of_keys(settings, value):
    settings.OTP_ENCRYPTION_KEYS = value
    with pytest.raises(ImproperlyConfigured, match="non-empty list"):
        crypto.configured_keys()


def test_a_malformed_key_in_the_setting_names_its_position(settings):
    settings.OTP_ENCRYPTION_KEYS = [K1, "nope"]
    with pytest.raises(ImproperlyConfigured, match=r"OTP_ENCRYPTION_KEYS\[1\]"):
        crypto.configured_keys()


@pytest.mark.parametrize("length", [1, 40, 80, 200])
def test_stored_length_is_exact(encrypted, length):
    assert len(crypto.encrypt("a" * length, CONTEXT)) == crypto.stored_length(length)


@pytest.fixture
def without_cryptography(monkeypatch):
    for name in ("cryptography", "cryptography.hazmat.primitives.ciphers.aead", "cryptography.exceptions"):
        monkeypatch.setitem(sys.modules, name, None)


def test_missing_cryptography_says_how_to_install_it(encrypted, user, without_cryptography):
    with pytest.raises(ImproperlyConfigured, match=r"pip install 'django-twofold\[crypto\]'"):
        TOTPDevice.objects.create(user=user, name="default")


def test_without_keys_cryptography_is_not_needed(user, without_cryptography):
    device = TOTPDevice.objects.create(user=user, name="default")
    assert raw_key(device) == device.key
    assert device.verify_token(totp_now(device))


# SecretField on the devices.

def test_the_attribute_is_plain_and_the_column_is_not(encrypted, user):
    device = TOTPDevice.objects.create(user=user, name="default", key=HEX)
    assert device.key == HEX
    stored = raw_key(device)
    assert stored.startswith(crypto.PREFIX) and crypto.stored_key_id(stored) == ID1
    assert crypto.decrypt(stored, CONTEXT) == HEX
    reloaded = TOTPDevice.objects.get(pk=device.pk)
    assert reloaded.key == HEX and reloaded.bin_key == unhexlify(HEX)
    assert TOTPDevice.objects.values_list("key", flat=True).get(pk=device.pk) == HEX
    reloaded.save()
    assert raw_key(device) != stored  # a fresh nonce on every write
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX


def test_keys_off_store_plain_text_as_django_otp_does(user):
    device = TOTPDevice.objects.create(user=user, name="default")
    assert raw_key(device) == device.key and len(device.key) == 40


def test_the_column_is_wide_enough_for_the_longest_key(encrypted, user):
    longest = "ab" * 40
    device = TOTPDevice.objects.create(user=user, name="default", key=longest)
    assert len(raw_key(device)) == crypto.stored_length(80) == TOTPDevice._meta.get_field("key").column_length
    assert TOTPDevice.objects.get(pk=device.pk).key == longest
    assert declared_width(TOTPDevice) == declared_width(HOTPDevice) == crypto.stored_length(80) == 161
    assert TOTPDevice._meta.get_field("key").max_length == 80  # the plain key, for forms


def test_a_secret_field_without_max_length_has_a_column_without_a_limit():
    # Django allows it on PostgreSQL (varchar without a length); the column's SQL must not fail.
    field = SecretField()
    field.set_attributes_from_name("secret")
    assert field.column_length is None
    assert field.db_type_parameters(connection)["max_length"] is None
    assert field.db_check(connection) is None


@pytest.mark.parametrize("lookup", [{"key": HEX}, {"key__startswith": "31"}, {"key__in": [HEX]}])
def test_the_secret_cannot_be_compared_in_sql(encrypted, user, lookup):
    with pytest.raises(FieldError, match="SecretField"):
        TOTPDevice.objects.filter(**lookup).exists()


@pytest.mark.parametrize("lookup", [{"key": HEX}, {"key__startswith": "3132"}, {"key__in": [HEX]},
                                    {"key__iexact": HEX.upper()}])
def test_without_keys_the_secret_filters_as_a_char_field(user, lookup):
    # Plain text in the database (OTP_ENCRYPTION_KEYS None, the default): django-otp's lookups.
    device = TOTPDevice.objects.create(user=user, name="default", key=HEX)
    TOTPDevice.objects.create(user=user, name="other", key="ab" * 20)
    assert list(TOTPDevice.objects.filter(**lookup)) == [device]


def test_with_keys_the_lookup_error_names_the_field_and_the_lookup(encrypted, db):
    with pytest.raises(FieldError) as error:
        TOTPDevice.objects.filter(key=HEX).exists()
    assert str(error.value) == (
        "otp_totp.totpdevice.key is a SecretField: its stored value is encrypted with a fresh "
        "nonce on every write, so it cannot be compared in the database ('exact' lookup). Load "
        "the rows and compare in Python.")


def test_isnull_and_updates_still_work(encrypted, user):
    device = TOTPDevice.objects.create(user=user, name="default")
    assert TOTPDevice.objects.filter(key__isnull=False).get() == device
    TOTPDevice.objects.filter(pk=device.pk).update(key=HEX)
    assert raw_key(device).startswith(crypto.PREFIX)
    assert TOTPDevice.objects.get(pk=device.pk).key == HEX


def test_a_non_ascii_secret_is_a_validation_error(user):
    device = TOTPDevice(user=user, name="default", key="é" * 10)
    with pytest.raises(ValidationError) as error:
        device.full_clean()
    assert "key" in error.value.message_dict


def test_to_python_reads_a_stored_form_and_refuses_a_broken_one(encrypted):
    field = TOTPDevice._meta.get_field("key")
    assert field.to_python(crypto.encrypt(HEX, CONTEXT)) == HEX
    with pytest.raises(ValidationError):
        field.to_python(crypto.encrypt(HEX, "otp_hotp.hotpdevice.key"))
    assert isinstance(field, SecretField) and field.secret_context == CONTEXT


# No plaintext in the database, nor in a dump; tokens still verify.

def test_no_secret_in_the_database_or_a_dump(encrypted, user):
    totp = TOTPDevice.objects.create(user=user, name="default")
    hotp = HOTPDevice.objects.create(user=user, name="hotp")
    text = dump("otp_totp", "otp_hotp")
    for device in (totp, hotp):
        assert_no_secret(raw_key(device), device.key)
        assert_no_secret(text, device.key)
        assert raw_key(device) in text or crypto.PREFIX in text
    assert totp.verify_token(totp_now(totp))
    assert hotp.verify_token(hotp_at(hotp))


def test_a_dump_loads_back_and_its_devices_verify(encrypted, user, tmp_path):
    device = TOTPDevice.objects.create(user=user, name="default", key=HEX)
    path = tmp_path / "devices.json"
    path.write_text(dump("otp_totp"))
    TOTPDevice.objects.all().delete()
    call_command("loaddata", str(path), verbosity=0)
    loaded = TOTPDevice.objects.get(pk=device.pk)
    assert loaded.key == HEX and raw_key(loaded).startswith(crypto.PREFIX)
    assert loaded.verify_token(totp_now(loaded))


SETUP = "/account/two_factor/setup/"


def _setup_generator(client):
    """Through the setup wizard to the generator step; the secret it shows, and the page."""
    response = client.post(SETUP, {"setup_view-current_step": "welcome"})
    if response.context["wizard"]["steps"].current == "method":
        response = client.post(SETUP, {"setup_view-current_step": "method", "method-method": "generator"})
    assert response.context["wizard"]["steps"].current == "generator"
    return response


def test_setup_wizard_shows_the_secret_once_and_stores_it_encrypted(encrypted, client, user):
    client.force_login(user)
    page = _setup_generator(client)
    assert client.get("/account/two_factor/qrcode/").status_code == 200  # the QR code, while setting up
    from two_factor.flows.setup import SECRET_SESSION_KEY, get_secret

    # The session holds the secret in progress encrypted too: a dump of it is no use either.
    assert_no_secret(client.session[SECRET_SESSION_KEY], get_secret(client.session))
    from django.contrib.sessions.models import Session

    decoded_sessions = repr([session.get_decoded() for session in Session.objects.all()])
    assert_no_secret(decoded_sessions, get_secret(client.session))
    key = get_secret(client.session)
    totp = TOTP(unhexlify(key), 30, 0, 6)
    totp.time = time.time()
    response = client.post(SETUP, {"setup_view-current_step": "generator",
                                   "generator-token": f"{totp.token():06d}"})
    assert response.status_code == 302, page.content
    device = TOTPDevice.objects.get(user=user)
    assert device.key == key
    assert_no_secret(raw_key(device), key)
    assert_no_secret(dump("otp_totp"), key)
    # After the setup, no page shows it: the QR view has nothing, the profile shows no key.
    assert client.get("/account/two_factor/qrcode/").status_code == 404
    assert_no_secret(client.get("/account/two_factor/").content.decode(), key)


def test_sign_in_with_an_encrypted_key(encrypted, client, user):
    device = TOTPDevice.objects.create(user=user, name="default")
    step = "login_view-current_step"
    url = reverse("two_factor:login")
    response = client.post(url, {step: "auth", "auth-username": "alice", "auth-password": "secret-password"})
    assert response.context["wizard"]["steps"].current == "token"
    response = client.post(url, {step: "token", "token-otp_token": totp_now(device)})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


# The admin hides secrets when they are encrypted, unless the site says otherwise.

def test_hiding_follows_encryption_unless_set(settings):
    del settings.OTP_ADMIN_HIDE_SENSITIVE_DATA
    assert otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is False
    settings.OTP_ENCRYPTION_KEYS = [K1]
    assert otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = False
    assert otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is False
    settings.OTP_ENCRYPTION_KEYS = None
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = True
    assert otp_settings.OTP_ADMIN_HIDE_SENSITIVE_DATA is True


@pytest.fixture
def admin_client(client, make_user):
    client.force_login(make_user("root", is_staff=True, is_superuser=True))
    return client


def _admin_pages(client, device):
    opts = device._meta
    name = f"admin:{opts.app_label}_{opts.model_name}"
    pages = {view: client.get(reverse(f"{name}_{view}", args=args))
             for view, args in [("changelist", ()), ("change", (device.pk,)), ("config", (device.pk,)),
                                ("qrcode", (device.pk,))]}
    return pages


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice])
def test_admin_shows_no_key_with_encryption_on(encrypted, admin_client, user, model):
    device = model.objects.create(user=user, name="mine")
    pages = _admin_pages(admin_client, device)
    for view in ("changelist", "change"):
        assert pages[view].status_code == 200
        assert_no_secret(pages[view].content.decode(), device.key)
        assert 'name="key"' not in pages[view].content.decode()
    assert pages["config"].status_code == 403 and pages["qrcode"].status_code == 403


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice])
def test_admin_shows_the_key_when_the_site_allows_it(encrypted, admin_client, user, model):
    encrypted.OTP_ADMIN_HIDE_SENSITIVE_DATA = False
    device = model.objects.create(user=user, name="mine")
    pages = _admin_pages(admin_client, device)
    assert f'value="{device.key}"' in pages["change"].content.decode()
    assert pages["config"].status_code == 200
    assert pages["qrcode"].status_code == 200 and b"<svg" in pages["qrcode"].content


def test_admin_add_form_with_encryption_on_stores_the_key_encrypted(encrypted, admin_client,
                                                                     user):
    # The add form proposes a key (as in django-otp, only existing devices hide theirs).
    page = admin_client.get(reverse("admin:otp_totp_totpdevice_add")).content.decode()
    key = re.search(r'name="key"[^>]*value="([0-9a-f]{40})"', page).group(1)
    response = admin_client.post(reverse("admin:otp_totp_totpdevice_add"), {
        "user": user.pk, "name": "added", "confirmed": "on", "key": key, "step": 30, "t0": 0,
        "digits": 6, "tolerance": 1, "drift": 0, "last_t": -1, "throttling_failure_count": 0})
    assert response.status_code == 302, response.content
    device = TOTPDevice.objects.get(name="added")
    assert device.key == key and raw_key(device).startswith(crypto.PREFIX)


# System checks.

def _check_ids(settings, value):
    settings.OTP_ENCRYPTION_KEYS = value
    return [message.id for message in check_encryption_keys()]


@pytest.mark.parametrize(("value", "ids"), [
    (None, []), ([K1], []), ((K2, K1), []),
    (K1, ["django_otp.E001"]), ([], ["django_otp.E001"]), ({K1}, ["django_otp.E001"]),
    ([K1, "short"], ["django_otp.E002"]), ([K1, 42], ["django_otp.E002"]),
    ([K1, K2, K1], ["django_otp.E003"]), ([K1, K1.rstrip("=")], ["django_otp.E003"]),
    (["bad", "bad"], ["django_otp.E002", "django_otp.E002"]),
])
def test_checks(settings, value, ids):
    assert _check_ids(settings, value) == ids


def test_check_messages_name_positions_not_keys(settings):
    settings.OTP_ENCRYPTION_KEYS = [K1, K1[:-5]]
    [error] = check_encryption_keys()
    assert "OTP_ENCRYPTION_KEYS[1]" in error.msg and K1[:-5] not in error.msg + error.hint
    assert "generate_key" in error.hint


def test_check_of_missing_cryptography(settings, without_cryptography):
    assert _check_ids(settings, [K1]) == ["django_otp.E004"]
    assert _check_ids(settings, None) == []


@pytest.mark.django_db(databases="__all__")  # Django 6.1's run_checks() asks every database
def test_checks_are_registered(settings):
    settings.OTP_ENCRYPTION_KEYS = ["nope"]
    assert "django_otp.E002" in [message.id for message in run_checks()]
    with pytest.raises(SystemCheckError, match="django_otp.E002"):
        call_command("check", stdout=io.StringIO(), stderr=io.StringIO())


# The conformance tests of the devices, with their keys encrypted.

class EncryptedOnly:
    def test_key_is_stored_encrypted(self):
        self.assertEqual(crypto.stored_key_id(raw_key(self.device)), ID1)
        self.assertEqual(type(self.device).objects.get(pk=self.device.pk).key, self.device.key)


@override_settings(OTP_ENCRYPTION_KEYS=[K1])
class EncryptedTOTPConformance(EncryptedOnly, conformance.TOTPConformance):
    pass


@override_settings(OTP_ENCRYPTION_KEYS=[K1])
class EncryptedHOTPConformance(EncryptedOnly, conformance.HOTPConformance):
    pass


def test_set_raw_key_helper_reads_back(user):
    device = TOTPDevice.objects.create(user=user, name="default")
    set_raw_key(device, HEX)
    assert raw_key(device) == HEX


def test_a_key_never_shows_its_secret():
    """Its repr goes into logs, tracebacks and debug pages."""
    key = crypto.parse_key(K1)
    assert K1 not in repr(key) and repr(key.secret) not in repr(key)


def test_a_key_in_lenient_base64_is_refused():
    """Python's decoder skips junk and takes the standard alphabet: a mistyped key must not
    quietly parse as another one."""
    key = next(k for k in iter(crypto.generate_key, None) if "-" in k or "_" in k)
    for mistyped in (key[:10] + "!" + key[10:], key.replace("-", "+").replace("_", "/")):
        with pytest.raises(ValueError, match="URL-safe base64"):
            crypto.parse_key(mistyped)
