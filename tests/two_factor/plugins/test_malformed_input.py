"""Bad input is a 4xx or a page with an error, never a 500 nor a redirect off the site: every
view of ``two_factor`` (with every plugin method on), django_otp's sign-in pages and the device
admins, for every kind of visitor, every wizard step name and hostile values.

For each visitor and page, the sweep posts the page's own form as rendered, with a ``next`` off
the site; then it posts junk into the page's fields, along with the wizard's own fields (the
current step, "go to step", "use another device") set to every step name and to nonsense.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from django_otp.oath import totp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from ..conftest import age_session, login_password_only, login_verified

pytestmark = pytest.mark.django_db

JUNK = ["", " ", "x" * 5000, "\x00", "\u202e\U0001f600", "-1", "999999999999999999999999", "0",
        "[]", "{", "otp_totp.totpdevice/999999", "../../etc/passwd", "<script>", "%00", "on"]
STEPS = ["auth", "token", "backup", "welcome", "method", "generator", "sms", "call", "email",
         "yubikey", "webauthn", "validation", "nonexistent", ""]
NAMED = ["login", "setup", "qr", "setup_complete", "backup_tokens", "reauthenticate", "profile",
         "disable", "device_remove", "trusted_browsers_revoke_all", "logout_everywhere",
         "phone_create", "webauthn_add", "webauthn_register_options", "webauthn_login_options",
         "webauthn_passkey_options", "webauthn_passkey_login"]
FIELD = re.compile(r'name="([^"]+)"')
TAG = re.compile(r"<(?:input|button|option)\b[^>]*>")
ATTRIBUTE = re.compile(r'\b(name|value)="([^"]*)"')
EVIL = "//evil.example/"  # a ``next`` that no redirect may follow


@pytest.fixture
def gateways(settings):
    settings.TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
    settings.TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600


@pytest.fixture
def devices(user):
    totp_device = TOTPDevice.objects.create(user=user, name="default")
    backup = StaticDevice.objects.create(user=user, name="backup")
    backup.token_set.create(token="abcd2345")
    phone = PhoneDevice.objects.create(user=user, name="backup", number="+31612345678",
                                       method="sms")
    EmailDevice.objects.create(user=user, name="mail", email="alice@example.com")
    return totp_device, phone


def at_step(client, url_name, response, step):
    """``client`` part way into a wizard, at ``step``: the sweep posts to that step as it is
    (a GET would start the wizard over)."""
    assert response.context["wizard"]["steps"].current == step
    client.wizard_url, client.wizard_page = reverse(url_name), response.content.decode()
    return client


def _clients(user, django_user_model, devices):
    """Each kind of visitor: a fresh client for each, made anew for every request sequence."""
    totp_device, _phone = devices

    def anonymous():
        return Client()

    def password_only():
        client = Client()
        login_password_only(client, user)
        return client

    def deviceless():
        client = Client()
        client.force_login(django_user_model.objects.create_user(
            f"nobody{time.monotonic_ns()}", password="x"))
        return client

    def verified():  # and verified just now, as sensitive actions ask
        client = Client()
        login_verified(client, user, totp_device)
        age_session(client, 0)
        return client

    def verified_long_ago():
        client = verified()
        age_session(client, 10_000)
        return client

    def staff():  # a verified superuser, for the admin pages of the devices
        admin_user = django_user_model.objects.create_superuser(
            f"admin{time.monotonic_ns()}", password="x")
        client = Client()
        login_verified(client, admin_user, TOTPDevice.objects.create(user=admin_user, name="d"))
        return client

    def mid_sign_in():  # the password step passed: the token step is next
        client = Client()
        response = client.post(reverse("two_factor:login"), {
            "login_view-current_step": "auth", "auth-username": user.get_username(),
            "auth-password": "secret-password"})
        return at_step(client, "two_factor:login", response, "token")

    def mid_setup(method, number_step=False):  # a user without a device, part way into setup
        def client_at_step():
            client = deviceless()
            setup = reverse("two_factor:setup")
            client.post(setup, {"setup_view-current_step": "welcome"})
            response = client.post(setup, {"setup_view-current_step": "method",
                                           "method-method": method})
            if number_step:
                response = client.post(setup, {"setup_view-current_step": method,
                                               f"{method}-number": "+31612345679"})
            return at_step(client, "two_factor:setup", response,
                           "validation" if number_step else method)

        client_at_step.__name__ = f"mid_setup_{method}{'_validation' * number_step}"
        return client_at_step

    return [anonymous, password_only, deviceless, verified, verified_long_ago, staff,
            mid_sign_in, mid_setup("generator"), mid_setup("sms", number_step=True),
            mid_setup("email")]


def _urls(devices):
    totp_device, phone = devices
    urls = [reverse(f"two_factor:{name}") for name in NAMED]
    urls += [reverse("two_factor:phone_delete", args=[pk]) for pk in (phone.pk, totp_device.pk, 0)]
    urls += [reverse("two_factor:trusted_browser_revoke", args=[key])
             for key in ("x", "0" * 64, "%2e%2e")]
    return urls


#: django_otp's own sign-in pages, swept as the visitors who sign in there.
OTP_LOGIN_URLS = ["/otp/login/", "/otpadmin/login/"]


def _admin_urls(devices):
    """The device admins' pages, swept as staff only (they send anyone else to sign in)."""
    totp_device, phone = devices
    urls = []
    for device in (totp_device, phone):
        opts = device._meta
        urls += [reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)
                 for view, args in (("add", []), ("change", [device.pk]), ("delete", [device.pk]))]
    urls += [reverse("admin:otp_totp_totpdevice_config", args=[totp_device.pk]),
             reverse("admin:otp_static_staticdevice_add")]
    return urls


