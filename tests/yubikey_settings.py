"""Settings for django-otp-yubikey's own test suite (``otp_yubikey.tests``), run against our
``django_otp`` by ``scripts/yubikey-suite``: the apps that suite needs, nothing of two_factor."""

SECRET_KEY = "yubikey-suite-only-not-secret"
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django_otp",
    "otp_yubikey",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
