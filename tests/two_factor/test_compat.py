"""What existing sites rely on: import paths, URL names and paths, templates, migrations, and
the ThreadLocals middleware that old settings list."""

import importlib

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.dispatch import Signal
from django.http import HttpResponse
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.test import AsyncClient, RequestFactory
from django.urls import resolve, reverse

from tests.legacy.scenario import OLD_MIGRATIONS

# API.md, "Module paths that existing code imports": each path and the names it must expose.
PATHS = {
    "two_factor.views": ["LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView",
                         "BackupTokensView", "ProfileView", "DisableView", "OTPRequiredMixin"],
    "two_factor.views.core": ["LoginView", "SetupView", "QRGeneratorView", "BackupTokensView",
                              "SetupCompleteView"],
    "two_factor.views.profile": ["ProfileView", "DisableView"],
    "two_factor.views.mixins": ["OTPRequiredMixin"],
    "two_factor.views.utils": ["ExtraSessionStorage", "LoginStorage", "IdempotentSessionWizardView",
                               "get_remember_device_cookie", "validate_remember_device_cookie",
                               "class_view_decorator"],
    "two_factor.forms": ["MethodForm", "DeviceValidationForm", "TOTPDeviceForm", "DisableForm",
                         "AuthenticationTokenForm", "BackupTokenForm"],
    "two_factor.utils": ["default_device", "get_otpauth_url", "totp_digits"],
    "two_factor.admin": ["AdminSiteOTPRequired", "AdminSiteOTPRequiredMixin", "patch_admin",
                         "unpatch_admin"],
    "two_factor.signals": ["user_verified"],
    "two_factor.checks": [],
    "two_factor.plugins.registry": ["registry", "MethodRegistry", "MethodBase", "GeneratorMethod",
                                    "MethodNotFoundError"],
    "two_factor.middleware.threadlocals": ["ThreadLocals", "get_current_request"],
    "django_otp.oath": ["hotp", "totp", "TOTP"],
    "django_otp.util": ["hex_validator", "random_hex", "random_number_token"],
    "django_otp.plugins.otp_totp.models": ["TOTPDevice"],
    "django_otp.plugins.otp_hotp.models": ["HOTPDevice"],
    "django_otp.plugins.otp_static.models": ["StaticDevice", "StaticToken"],
    "django_otp.plugins.otp_email.models": ["EmailDevice"],
}

# The same list's paths that the plugin issue brings.
PLUGIN_PATHS = {
    "two_factor.plugins.phonenumber.models": ["PhoneDevice"],
    "two_factor.plugins.phonenumber.views": ["PhoneSetupView", "PhoneDeleteView"],
    "two_factor.plugins.phonenumber.forms": ["PhoneNumberMethodForm", "PhoneNumberForm"],
    "two_factor.plugins.phonenumber.method": ["PhoneCallMethod", "SMSMethod"],
    "two_factor.plugins.phonenumber.utils": ["backup_phones", "get_available_phone_methods"],
    "two_factor.plugins.phonenumber.validators": [],
    "two_factor.plugins.email.utils": ["mask_email"],
    "two_factor.gateways.fake": ["Fake"],
    "two_factor.gateways.twilio.gateway": ["Twilio"],
    "two_factor.gateways.twilio.urls": ["urlpatterns"],
    "two_factor.gateways.twilio.views": [],
}


def assert_exposes(path, names):
    module = importlib.import_module(path)
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{path} lacks {missing}"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_import_path(path):
    assert_exposes(path, PATHS[path])


@pytest.mark.parametrize("path", sorted(PLUGIN_PATHS))
def test_plugin_import_path(path):
    assert_exposes(path, PLUGIN_PATHS[path])


def test_re_exports_are_the_same_objects():
    from two_factor import views
    from two_factor.forms import AuthenticationTokenForm
    from two_factor.views import core, mixins, profile, utils
    from two_factor.wizard.views import IdempotentSessionWizardView

    for name in PATHS["two_factor.views.core"]:
        assert getattr(views, name) is getattr(core, name)
    assert views.ProfileView is profile.ProfileView and views.DisableView is profile.DisableView
    assert views.OTPRequiredMixin is mixins.OTPRequiredMixin
    assert utils.IdempotentSessionWizardView is IdempotentSessionWizardView
    assert issubclass(views.LoginView, IdempotentSessionWizardView)
    assert issubclass(views.SetupView, IdempotentSessionWizardView)
    assert "otp_token" in AuthenticationTokenForm.base_fields


