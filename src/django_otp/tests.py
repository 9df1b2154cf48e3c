"""Kept so that plugin test suites written for django-otp (``from django_otp.tests import
TestCase``) run unchanged; new code imports ``django_otp.test_utils``."""

from .test_utils import *  # noqa: F403
from .test_utils import __all__  # noqa: F401
