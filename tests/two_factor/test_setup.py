"""The setup wizard, its QR code and the end page, driven through the test client."""

import threading
import time
from base64 import b32encode
from binascii import unhexlify
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django import forms
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from django_otp import DEVICE_ID_SESSION_KEY, oath
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image
from django_otp.test_utils import frozen_now
from two_factor import forms as two_factor_forms
from two_factor.flows import setup as setup_flows
from two_factor.flows.session import renew_session_key
from two_factor.flows.setup import SECRET_SESSION_KEY, get_secret
from two_factor.forms import TOTPDeviceForm
from two_factor.plugins.registry import MethodBase, registry
from two_factor.utils import get_otpauth_url
from two_factor.views.setup import QRGeneratorView, SetupView

from .conftest import login_password_only, login_verified

SETUP = "/account/two_factor/setup/"
QR = "/account/two_factor/qrcode/"
COMPLETE = "/account/two_factor/setup/complete/"
LOGIN = "/login/"  # settings.LOGIN_URL of the tests
FAKE_KEY = "3132333435363738393031323334353637383930"


def post_step(client, step, data=None, **extra):
    payload = {"setup_view-current_step": step, **extra}
    payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
    return client.post(SETUP, payload)


def current_step(response):
    return response.context["wizard"]["steps"].current


def totp_token(key, offset=0, digits=6):
    totp = TOTP(unhexlify(key), 30, 0, digits, offset)
    totp.time = time.time()
    return f"{totp.token():0{digits}d}"


def to_generator(client, with_page=False):
    """Start the wizard and reach the generator step (the only method: no method step)."""
    assert current_step(client.get(SETUP)) == "welcome"
    response = post_step(client, "welcome")
    assert current_step(response) == "generator"
    key = client.session[SECRET_SESSION_KEY]
    return (key, response.content.decode()) if with_page else key


@pytest.fixture
def setup_client(client, user):
    """Signed in with a password; no device yet, so allowed to set one up."""
    login_password_only(client, user)
    return client


class FakeForm(forms.Form):
    label = forms.CharField(max_length=20)

    def __init__(self, user, **kwargs):  # given by FakeMethod.get_setup_form_kwargs
        super().__init__(**kwargs)
        self.user = user


class FakeMethod(MethodBase):
    """A plugin-like method: its own step, then a device that must prove a token."""

    code = "fake"
    verbose_name = "Fake method"
    challenges = []

    def get_setup_forms(self, wizard):
        return {"fake": FakeForm}

    def get_setup_form_kwargs(self, wizard, step):
        return {"user": wizard.request.user}

    def get_device_from_setup_data(self, request, setup_data, **kwargs):
        assert setup_data == {"fake": {"label": "mine"}}
        return HOTPDevice(key=FAKE_KEY)

    def recognize_device(self, device):
        return isinstance(device, HOTPDevice)


@pytest.fixture
def fake_method(monkeypatch):
    method = FakeMethod()
    challenges = []
    monkeypatch.setattr(HOTPDevice, "generate_challenge", lambda device: challenges.append(device) or "Sent!")
    registry.register(method)
    method.challenges = challenges
    yield method
    registry.unregister(method.code)


# The generator, start to end.

def test_generator_path_creates_default_device_and_verifies_session(setup_client, user):
    key = to_generator(setup_client)
    token = totp_token(key)
    password_only_key = setup_client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = post_step(setup_client, "generator", {"token": token})
    assert response.status_code == 302 and response.url == COMPLETE
    # The session gained a verification: a copy of its cookie from before is worth nothing.
    assert setup_client.cookies[django_settings.SESSION_COOKIE_NAME].value != password_only_key
    assert not Session.objects.filter(session_key=password_only_key).exists()
    device = TOTPDevice.objects.get(user=user)
    assert (device.name, device.confirmed, device.key, device.digits) == ("default", True, key, 6)
    session = setup_client.session
    assert session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert SECRET_SESSION_KEY not in session
    assert setup_client.get(QR).status_code == 404
    assert setup_client.get(SETUP).url == COMPLETE  # verified, with a default device
    # The setup token is used up: it cannot sign in.
    assert device.last_t >= 0
    assert not device.verify_token(token)
    page = setup_client.get(COMPLETE)
    assert page.status_code == 200
    assert b"/account/two_factor/backup/tokens/" in page.content