def test_user_verified_is_a_signal():
    from two_factor.signals import user_verified

    assert isinstance(user_verified, Signal)


# URL names and paths

URLS = {
    "login": "account/login/",
    "setup": "account/two_factor/setup/",
    "qr": "account/two_factor/qrcode/",
    "setup_complete": "account/two_factor/setup/complete/",
    "backup_tokens": "account/two_factor/backup/tokens/",
    "profile": "account/two_factor/",
    "disable": "account/two_factor/disable/",
}


@pytest.mark.parametrize("name", sorted(URLS))
def test_url_name_and_path(name):
    assert reverse(f"two_factor:{name}") == "/" + URLS[name]
    match = resolve("/" + URLS[name])
    assert (match.namespace, match.url_name) == ("two_factor", name)


def test_urlpatterns_are_included_the_documented_way():
    from two_factor.urls import urlpatterns as tf_urls

    patterns, app_name = tf_urls
    assert app_name == "two_factor"
    assert _url_names(patterns) >= set(URLS) | {"phone_create", "phone_delete"}


def _url_names(patterns):
    """The names of ``patterns``, with those of the plugins' included url modules."""
    names = set()
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            names |= _url_names(pattern.url_patterns)
        else:
            names.add(pattern.name)
    return names


def test_phone_url_names_and_paths():
    assert reverse("two_factor:phone_create") == "/account/two_factor/phone/register/"
    assert reverse("two_factor:phone_delete", args=[7]) == "/account/two_factor/phone/unregister/7/"
    match = resolve("/account/two_factor/phone/unregister/7/")
    assert (match.namespace, match.url_name, match.kwargs) == ("two_factor", "phone_delete", {"pk": 7})


# Templates

TEMPLATES = [
    "two_factor/_base.html", "two_factor/_base_focus.html", "two_factor/_wizard_actions.html",
    "two_factor/_wizard_forms.html", "two_factor/core/login.html", "two_factor/core/setup.html",
    "two_factor/core/setup_complete.html", "two_factor/core/backup_tokens.html",
    "two_factor/core/otp_required.html", "two_factor/profile/profile.html",
    "two_factor/profile/disable.html", "two_factor/core/phone_register.html",
]
PLUGIN_TEMPLATES = [
    "two_factor/twilio/sms_message.html",
    "two_factor/twilio/press_a_key.xml", "two_factor/twilio/token.xml",
]


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_exists(name):
    assert get_template(name).origin.template_name == name


@pytest.mark.parametrize("name", PLUGIN_TEMPLATES)
def test_plugin_template(name):
    try:
        get_template(name)
    except TemplateDoesNotExist:
        pytest.skip("plugin issue: the twilio templates come with the Twilio gateway")


# Migrations: two_factor's own (0100 on) never clash with an old database's rows, which do no harm

OLD_TWO_FACTOR = OLD_MIGRATIONS["two_factor"]


def test_two_factor_needs_no_migrations(db):
    call_command("makemigrations", "two_factor", check=True, dry_run=True, verbosity=0)


def test_two_factor_migration_names_never_clash_with_the_old_ones(db):
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    assert "two_factor" in loader.migrated_apps
    ours = {name for app, name in loader.disk_migrations if app == "two_factor"}
    assert not ours & set(OLD_TWO_FACTOR), ours & set(OLD_TWO_FACTOR)


def test_migrate_with_the_old_two_factor_rows(db):
    recorder = MigrationRecorder(connection)
    for name in OLD_TWO_FACTOR:
        recorder.record_applied("two_factor", name)
    call_command("migrate", verbosity=0)
    call_command("migrate", "two_factor", verbosity=0)
    call_command("showmigrations", "two_factor", verbosity=0)
    applied = {name for app, name in recorder.applied_migrations() if app == "two_factor"}
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    ours = {name for app, name in loader.disk_migrations if app == "two_factor"}
    assert ours and all(name >= "0100" for name in ours)
    assert applied == set(OLD_TWO_FACTOR) | ours


