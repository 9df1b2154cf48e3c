"""System checks of two_factor: each fires on its misconfiguration, with its stable id."""

import sys
from contextlib import contextmanager
from unittest import mock

import pytest
from django.apps import apps
from django.core import checks as django_checks
from django.test import override_settings

from two_factor import checks

CORE = "two_factor"
PHONE = "two_factor.plugins.phonenumber"
EMAIL_CONFIG = "two_factor.plugins.email.apps.TwoFactorEmailConfig"
OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"


class DummyGateway:
    """An importable gateway class for W003."""


@contextmanager
def installed_apps(*names):
    """INSTALLED_APPS reads ``names``, without the app registry importing them."""
    with mock.patch.object(apps, "set_installed_apps"), mock.patch.object(apps, "unset_installed_apps"):
        with override_settings(INSTALLED_APPS=["django.contrib.auth", *names]):
            yield


def ids(messages):
    return [message.id for message in messages]


# E001 / E003: INSTALLED_APPS


@pytest.mark.parametrize("names", [
    [PHONE, CORE],
    [EMAIL_CONFIG, "two_factor.apps.TwoFactorConfig"],
    ["two_factor.plugins.yubikey", CORE, PHONE],
])
def test_e001_core_after_a_plugin(names):
    with installed_apps(*names):
        messages = checks.check_app_order()
    assert ids(messages) == ["two_factor.E001"]
    assert isinstance(messages[0], django_checks.Error) and messages[0].hint
    assert names[0].split(".apps.")[0] in messages[0].msg


@pytest.mark.parametrize("names", [
    [CORE, PHONE, "two_factor.plugins.yubikey"],
    ["two_factor.apps.TwoFactorConfig", EMAIL_CONFIG],
    [CORE],
    ["django_otp", "django_otp.plugins.otp_totp", CORE],
    [],
])
def test_e001_quiet_when_the_core_comes_first(names):
    with installed_apps(*names):
        assert checks.check_app_order() == []


def test_e003_plugin_without_core():
    with installed_apps(PHONE, "django_otp"):
        messages = checks.check_plugins_have_core()
        assert checks.check_app_order() == []  # E001 is about order; E003 says what is missing
    assert ids(messages) == ["two_factor.E003"] and PHONE in messages[0].msg and messages[0].hint
    with installed_apps(CORE, PHONE):
        assert checks.check_plugins_have_core() == []
    with installed_apps("django_otp"):
        assert checks.check_plugins_have_core() == []


# W001: the middleware


def test_w001_without_otp_middleware(settings):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != OTP_MIDDLEWARE]
    messages = checks.check_middleware()
    assert ids(messages) == ["two_factor.W001"]
    assert isinstance(messages[0], django_checks.Warning) and messages[0].hint


def test_w001_quiet_with_otp_middleware(settings):
    assert OTP_MIDDLEWARE in settings.MIDDLEWARE
    assert checks.check_middleware() == []


def test_w007_otp_middleware_before_the_authentication_middleware(settings):
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    others = [m for m in settings.MIDDLEWARE if m not in (OTP_MIDDLEWARE, auth)]
    settings.MIDDLEWARE = [OTP_MIDDLEWARE, *others, auth]
    messages = checks.check_middleware()
    assert ids(messages) == ["two_factor.W007"] and isinstance(messages[0], django_checks.Warning)
    settings.MIDDLEWARE = [*others, OTP_MIDDLEWARE]  # another authentication middleware: its order is its own
    assert checks.check_middleware() == []


# W006: a method plugin without its device app


@pytest.mark.parametrize(("apps", "expected"), [
    ((CORE, "two_factor.plugins.email"), ["two_factor.W006"]),
    ((CORE, "django_otp.plugins.otp_email", "two_factor.plugins.email"), []),
    ((CORE, "two_factor.plugins.yubikey"), ["two_factor.W006"]),
    ((CORE, "otp_yubikey", "two_factor.plugins.yubikey"), []),
    ((CORE, EMAIL_CONFIG, "two_factor.plugins.yubikey"), ["two_factor.W006", "two_factor.W006"]),
    ((CORE,), []),
])
def test_w006(apps, expected):
    with installed_apps(*apps):
        messages = checks.check_plugin_needs()
    assert ids(messages) == expected and all(message.hint for message in messages)