def test_method_step_shown_with_two_methods(setup_client, user, fake_method):
    assert current_step(setup_client.get(SETUP)) == "welcome"
    assert current_step(post_step(setup_client, "welcome")) == "method"
    response = post_step(setup_client, "method", {"method": "generator"})
    assert current_step(response) == "generator"
    key = setup_client.session[SECRET_SESSION_KEY]
    response = post_step(setup_client, "generator", {"token": totp_token(key)})
    assert response.url == COMPLETE
    assert TOTPDevice.objects.get(user=user).name == "default"
    assert not HOTPDevice.objects.exists()


def test_generator_step_shows_the_qr_code_and_the_key_to_type(setup_client):
    """The secret in base32 (as apps ask for it) for manual entry; never in hex."""
    setup_client.get(SETUP)
    response = post_step(setup_client, "welcome")
    key = setup_client.session[SECRET_SESSION_KEY]
    again = post_step(setup_client, "generator", {"token": "000000x"})
    base32 = b32encode(unhexlify(key)).decode().rstrip("=")
    for page in (response, again):
        html = page.content.decode()
        assert '<img src="/account/two_factor/qrcode/" alt="' in html
        assert f"<code class=\"two-factor-secret-key\">{base32}</code>" in html
        assert key not in html.lower()
        assert page.context["QR_URL"] == QR
        assert page.context["secret_key"] == base32
        assert page.context["otpauth_url"] == _expected_url(key)


def test_a_subclass_names_its_own_qr_view(setup_client, monkeypatch):
    """``qrcode_url``, the URL name of the QR code, as on django-two-factor-auth's SetupView."""
    from two_factor.views import SetupView

    assert SetupView.qrcode_url == "two_factor:qr"
    monkeypatch.setattr(SetupView, "qrcode_url", "two_factor:profile")
    setup_client.get(SETUP)
    assert post_step(setup_client, "welcome").context["QR_URL"] == "/account/two_factor/"


def test_wrong_token_is_form_error(setup_client, user):
    key = to_generator(setup_client)
    wrong = f"{(int(totp_token(key)) + 1) % 10**6:06d}"
    response = post_step(setup_client, "generator", {"token": wrong})
    assert current_step(response) == "generator"
    assert response.context["wizard"]["form"].errors["token"]
    assert not TOTPDevice.objects.exists()
    assert DEVICE_ID_SESSION_KEY not in setup_client.session


@pytest.mark.parametrize("offset", [-1, 1])
def test_drift_of_one_step_accepted_and_stored(setup_client, user, offset):
    key = to_generator(setup_client)
    post_step(setup_client, "generator", {"token": totp_token(key, offset)})
    assert TOTPDevice.objects.get(user=user).drift == offset


def test_drift_of_two_steps_refused(setup_client):
    key = to_generator(setup_client)
    response = post_step(setup_client, "generator", {"token": totp_token(key, 3)})
    assert response.context["wizard"]["form"].errors["token"]
    assert not TOTPDevice.objects.exists()


def test_eight_digits(setup_client, user, settings):
    settings.TWO_FACTOR_TOTP_DIGITS = 8
    key, page = to_generator(setup_client, with_page=True)
    assert "8-digit code" in page
    assert parse_qs(urlsplit(_expected_url(key, digits=8)).query)["digits"] == ["8"]
    assert setup_client.get(QR).content == _svg(_expected_url(key, digits=8))
    post_step(setup_client, "generator", {"token": totp_token(key, digits=8)})
    assert TOTPDevice.objects.get(user=user).digits == 8


def test_going_back_from_generator(setup_client, fake_method):
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    post_step(setup_client, "method", {"method": "generator"})
    response = post_step(setup_client, "generator", wizard_goto_step="method")
    assert current_step(response) == "method"
    response = post_step(setup_client, "method", {"method": "fake"})
    assert current_step(response) == "fake"