# ThreadLocals: a pass-through kept for old MIDDLEWARE lists

THREADLOCALS = "two_factor.middleware.threadlocals.ThreadLocals"


@pytest.fixture
def with_threadlocals(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, THREADLOCALS]


def test_threadlocals_passes_requests_through(client, with_threadlocals, user):
    assert client.get("/otp/status/").json() == {"authenticated": False, "verified": False, "device": None}
    client.force_login(user)
    assert client.get("/otp/status/").json()["authenticated"] is True
    assert client.get("/otp/required/").status_code == 302


def test_threadlocals_in_an_async_stack(with_threadlocals, db):
    response = async_to_sync(AsyncClient().get)("/otp/async-status/")
    assert response.status_code == 200
    assert response.json()["authenticated"] is False


def test_threadlocals_leaves_request_and_response_alone():
    from two_factor.middleware.threadlocals import ThreadLocals

    request = RequestFactory().get("/")
    before = dict(vars(request))
    response = HttpResponse("ok")
    middleware = ThreadLocals(lambda req: response if req is request else None)
    assert not iscoroutinefunction(middleware)
    assert middleware(request) is response
    assert vars(request) == before


def test_threadlocals_async():
    from two_factor.middleware.threadlocals import ThreadLocals

    request = RequestFactory().get("/")
    response = HttpResponse("ok")

    async def get_response(req):
        return response if req is request else None

    middleware = ThreadLocals(get_response)
    assert iscoroutinefunction(middleware)
    assert async_to_sync(middleware)(request) is response
    assert ThreadLocals.sync_capable and ThreadLocals.async_capable


def test_get_current_request_is_always_none(client, with_threadlocals, db):
    """Old custom gateways import it; we keep no thread-local request (the gateway is given it)."""
    from two_factor.middleware.threadlocals import get_current_request

    assert get_current_request() is None
    client.get("/otp/status/")
    assert get_current_request() is None


# Small helpers that old code calls


def test_fake_gateway_works_on_the_class_and_on_instances(caplog):
    from two_factor.gateways.fake import Fake
    from two_factor.plugins.phonenumber.models import PhoneDevice

    caplog.set_level("INFO", logger="two_factor")
    device = PhoneDevice(number="+31612345678", method="sms")
    Fake.make_call(device, "123456")
    Fake.send_sms(device=device, token="234567")
    Fake().make_call(device=device, token="345678")
    Fake().send_sms(device, "456789")
    assert [record.getMessage() for record in caplog.records] == [
        'Fake call to +31612345678: "Your token is: 123456"',
        'Fake SMS to +31612345678: "Your token is: 234567"',
        'Fake call to +31612345678: "Your token is: 345678"',
        'Fake SMS to +31612345678: "Your token is: 456789"',
    ]


def test_class_view_decorator_decorates_dispatch():
    from django.views import View

    from two_factor.views.utils import class_view_decorator

    calls = []

    def tagging(view):
        def wrapper(request, *args, **kwargs):
            calls.append(request.path)
            response = view(request, *args, **kwargs)
            response["X-Tagged"] = "yes"
            return response
        return wrapper

    @class_view_decorator(tagging)
    class Tagged(View):
        def get(self, request):
            return HttpResponse("ok")

    response = Tagged.as_view()(RequestFactory().get("/tagged/"))
    assert (response.content, response["X-Tagged"], calls) == (b"ok", "yes", ["/tagged/"])


def test_login_view_names_its_steps_as_before():
    from two_factor.views import LoginView

    assert (LoginView.AUTH_STEP, LoginView.TOKEN_STEP, LoginView.BACKUP_STEP) == (
        "auth", "token", "backup")
    assert [step for step, _form in LoginView.form_list] == [LoginView.AUTH_STEP, LoginView.TOKEN_STEP,
                                         LoginView.BACKUP_STEP]


def test_the_login_views_old_patch_points():
    """What tests written for django-two-factor-auth patch on ``two_factor.views.core``: the
    clock and the logger of the sign-in timeout, and the signals module."""
    import logging
    import time

    from two_factor import signals
    from two_factor.views import core

    assert core.time is time
    assert isinstance(core.logger, logging.Logger) and core.logger.name == "two_factor.views.core"
    assert core.signals is signals
