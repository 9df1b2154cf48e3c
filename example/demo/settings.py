"""Settings of the demo site: SQLite, the fake SMS/call gateway, mail on the console.

Environment: DEMO_DATABASE (the SQLite file, default example/demo.sqlite3) and DEMO_DEBUG
("0"/"false"/"no"/"off" turn DEBUG off; static files are served either way).
"""

import os
from pathlib import Path

import django

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "demo-only-not-secret"  # noqa: S105 - a local demo, never deployed
DEBUG = os.environ.get("DEMO_DEBUG", "true").strip().lower() not in {"0", "false", "no", "off", ""}
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    # First, so that its templates win: its two_factor/_base.html gives every page of
    # two_factor the demo's layout.
    "demo",
    "demo.otp_admin.OTPAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_hotp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "two_factor",
    "two_factor.plugins.phonenumber",
    "two_factor.plugins.email",
    "two_factor.plugins.webauthn",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "demo.middleware.content_security_policy",  # no inline script or style is needed
]

ROOT_URLCONF = "demo.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DATABASE") or BASE_DIR / "demo.sqlite3",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
STATIC_URL = "/static/"

LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Mail goes to the console: Django 6.1 configures it with MAILERS, older versions with EMAIL_BACKEND.
if django.VERSION >= (6, 1):
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = "django-twofold demo <demo@localhost>"
# Token emails say what the code is for (the default body is the code alone, as django-otp's).
OTP_EMAIL_BODY_TEMPLATE_PATH = "otp/email/token_message.txt"

# Text messages and calls are not sent: the fake gateway logs them (see LOGGING).
TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"
TWO_FACTOR_REMEMBER_COOKIE_AGE = 30 * 24 * 60 * 60  # "remember this browser" for 30 days
# The admin site is AdminSiteOTPRequired already (demo.otp_admin): no patch needed.
TWO_FACTOR_PATCH_ADMIN = False
# The relying party's id is the host of the request: open http://localhost:8000 for security
# keys and passkeys (browsers refuse an IP address such as 127.0.0.1).
TWO_FACTOR_WEBAUTHN_RP_NAME = "django-twofold demo"
OTP_TOTP_ISSUER = "django-twofold demo"

# Beyond the old packages (docs/security.md): the profile lists the security events and the
# trusted browsers (each revocable), and the console shows the notification emails.
TWO_FACTOR_AUDIT_LOG = True
TWO_FACTOR_TRUSTED_BROWSERS = True
TWO_FACTOR_NOTIFY_EMAIL = True

# The fake gateway's tokens, on stderr of `make demo`:
#   INFO two_factor: Fake SMS to +31612345678: "Your token is: 123456"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"demo": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "demo"}},
    "loggers": {
        "two_factor": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django_otp": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