def test_cancel_drops_secret(setup_client):
    to_generator(setup_client)
    response = post_step(setup_client, "generator", wizard_cancel="1")
    assert response.status_code == 302 and response.url == "/account/two_factor/"
    assert SECRET_SESSION_KEY not in setup_client.session
    assert setup_client.get(QR).status_code == 404
    response = post_step(setup_client, "generator", {"token": "123456"})
    assert current_step(response) == "welcome"  # the wizard starts over


def test_restart_gives_new_secret(setup_client):
    first = to_generator(setup_client)
    setup_client.get(SETUP)
    assert SECRET_SESSION_KEY not in setup_client.session
    assert to_generator(setup_client) != first


# A method from the registry: its own step, then validation.

def test_registered_method_adds_step_and_validation(setup_client, user, fake_method, settings):
    settings.OTP_HOTP_THROTTLE_FACTOR = 0  # the wrong token below would delay the right one
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    assert current_step(post_step(setup_client, "method", {"method": "fake"})) == "fake"
    response = post_step(setup_client, "fake", {"label": "mine"})
    assert current_step(response) == "validation"
    assert len(fake_method.challenges) == 1
    assert "Sent!" in response.content.decode()
    pending = HOTPDevice.objects.get(user=user)
    assert not pending.confirmed  # counts for nothing until validated
    response = post_step(setup_client, "validation", {"token": "000000"})
    assert response.context["wizard"]["form"].errors["token"]
    response = post_step(setup_client, "validation", {"token": f"{hotp(unhexlify(FAKE_KEY), 0):06d}"})
    assert response.url == COMPLETE
    device = HOTPDevice.objects.get(user=user)
    assert (device.pk, device.name, device.confirmed, device.counter) == (pending.pk, "default", True, 1)
    assert setup_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


class OtherFakeForm(FakeForm):
    other = forms.CharField(max_length=20)


class SharedStepMethod(FakeMethod):
    """Another plugin's method whose step has the name of ``FakeMethod``'s."""

    code = "fake-too"
    verbose_name = "Another fake method"

    def get_setup_forms(self, wizard):
        return {"fake": OtherFakeForm}


@pytest.fixture
def shared_step_method(fake_method):
    method = SharedStepMethod()
    registry.register(method)  # after ``fake_method``
    yield method
    registry.unregister(method.code)


@pytest.mark.parametrize("code, form_class", [("fake", FakeForm), ("fake-too", OtherFakeForm)])
def test_a_step_name_shared_by_two_methods_takes_the_chosen_ones_form(
        setup_client, shared_step_method, code, form_class):
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    response = post_step(setup_client, "method", {"method": code})
    assert current_step(response) == "fake"
    assert type(response.context["wizard"]["form"]) is form_class


def test_validation_step_context_has_the_device(setup_client, user, fake_method):
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    post_step(setup_client, "method", {"method": "fake"})
    response = post_step(setup_client, "fake", {"label": "mine"})
    assert current_step(response) == "validation"
    assert response.context["device"] == HOTPDevice.objects.get(user=user)
    assert "secret_key" not in response.context


def test_setup_complete_lists_no_phone_methods_without_the_plugin_methods(verified_client):
    response = verified_client.get(COMPLETE)
    assert response.context["phone_methods"] == []
    assert "/account/two_factor/phone/register/" not in response.content.decode()


def test_cancel_in_validation_removes_pending_device(setup_client, user, fake_method):
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    post_step(setup_client, "method", {"method": "fake"})
    post_step(setup_client, "fake", {"label": "mine"})
    assert HOTPDevice.objects.filter(user=user, confirmed=False).exists()
    post_step(setup_client, "validation", wizard_cancel="1")
    assert not HOTPDevice.objects.exists()


def test_unknown_method_code_is_form_error(setup_client, fake_method):
    setup_client.get(SETUP)
    post_step(setup_client, "welcome")
    response = post_step(setup_client, "method", {"method": "carrier-pigeon"})
    assert current_step(response) == "method"
    assert response.context["wizard"]["form"].errors["method"]


