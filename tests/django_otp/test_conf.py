"""django_otp.conf: the OTP_* settings with their defaults, and Django's settings otherwise."""

import pytest
from django.test import override_settings

from django_otp.conf import DEFAULTS, settings


def test_a_setting_left_unset_has_its_default():
    assert settings.OTP_EMAIL_TOKEN_VALIDITY == DEFAULTS["OTP_EMAIL_TOKEN_VALIDITY"] == 300


@override_settings(OTP_EMAIL_TOKEN_VALIDITY=60)
def test_a_setting_of_the_site_wins():
    assert settings.OTP_EMAIL_TOKEN_VALIDITY == 60


@override_settings(SOME_SITE_SETTING="theirs")
def test_any_other_name_is_djangos_setting():
    # As django-otp's settings object answered it.
    assert settings.SOME_SITE_SETTING == "theirs"
    assert settings.LOGIN_URL == "/login/"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError):
        settings.NO_SUCH_SETTING_ANYWHERE  # noqa: B018
    assert getattr(settings, "NO_SUCH_SETTING_ANYWHERE", "default") == "default"
