"""The settings of django_otp: every name, its default, in one place.

Read through ``django_otp.conf.settings``; values come from ``django.conf.settings`` at the
moment of reading, so ``override_settings`` in tests just works.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.utils.translation import gettext_lazy

DEFAULTS: dict[str, Any] = {
    "OTP_LOGIN_URL": None,  # None: Django's LOGIN_URL
    "OTP_ADMIN_HIDE_SENSITIVE_DATA": False,
    "OTP_TOTP_ISSUER": None,
    "OTP_TOTP_IMAGE": None,
    "OTP_TOTP_SYNC": True,
    "OTP_TOTP_THROTTLE_FACTOR": 1,
    "OTP_HOTP_ISSUER": None,
    "OTP_HOTP_THROTTLE_FACTOR": 1,
    "OTP_STATIC_THROTTLE_FACTOR": 1,
    "OTP_EMAIL_SENDER": None,  # None: Django's DEFAULT_FROM_EMAIL
    "OTP_EMAIL_SUBJECT": gettext_lazy("OTP token"),
    "OTP_EMAIL_BODY_TEMPLATE": None,
    "OTP_EMAIL_BODY_TEMPLATE_PATH": "otp/email/token.txt",
    "OTP_EMAIL_BODY_HTML_TEMPLATE": None,
    "OTP_EMAIL_BODY_HTML_TEMPLATE_PATH": None,
    "OTP_EMAIL_TOKEN_VALIDITY": 300,
    "OTP_EMAIL_COOLDOWN_DURATION": 60,
    "OTP_EMAIL_THROTTLE_FACTOR": 1,
    # Beyond django-otp 1.7 (off by default: an upgraded site behaves as before).
    "OTP_ENCRYPTION_KEYS": None,  # keys for secrets at rest, newest first; None: plaintext
    "OTP_STATIC_HASH_TOKENS": False,  # store static (backup) tokens salted and hashed
    "OTP_STATIC_HASH_ITERATIONS": 50_000,  # PBKDF2-SHA256 rounds of a hashed static token
}


class OTPSettings:
    """Lazy view of the ``OTP_*`` settings with their defaults."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            # Any other name is Django's setting, as django-otp's settings object answered it.
            return getattr(django_settings, name)
        if name == "OTP_ADMIN_HIDE_SENSITIVE_DATA" and not hasattr(django_settings, name):
            # With secrets encrypted at rest, the admin hides them unless the site says otherwise.
            return self.OTP_ENCRYPTION_KEYS is not None
        value = getattr(django_settings, name, DEFAULTS[name])
        if name == "OTP_LOGIN_URL" and value is None:
            value = django_settings.LOGIN_URL
        return value


settings = OTPSettings()