# Who may use the wizard.

@pytest.mark.parametrize("login_url, expected", [("/custom-login/", "/custom-login/"),
                                                 ("two_factor:login", "/account/login/")])
def test_anonymous_redirected_to_login_url(client, db, settings, login_url, expected):
    """As ``login_required``: Django's LOGIN_URL (a path or a URL name), with ``next``."""
    settings.LOGIN_URL = login_url
    for url in (SETUP, QR, COMPLETE):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"{expected}?next={url}"
    response = client.post(SETUP, {"setup_view-current_step": "welcome"})
    assert response.status_code == 302 and response.url == f"{expected}?next={SETUP}"


def test_password_only_user_with_device_refused(client, user_with_totp, default_totp, settings):
    settings.OTP_LOGIN_URL = "/otp-login/"
    login_password_only(client, user_with_totp)
    response = client.get(SETUP)  # as django-two-factor-auth: the setup is done already
    assert response.status_code == 302 and response.url == COMPLETE
    default_totp.name = "other"  # a device, but no default one: nothing to show as done
    default_totp.save()
    response = client.get(SETUP)
    assert response.status_code == 403
    assert f'href="/otp-login/?next={SETUP}"' in response.content.decode()
    default_totp.name = "default"
    default_totp.save()
    session = client.session
    session[SECRET_SESSION_KEY] = key = "ab" * 20
    session.save()
    for step, data in [("welcome", {}), ("method", {"method": "generator"}),
                       ("generator", {"token": totp_token(key)}), ("validation", {"token": "123456"})]:
        assert post_step(client, step, data).status_code == 403
    assert TOTPDevice.objects.filter(user=user_with_totp).count() == 1
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_device_added_mid_wizard_blocks_unverified_session(setup_client, user):
    """Started without a device; another sign-in path adds one: this session may not finish."""
    key = to_generator(setup_client)
    TOTPDevice.objects.create(user=user, name="default")
    assert post_step(setup_client, "generator", {"token": totp_token(key)}).status_code == 403
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert DEVICE_ID_SESSION_KEY not in setup_client.session


def test_verified_user_with_default_device_redirected(verified_client):
    for response in (verified_client.get(SETUP), post_step(verified_client, "welcome")):
        assert response.status_code == 302 and response.url == COMPLETE


def test_verified_user_without_default_device_may_set_up(client, user):
    backup = StaticDevice.objects.create(user=user, name="backup")
    login_verified(client, user, backup)
    assert client.get(SETUP).status_code == 200


def test_a_verified_session_gets_a_new_key_when_its_setup_is_done(client, user):
    # Verified by a backup device already, the session gains the new device's verification.
    backup = StaticDevice.objects.create(user=user, name="backup")
    login_verified(client, user, backup)
    key = to_generator(client)
    before = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = post_step(client, "generator", {"token": totp_token(key)})
    assert response.status_code == 302 and response.url == COMPLETE
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_unconfirmed_device_does_not_block(setup_client, user):
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    assert setup_client.get(SETUP).status_code == 200


# The QR code.

def _expected_url(key, digits=6):
    return get_otpauth_url(accountname="alice", secret=b32encode(unhexlify(key)).decode(),
                           issuer="testserver", digits=digits)


def _svg(url):
    out = BytesIO()
    write_qrcode_image(url, out)
    return out.getvalue()


def test_qr_404_without_setup(setup_client):
    assert setup_client.get(QR).status_code == 404
    setup_client.get(SETUP)
    post_step(setup_client, "welcome", wizard_cancel="1")
    assert setup_client.get(QR).status_code == 404


def test_qr_svg_of_the_setup_url(setup_client):
    key = to_generator(setup_client)
    response = setup_client.get(QR)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert response.content == _svg(_expected_url(key))
    parts = urlsplit(_expected_url(key))
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, unquote(parts.path)) == ("otpauth", "totp", "/testserver: alice")
    assert query["secret"] == [b32encode(unhexlify(key)).decode().rstrip("=")]
    assert query["issuer"] == ["testserver"] and query["digits"] == ["6"]


