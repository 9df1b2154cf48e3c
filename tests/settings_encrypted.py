"""The test settings with device secrets encrypted at rest (``OTP_ENCRYPTION_KEYS``).

Runs the device, admin and phone suites with every key encrypted in the database:
``pytest --ds=tests.settings_encrypted tests/django_otp tests/two_factor/plugins/phonenumber``
(``make test`` does, after the SQLite run).
The admin keeps showing keys (as the suites expect), which a site allows explicitly with
``OTP_ADMIN_HIDE_SENSITIVE_DATA = False``.
"""

from .settings import *  # noqa: F403

OTP_ENCRYPTION_KEYS = ["fvYjAEeKcItCTBTDhVtu3P2L4r8R4TmoyimIm4d_Bpc=", "Q0w8dnGBXYdbLlyXgsY3WpcmyrzBpv1rYdFVxmB9Skc="]
OTP_ADMIN_HIDE_SENSITIVE_DATA = False
