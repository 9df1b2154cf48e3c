"""The settings of two_factor: every name, its default, in one place.

Read through ``two_factor.conf.settings``; values come from ``django.conf.settings`` when read,
so ``override_settings`` works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings

DEFAULTS: dict[str, Any] = {
    "TWO_FACTOR_PATCH_ADMIN": True,
    "TWO_FACTOR_QR_FACTORY": None,  # accepted for old settings files; QR codes are SVG (django_otp.qr)
    "TWO_FACTOR_TOTP_DIGITS": 6,
    "TWO_FACTOR_LOGIN_TIMEOUT": 600,  # seconds between the password and the token; 0: no limit
    "TWO_FACTOR_CALL_GATEWAY": None,
    "TWO_FACTOR_SMS_GATEWAY": None,
    "TWO_FACTOR_PHONE_THROTTLE_FACTOR": 1,
    "TWO_FACTOR_REMEMBER_COOKIE_AGE": None,  # seconds; None: no "remember this browser"
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
    # {attestation format: [PEM bytes]}: extra trusted roots when attestation is asked for.
    "TWO_FACTOR_WEBAUTHN_PEM_ROOT_CERTS_BYTES_BY_FMT": None,
    "TWILIO_ACCOUNT_SID": None,
    "TWILIO_AUTH_TOKEN": None,
    "TWILIO_CALLER_ID": None,
    "TWILIO_MESSAGING_SERVICE_SID": None,
    "PHONENUMBER_DEFAULT_REGION": None,
    # Beyond django-two-factor-auth 1.18 (off by default: an upgraded site behaves as before).
    "TWO_FACTOR_REAUTHENTICATION_AGE": None,  # seconds; None: sensitive pages ask nothing more
    "TWO_FACTOR_ENFORCE_SUPERUSERS": False,
    "TWO_FACTOR_ENFORCE_STAFF": False,
    "TWO_FACTOR_ENFORCE_GROUPS": (),  # group names whose members must use two factors
    "TWO_FACTOR_ENFORCE_CALLABLE": None,  # callable(user) -> bool, or its dotted path
    "TWO_FACTOR_ENFORCE_GRACE_PERIOD": None,  # seconds after date_joined before enforcing
    "TWO_FACTOR_ENFORCE_EXEMPT_URLS": (),  # URL names or path regexes the policy leaves alone
    "TWO_FACTOR_AUDIT_LOG": False,  # record security events in two_factor.SecurityEvent
    "TWO_FACTOR_TRUSTED_BROWSERS": False,  # remember cookies need a server-side, revocable record
    "TWO_FACTOR_NOTIFY_EMAIL": False,  # mail the user when a device is added/removed, 2FA is off
    # On by default, as the HTML is the same: False renders every input through its templates.
    "TWO_FACTOR_FAST_FORM_RENDERING": True,  # Django's input and label templates in Python
}


class TwoFactorSettings:
    """Lazy view of the two_factor settings with their defaults."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"{name} is not a two_factor setting")
        return getattr(django_settings, name, DEFAULTS[name])


settings = TwoFactorSettings()