def test_qr_ignores_garbage_secret(setup_client):
    session = setup_client.session
    session[SECRET_SESSION_KEY] = "not-hex"
    session.save()
    assert setup_client.get(QR).status_code == 404


# Bad input: a 4xx or a form error, never a 500.

def test_missing_management_form_is_400(setup_client):
    setup_client.get(SETUP)
    assert setup_client.post(SETUP, {"generator-token": "123456"}).status_code == 400


def test_unknown_step_is_400(setup_client):
    setup_client.get(SETUP)
    assert post_step(setup_client, "no-such-step").status_code == 400
    assert post_step(setup_client, "x" * 1000).status_code == 400


def test_step_ahead_of_the_wizard_stays_put(setup_client):
    setup_client.get(SETUP)
    response = post_step(setup_client, "generator", {"token": "123456"})
    assert response.status_code == 200 and current_step(response) == "welcome"
    assert SECRET_SESSION_KEY not in setup_client.session
    response = post_step(setup_client, "welcome", wizard_goto_step="generator")
    assert current_step(response) == "welcome"


def test_post_without_started_wizard_starts_at_welcome(setup_client):
    response = post_step(setup_client, "generator", {"token": "123456"})
    assert response.status_code == 200 and current_step(response) == "welcome"
    assert not TOTPDevice.objects.exists()


@pytest.mark.parametrize("token", ["abcdef", "١٢٣٤٥٦", "1" * 1000, "", " ", "12345\x00", "-12345"])
def test_tokens_of_any_shape_are_form_errors(setup_client, token):
    to_generator(setup_client)
    response = post_step(setup_client, "generator", {"token": token})
    assert response.status_code == 200
    assert response.context["wizard"]["form"].errors
    assert not TOTPDevice.objects.exists()


# A double-clicked "Next": two requests with the same valid token at once.

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_final_steps_create_one_device(client, user, monkeypatch):
    from django.conf import settings

    from ..django_otp.test_concurrency import run_at_once

    login_password_only(client, user)
    key = to_generator(client)
    token = totp_token(key)
    checked = threading.Barrier(2)
    clean_token = TOTPDeviceForm.clean_token

    def clean_token_together(form):  # both requests have a valid token before either saves
        result = clean_token(form)
        checked.wait(timeout=10)
        return result

    monkeypatch.setattr(TOTPDeviceForm, "clean_token", clean_token_together)

    def same_session(i):
        other = Client()
        other.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return other

    results = run_at_once(lambda c: post_step(c, "generator", {"token": token}).status_code,
                          prepare=same_session, n=2)
    assert results == [302, 302]
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_request_that_finds_its_setup_finished_by_another_of_its_session_is_no_400(client, user,
                                                                                    monkeypatch):
    """The race above, one request inside the other: the second finds the device made and the
    session renamed by the first, and answers as if it had finished (not with Django's 400 for
    a session that is gone)."""
    login_password_only(client, user)
    key = to_generator(client)
    sent = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    clean_token = TOTPDeviceForm.clean_token

    def the_other_request_finishes_first(form):
        result = clean_token(form)
        TOTPDevice.objects.create(user=user, name="default", key=key)  # what it completed
        renew_session_key(SessionStore(sent))
        return result

    monkeypatch.setattr(TOTPDeviceForm, "clean_token", the_other_request_finishes_first)
    response = post_step(client, "generator", {"token": totp_token(key)})
    assert response.status_code == 302 and response.url == COMPLETE
    assert TOTPDevice.objects.filter(user=user).count() == 1
    assert not Session.objects.filter(session_key=sent).exists()  # not written back


