"""Settings for the legacy-database scenario: the suite's settings on a database of our own.

TWOFOLD_LEGACY_NAME is the SQLite file, or with TWOFOLD_DB=postgres the throwaway database.
The `two_factor` app is left out on purpose: rows of an app that is not installed must not matter.
"""

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES

DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["TWOFOLD_LEGACY_NAME"]}}
