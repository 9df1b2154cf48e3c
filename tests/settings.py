"""Settings for the test suite. TWOFOLD_DB=postgres runs it on PostgreSQL."""

import importlib.util
import os

import django

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
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

# django-otp-yubikey is installed with --no-deps by `make test`; without it the YubiKey tests skip.
if importlib.util.find_spec("otp_yubikey") is not None:
    INSTALLED_APPS += ["otp_yubikey", "two_factor.plugins.yubikey"]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"

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

if os.environ.get("TWOFOLD_DB") == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("TWOFOLD_PG_NAME", "twofold"),
            "USER": os.environ.get("TWOFOLD_PG_USER", "postgres"),
            "HOST": os.environ.get("TWOFOLD_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("TWOFOLD_PG_PORT", "5432"),
            "PASSWORD": os.environ.get("TWOFOLD_PG_PASSWORD", ""),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
# A second database, only for the tests that route two_factor's claims to it (test_once).
DATABASES["claims"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
# The admin patch is tested on its own (tests/two_factor/test_admin.py); elsewhere the admin
# sites keep their own login pages.
TWO_FACTOR_PATCH_ADMIN = False
STATIC_URL = "/static/"

if django.VERSION >= (6, 1):  # the test runner swaps in the locmem backend either way
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}

TWO_FACTOR_WEBAUTHN_RP_NAME = "django-twofold tests"