def test_a_setup_finished_in_another_browser_leaves_this_session_saved(client, user, monkeypatch):
    login_password_only(client, user)
    key = to_generator(client)
    clean_token = TOTPDeviceForm.clean_token

    def another_browser_finishes_first(form):
        result = clean_token(form)
        TOTPDevice.objects.create(user=user, name="default", key=key)  # its session is its own
        return result

    monkeypatch.setattr(TOTPDeviceForm, "clean_token", another_browser_finishes_first)
    response = post_step(client, "generator", {"token": totp_token(key)})
    assert response.status_code == 302 and response.url == COMPLETE
    assert SECRET_SESSION_KEY not in client.session  # the secret of the setup is gone


# What sites and test suites written for django-two-factor-auth read or patch.

def test_welcome_step_says_to_follow_the_wizard(setup_client):
    response = setup_client.get(SETUP)
    assert "Follow the steps in this wizard to enable two-factor authentication." in response.content.decode()


def test_context_keys_name_the_generator_secret(setup_client):
    """``keys`` maps ``generator`` to the hex secret that the QR code shows, as the old
    wizard's extra data did; it is not rendered."""
    assert setup_client.get(SETUP).context["keys"] == {}
    setup_client.get(SETUP)
    first = post_step(setup_client, "welcome")
    key = get_secret(setup_client.session)  # decrypted, with OTP_ENCRYPTION_KEYS
    again = post_step(setup_client, "generator", {"token": "x"})
    for response in (first, again):
        assert response.context["keys"] == {"generator": key}
        assert key not in response.content.decode().lower()
    assert setup_client.get(QR).content == _svg(_expected_url(key))


def test_generator_token_checked_with_the_patchable_totp(setup_client, user):
    """The candidates come from ``two_factor.forms.totp`` (patched here as old tests do); the
    step it matched is recorded, so the device refuses that step's token afterwards."""
    to_generator(setup_client)
    key = get_secret(setup_client.session)
    with mock.patch("two_factor.forms.totp") as totp_mock:
        totp_mock.return_value = 123456
        before = TOTP(unhexlify(key)).t()
        response = post_step(setup_client, "generator", {"token": "123456"})
    assert response.status_code == 302 and response.url == COMPLETE
    totp_mock.assert_any_call(unhexlify(key), 30, 0, 6, -1)
    device = TOTPDevice.objects.get(user=user)
    # The first candidate (the previous step) matched: its step is used up, the current one not.
    assert (device.drift, device.confirmed) == (-1, True)
    assert device.last_t in (before - 1, before)  # a step boundary may pass during the test
    assert setup_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert not device.verify_token(f"{hotp(unhexlify(key), device.last_t):06d}")


def test_generator_token_refused_when_the_patched_totp_differs(setup_client):
    to_generator(setup_client)
    with mock.patch("two_factor.forms.totp", return_value=654321):
        response = post_step(setup_client, "generator", {"token": "123456"})
    assert response.context["wizard"]["form"].errors["token"] == ["Entered token is not valid."]
    assert not TOTPDevice.objects.exists()


def test_step_boundary_during_the_check_records_the_step_that_matched(user, monkeypatch):
    """The current step is read before and after the candidates are computed: when it moved
    in between, the check is made again, so ``last_t`` is the step of the accepted token."""
    clock = {"now": 30 * 1000 + 29.99}  # the end of step 1000
    monkeypatch.setattr(oath, "_time", SimpleNamespace(time=lambda: clock["now"]))
    real_totp = oath.totp

    def totp_across_the_boundary(*args):
        value = real_totp(*args)
        clock["now"] = 30 * 1001 + 1  # step 1001 starts after the first candidate
        return value

    monkeypatch.setattr(two_factor_forms, "totp", totp_across_the_boundary)
    key = "ab" * 20
    token = f"{hotp(unhexlify(key), 1001):06d}"  # the token of step 1001
    form = TOTPDeviceForm(key=key, user=user, data={"token": token})
    assert form.is_valid()
    assert (form.matched_t, form.drift) == (1001, 0)
    assert form.save().last_t == 1001


