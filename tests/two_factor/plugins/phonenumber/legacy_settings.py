"""Settings for the phone migration scenarios (legacy_scenario.py): the suite's settings on a
database of their own (TWOFOLD_LEGACY_NAME), with only the apps that the scenarios need."""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "two_factor",
    "two_factor.plugins.phonenumber",
]
DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TWOFOLD_LEGACY_NAME"]}}