# W002: TWO_FACTOR_REMEMBER_COOKIE_AGE


@pytest.mark.parametrize("age", [None, 1, 3600, 30 * 24 * 3600])
def test_w002_quiet_for_none_or_positive_seconds(settings, age):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = age
    assert checks.check_remember_cookie_age() == []


@pytest.mark.parametrize("age", [0, -1, "3600", 1.5, True, [3600]])
def test_w002_for_anything_else(settings, age):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = age
    messages = checks.check_remember_cookie_age()
    assert ids(messages) == ["two_factor.W002"] and repr(age) in messages[0].msg and messages[0].hint


# W005 (--deploy): the remember cookie is Secure where the session cookie is


@pytest.mark.parametrize(("age", "session_secure", "remember_secure", "expected"), [
    (3600, True, False, ["two_factor.W005"]),
    (3600, True, True, []),
    (3600, False, False, []),  # an HTTP site (or one that says nothing)
    (None, True, False, []),  # no remember cookie at all
])
def test_w005(settings, age, session_secure, remember_secure, expected):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = age
    settings.SESSION_COOKIE_SECURE = session_secure
    settings.TWO_FACTOR_REMEMBER_COOKIE_SECURE = remember_secure
    messages = checks.check_remember_cookie_secure()
    assert ids(messages) == expected and all(message.hint for message in messages)


def test_w005_runs_with_deploy_only():
    registered = django_checks.registry.registry
    assert checks.check_remember_cookie_secure in registered.get_checks(include_deployment_checks=True)
    assert checks.check_remember_cookie_secure not in registered.get_checks()


# E002: TWO_FACTOR_LOGIN_TIMEOUT


@pytest.mark.parametrize("timeout", [600, 0, 0.5, 86400])
def test_e002_quiet_for_seconds(settings, timeout):
    settings.TWO_FACTOR_LOGIN_TIMEOUT = timeout
    assert checks.check_login_timeout() == []


@pytest.mark.parametrize("timeout", [-1, -0.5, "600", None, True, float("nan")])
def test_e002_for_anything_else(settings, timeout):
    settings.TWO_FACTOR_LOGIN_TIMEOUT = timeout
    messages = checks.check_login_timeout()
    assert ids(messages) == ["two_factor.E002"]
    assert isinstance(messages[0], django_checks.Error) and messages[0].hint


# W003: gateways


@pytest.mark.parametrize("name", ["TWO_FACTOR_SMS_GATEWAY", "TWO_FACTOR_CALL_GATEWAY"])
def test_w003_quiet_for_none_or_an_importable_class(settings, name):
    assert checks.check_gateways() == []
    setattr(settings, name, f"{__name__}.DummyGateway")
    assert checks.check_gateways() == []


@pytest.mark.parametrize("path", ["no_such_module.Gateway", "django_otp.util.NoSuchGateway",
                                  "nodots", "", DummyGateway])
def test_w003_for_a_path_that_does_not_import(settings, path):
    settings.TWO_FACTOR_SMS_GATEWAY = path
    messages = checks.check_gateways()
    assert ids(messages) == ["two_factor.W003"]
    assert "TWO_FACTOR_SMS_GATEWAY" in messages[0].msg and messages[0].hint


def test_w003_once_per_setting(settings):
    settings.TWO_FACTOR_SMS_GATEWAY = "no_such_module.Sms"
    settings.TWO_FACTOR_CALL_GATEWAY = "no_such_module.Call"
    messages = checks.check_gateways()
    assert ids(messages) == ["two_factor.W003", "two_factor.W003"]
    assert "TWO_FACTOR_CALL_GATEWAY" in messages[1].msg


# Registration