def _form_values(html: str) -> dict[str, str]:
    """What the page's own form would send: each named field's value as rendered ("on" for
    one without a value, a checkbox say), so that the sweep also posts a genuine submission."""
    values: dict[str, str] = {}
    for tag in TAG.findall(html):
        attributes = dict(ATTRIBUTE.findall(tag))
        if "name" in attributes:
            values.setdefault(attributes["name"], attributes.get("value", "on"))
    values.pop("csrfmiddlewaretoken", None)
    return values


def _payloads(field_names, junk=JUNK):
    """The page's own fields with junk; its wizard's fields and buttons with every step name
    (a page without a wizard gets the wizards' step fields all the same, with a few names)."""
    prefixes = {name.split("-", 1)[0] for name in field_names if name.endswith("-current_step")}
    yield {}
    if field_names:
        for value in junk:
            yield {name: value for name in field_names}
        yield {name: junk[:3] for name in field_names}
    for prefix in prefixes:
        for step in STEPS:
            yield {f"{prefix}-current_step": step, **{name: "123456" for name in field_names
                                                      if not name.endswith("current_step")}}
            yield {f"{prefix}-current_step": step, "wizard_goto_step": step,
                   "challenge_device": step}
    if not prefixes:
        for prefix in ("login_view", "setup_view", "phone_setup_view"):
            for step in ("auth", "token", "validation", "nonexistent", ""):
                yield {f"{prefix}-current_step": step}
    for value in [*JUNK[:6], EVIL]:
        yield {"challenge_device": value, "wizard_goto_step": value, "next": value}


def test_no_view_answers_bad_input_with_a_500(gateways, user, django_user_model, devices):
    for make_client in _clients(user, django_user_model, devices):
        who = make_client.__name__
        if who.startswith("mid_setup"):  # part way into setup: the setup pages only
            urls = [reverse(f"two_factor:{name}") for name in ("setup", "qr", "setup_complete")]
        else:
            urls = _urls(devices) + (_admin_urls(devices) if who == "staff" else [])
            urls += OTP_LOGIN_URLS if who in ("anonymous", "password_only", "deviceless") else []
        for url in urls:
            for sweep in (_post_the_page, _post_junk):
                # Each from the same start: what a post did (a device removed, two-factor
                # disabled) is rolled back before the next.
                with transaction.atomic():
                    sweep(make_client, url)
                    transaction.set_rollback(True)


def _page(make_client, url):
    client = make_client()
    client.raise_request_exception = True  # an exception in a view fails the test at once
    if getattr(client, "wizard_url", None) == url:
        return client, client.wizard_page
    page = client.get(url, {"next": EVIL, "step": "nonexistent"})
    _check(page, f"GET {url} as {make_client.__name__}")
    return client, page.content.decode(errors="replace")


def _post_the_page(make_client, url):
    """The page's own submission, with a ``next`` off the site: if it succeeds, it stays here."""
    client, html = _page(make_client, url)
    data = {**_form_values(html), "next": EVIL}
    _check(client.post(url, data), f"POST {url} as {make_client.__name__}: {data}")


def _post_junk(make_client, url):
    client, html = _page(make_client, url)
    who = make_client.__name__
    names = sorted(set(FIELD.findall(html)) - {"csrfmiddlewaretoken"})
    for data in _payloads(names, JUNK[2:4] if "/admin/" in url else JUNK):
        _check(client.post(url, data), f"POST {url} as {who}: {data}")
    if "webauthn" in url:
        for body in ("", "{", "null", '{"id": 1}', "[]", '{"response": "x"}'):
            response = client.post(url, body, content_type="application/json")
            _check(response, f"POST JSON {url} as {who}: {body}")


def _check(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"
    target = urlsplit(response.get("Location", ""))
    assert target.netloc in ("", "testserver") and target.scheme in ("", "http"), (
        f"{what}: redirected off the site, to {response['Location']}")


def test_a_full_sign_in_still_works_after_junk(gateways, user, devices):
    """Junk posted into a sign-in in progress is refused, not stored: once the throttling that
    the junk tokens earned is over, the password and the right token sign in."""
    totp_device, _phone = devices
    client = Client()
    login = reverse("two_factor:login")
    client.post(login, {"login_view-current_step": "auth", "auth-username": user.get_username(),
                        "auth-password": "secret-password"})
    for data in _payloads(["token-otp_token", "token-remember"]):
        if data.get("login_view-current_step") in ("auth", ""):
            continue  # starting over is a legitimate answer to a posted password step
        client.post(login, {"login_view-current_step": "token", **data})
    totp_device.refresh_from_db()
    assert totp_device.throttling_failure_count > 0  # the junk tokens were counted as failures
    TOTPDevice.objects.filter(pk=totp_device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None)
    client.post(login, {"login_view-current_step": "auth", "auth-username": user.get_username(),
                        "auth-password": "secret-password"})
    token = totp(totp_device.bin_key)
    response = client.post(login, {"login_view-current_step": "token",
                                   "token-otp_token": f"{token:06d}"})
    assert response.status_code == 302, response.content.decode()[:2000]
