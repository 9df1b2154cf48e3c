"""two_factor.conf.settings: the documented defaults, override_settings, and nothing else."""

import pytest
from django.test import override_settings

from two_factor.conf import DEFAULTS, settings

# The defaults as API.md documents them (written out here, not taken from two_factor.conf).
DOCUMENTED = {
    "TWO_FACTOR_PATCH_ADMIN": True,
    "TWO_FACTOR_QR_FACTORY": None,
    "TWO_FACTOR_TOTP_DIGITS": 6,
    "TWO_FACTOR_LOGIN_TIMEOUT": 600,
    "TWO_FACTOR_CALL_GATEWAY": None,
    "TWO_FACTOR_SMS_GATEWAY": None,
    "TWO_FACTOR_PHONE_THROTTLE_FACTOR": 1,
    "TWO_FACTOR_REMEMBER_COOKIE_AGE": None,
    "TWO_FACTOR_REMEMBER_COOKIE_PREFIX": "remember-cookie_",
    "TWO_FACTOR_REMEMBER_COOKIE_DOMAIN": None,
    "TWO_FACTOR_REMEMBER_COOKIE_PATH": "/",
    "TWO_FACTOR_REMEMBER_COOKIE_SECURE": False,
    "TWO_FACTOR_REMEMBER_COOKIE_HTTPONLY": True,
    "TWO_FACTOR_REMEMBER_COOKIE_SAMESITE": "Lax",
    "TWO_FACTOR_WEBAUTHN_RP_NAME": None,
    "TWO_FACTOR_WEBAUTHN_RP_ID": None,
    "TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT": None,
    "TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS": None,
    "TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT": "discouraged",
    "TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE": "none",
    "TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR": 1,
    # Not in API.md, but a setting of the old WebAuthn plugin that sites may have.
    "TWO_FACTOR_WEBAUTHN_PEM_ROOT_CERTS_BYTES_BY_FMT": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_CALLER_ID": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "PHONENUMBER_DEFAULT_REGION": None,
}

# Ours, beyond API.md: every one off by default, so that an upgraded site behaves as before.
BEYOND = {
    "TWO_FACTOR_REAUTHENTICATION_AGE": None,
    "TWO_FACTOR_ENFORCE_SUPERUSERS": False,
    "TWO_FACTOR_ENFORCE_STAFF": False,
    "TWO_FACTOR_ENFORCE_GROUPS": (),
    "TWO_FACTOR_ENFORCE_CALLABLE": None,
    "TWO_FACTOR_ENFORCE_GRACE_PERIOD": None,
    "TWO_FACTOR_ENFORCE_EXEMPT_URLS": (),
    "TWO_FACTOR_AUDIT_LOG": False,
    "TWO_FACTOR_TRUSTED_BROWSERS": False,
    "TWO_FACTOR_NOTIFY_EMAIL": False,
}
# Ours, on by default because the pages are the same with it (two_factor.rendering).
BEYOND_ON = {"TWO_FACTOR_FAST_FORM_RENDERING": True}


def test_every_documented_setting_and_no_other():
    assert set(DEFAULTS) == set(DOCUMENTED) | set(BEYOND) | set(BEYOND_ON)
    assert {name: DEFAULTS[name] for name in [*BEYOND, *BEYOND_ON]} == {**BEYOND, **BEYOND_ON}


@pytest.fixture
def bare_settings(settings):
    """Django settings without any of ours (the test settings set TWO_FACTOR_PATCH_ADMIN)."""
    for name in DOCUMENTED:
        if hasattr(settings, name):
            delattr(settings, name)
    return settings


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_documented_default(bare_settings, name):
    assert getattr(settings, name) == DOCUMENTED[name]
    assert type(getattr(settings, name)) is type(DOCUMENTED[name])


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_override_settings_wins(name):
    marker = object()
    with override_settings(**{name: marker}):
        assert getattr(settings, name) is marker
    assert getattr(settings, name) is not marker


def test_the_test_settings_are_read():
    assert settings.TWO_FACTOR_PATCH_ADMIN is False


def test_a_change_is_seen_at_once():
    with override_settings(TWO_FACTOR_TOTP_DIGITS=8):
        assert settings.TWO_FACTOR_TOTP_DIGITS == 8
        with override_settings(TWO_FACTOR_TOTP_DIGITS=6):
            assert settings.TWO_FACTOR_TOTP_DIGITS == 6
        assert settings.TWO_FACTOR_TOTP_DIGITS == 8


@pytest.mark.parametrize("name", ["TWO_FACTOR_NO_SUCH_SETTING", "DEBUG", "SECRET_KEY", "two_factor_patch_admin"])
def test_unknown_name_raises_attribute_error(name):
    with pytest.raises(AttributeError, match=name):
        getattr(settings, name)
    assert not hasattr(settings, name)
    assert getattr(settings, name, "fallback") == "fallback"