def test_cancel_url_in_the_context_and_one_cancel_on_the_page(setup_client, settings):
    settings.LOGIN_REDIRECT_URL = "two_factor:profile"
    for response in (setup_client.get(SETUP), post_step(setup_client, "welcome")):
        assert response.context["cancel_url"] == "/account/two_factor/"
        html = response.content.decode()
        assert html.count(">Cancel<") == 1
        assert 'name="wizard_cancel"' in html  # the button that also drops the secret
        assert 'href="/account/two_factor/" class="button' not in html


class CustomIssuerQRView(QRGeneratorView):
    def get_issuer(self):
        return "Custom Issuer"


def test_qr_issuer_from_get_issuer_of_a_subclass(setup_client, user, rf):
    to_generator(setup_client)
    key = get_secret(setup_client.session)
    request = rf.get(QR)
    request.user, request.session = user, setup_client.session
    response = CustomIssuerQRView.as_view()(request)
    assert response.status_code == 200
    url = get_otpauth_url(accountname="alice", secret=b32encode(unhexlify(key)).decode(),
                          issuer="Custom Issuer", digits=6)
    assert response.content == _svg(url)
    assert setup_client.get(QR).content == _svg(_expected_url(key))  # the default: the site


def test_setup_view_get_issuer_names_the_issuer_of_the_typed_url(setup_client, monkeypatch):
    monkeypatch.setattr(SetupView, "get_issuer", lambda self: "Typed Issuer")
    setup_client.get(SETUP)
    response = post_step(setup_client, "welcome")
    assert parse_qs(urlsplit(response.context["otpauth_url"]).query)["issuer"] == ["Typed Issuer"]



# The setup tokens' limit per user (flows.setup.claim_setup_send)


@pytest.mark.django_db
def test_a_claim_over_by_the_clock_is_taken_over_by_one_request(user):
    device = EmailDevice(user=user, name="default", confirmed=False, email="alice@example.com")
    assert setup_flows.claim_setup_send(device) is None
    next_at = setup_flows.claim_setup_send(device)  # within the cooldown
    assert next_at is not None and timezone.is_aware(next_at)
    with frozen_now(next_at + timedelta(seconds=1)):
        results = [setup_flows.claim_setup_send(device) for _request in range(2)]
    assert results[0] is None
    assert results[1] == next_at + timedelta(seconds=1 + device.get_cooldown_duration())


@pytest.mark.django_db
def test_a_claim_that_ends_just_after_it_was_refused_is_taken(user, monkeypatch):
    """Refused the claim, the request finds it over when it asks since when (its holder gave
    it back: nothing could be sent): it claims it and may send, rather than tell the user to
    wait for a claim that nobody holds."""
    device = EmailDevice(user=user, name="default", confirmed=False, email="alice@example.com")
    assert setup_flows.claim_setup_send(device) is None
    claimed_at = setup_flows.once.claimed_at

    def given_back_meanwhile(name):
        setup_flows.once.release(name)
        return claimed_at(name)

    monkeypatch.setattr(setup_flows.once, "claimed_at", given_back_meanwhile)
    assert setup_flows.claim_setup_send(device) is None
    monkeypatch.setattr(setup_flows.once, "claimed_at", claimed_at)
    assert setup_flows.claim_setup_send(device) is not None  # and this request holds it


@pytest.mark.django_db
def test_the_limit_is_kept_in_the_database_not_the_cache(user):
    device = EmailDevice(user=user, name="default", confirmed=False, email="alice@example.com")
    assert setup_flows.claim_setup_send(device) is None
    cache.clear()  # an eviction, a restart, another process's locmem
    assert setup_flows.claim_setup_send(device) is not None
    setup_flows.release_setup_send(device)  # nothing was sent after all
    assert setup_flows.claim_setup_send(device) is None


@pytest.mark.django_db
def test_when_the_next_may_go_without_time_zones(user, settings):
    settings.USE_TZ = False
    device = EmailDevice(user=user, name="default", confirmed=False, email="alice@example.com")
    assert setup_flows.claim_setup_send(device) is None
    next_at = setup_flows.claim_setup_send(device)
    assert timezone.is_aware(next_at)
    assert timezone.localtime(next_at) > timezone.localtime(timezone.make_aware(timezone.now()))
