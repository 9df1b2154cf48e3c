"""Settings for the legacy-database scenario: the suite's settings on a database of our own.

TWOFOLD_LEGACY_NAME is the SQLite file, or with TWOFOLD_DB=postgres the throwaway database.
The `two_factor` app is left out on purpose: rows of an app that is not installed must not
matter (tests/two_factor/test_compat.py covers them with the app installed).
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if not app.startswith("two_factor")]
DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TWOFOLD_LEGACY_NAME"]}}