# Django 6.1's run_checks() asks every database what it supports (the JSON field's check),
# the second one of the test settings too.
@pytest.mark.django_db(databases="__all__")
def test_every_check_is_registered_and_the_test_settings_pass():
    ours = [checks.check_app_order, checks.check_plugins_have_core, checks.check_middleware,
            checks.check_remember_cookie_age, checks.check_login_timeout, checks.check_gateways,
            checks.check_plugin_needs, checks.check_security_durations,
            checks.check_enforcement_exempt_urls]
    registered = django_checks.registry.registry.get_checks(include_deployment_checks=False)
    assert all(check in registered for check in ours)
    messages = django_checks.run_checks()
    assert [m for m in messages if m.id and m.id.startswith("two_factor.")] == []


@pytest.mark.django_db(databases="__all__")
def test_run_checks_reports_ours(settings):
    settings.TWO_FACTOR_LOGIN_TIMEOUT = -5
    assert "two_factor.E002" in ids(django_checks.run_checks())


# W008: the Twilio gateway without its settings

TWILIO = "two_factor.gateways.twilio.gateway.Twilio"


@pytest.fixture
def twilio_settings(settings):
    pytest.importorskip("twilio")
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "secret"
    settings.TWILIO_CALLER_ID, settings.TWILIO_MESSAGING_SERVICE_SID = "+31612345678", None
    return settings


@pytest.mark.parametrize("name", ["TWO_FACTOR_SMS_GATEWAY", "TWO_FACTOR_CALL_GATEWAY"])
def test_w008_quiet_when_the_twilio_settings_are_there(twilio_settings, name):
    setattr(twilio_settings, name, TWILIO)
    assert checks.check_gateways() == []


@pytest.mark.parametrize("missing", ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_CALLER_ID"])
@pytest.mark.parametrize("name", ["TWO_FACTOR_SMS_GATEWAY", "TWO_FACTOR_CALL_GATEWAY"])
def test_w008_names_each_missing_twilio_setting(twilio_settings, name, missing):
    setattr(twilio_settings, name, TWILIO)
    setattr(twilio_settings, missing, "")
    messages = checks.check_gateways()
    assert ids(messages) == ["two_factor.W008"]
    assert f"{name} is {TWILIO!r}, but {missing} is not set" in messages[0].msg
    assert messages[0].hint


def test_w008_text_messages_through_a_messaging_service_need_no_caller_id(twilio_settings):
    twilio_settings.TWILIO_CALLER_ID, twilio_settings.TWILIO_MESSAGING_SERVICE_SID = None, "MG123"
    twilio_settings.TWO_FACTOR_SMS_GATEWAY = TWILIO
    assert checks.check_gateways() == []
    twilio_settings.TWO_FACTOR_CALL_GATEWAY = TWILIO  # a call always comes from a number
    assert ids(checks.check_gateways()) == ["two_factor.W008"]


def test_w008_for_a_subclass_of_the_twilio_gateway(twilio_settings, monkeypatch):
    from two_factor.gateways.twilio.gateway import Twilio

    subclass = type("TwilioSubclass", (Twilio,), {"__module__": __name__})
    monkeypatch.setattr(sys.modules[__name__], "TwilioSubclass", subclass, raising=False)
    twilio_settings.TWILIO_ACCOUNT_SID = twilio_settings.TWILIO_AUTH_TOKEN = None
    twilio_settings.TWO_FACTOR_SMS_GATEWAY = f"{__name__}.TwilioSubclass"
    [message] = checks.check_gateways()
    assert message.id == "two_factor.W008"
    assert "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set" in message.msg
    # A subclass that finds its credentials elsewhere says so.
    monkeypatch.setattr(subclass, "missing_settings", classmethod(lambda cls, method: []))
    assert checks.check_gateways() == []


class GatewayWithSettings(DummyGateway):
    """Any gateway may say which of its settings are missing."""

    @classmethod
    def missing_settings(cls, method):
        return ["ACME_KEY", "ACME_SECRET", f"ACME_{method.upper()}_FROM"]


def test_w008_for_any_gateway_that_names_its_missing_settings(settings):
    settings.TWO_FACTOR_CALL_GATEWAY = f"{__name__}.GatewayWithSettings"
    [message] = checks.check_gateways()
    assert message.id == "two_factor.W008"
    assert "ACME_KEY, ACME_SECRET and ACME_CALL_FROM are not set" in message.msg
