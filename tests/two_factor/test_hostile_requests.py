"""Requests found by fuzzing the two_factor views that were server errors: each must get a 4xx
or a page with a form error, never a 500."""

from urllib.error import URLError

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from two_factor.flows.setup import SECRET_SESSION_KEY
from two_factor.plugins.registry import registry
from two_factor.plugins.webauthn.models import WebauthnDevice

from .conftest import PASSWORD, age_session, login_verified

pytestmark = pytest.mark.django_db

#: Every method of the installed plugins (the conftest keeps only the core ones for these tests).
ALL_METHODS = list(registry._methods)

LOGIN = reverse("two_factor:login")
SETUP = reverse("two_factor:setup")
PHONE_CREATE = reverse("two_factor:phone_create")


def quiet_client(**defaults):
    """A client that answers a view's exception with the 500 page, as a server would."""
    return Client(raise_request_exception=False, **defaults)


def upload():
    return SimpleUploadedFile("x.txt", b"not asked for")


@pytest.fixture
def phone_gateways(settings):
    settings.TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
    settings.TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"


# 1. The backup phone wizard takes any step name from the management form.

def test_phone_wizard_unknown_step_is_not_a_500(phone_gateways, user, default_totp):
    client = quiet_client()
    login_verified(client, user, default_totp)
    client.get(PHONE_CREATE)  # starts the wizard: its storage has a current step
    response = client.post(PHONE_CREATE, {"phone_setup_view-current_step": "nonexistent"})
    assert response.status_code == 200
    assert response.context["wizard"]["steps"].current == "setup"  # where the user was


# 2. A file sent along with a wizard step that validates.

def test_file_upload_to_setup_wizard_is_not_a_500(make_user):
    user = make_user("nodevice")
    client = quiet_client()
    client.force_login(user)
    client.get(SETUP)
    response = client.post(SETUP, {"setup_view-current_step": "welcome", "stray": upload()})
    assert response.status_code < 500


def test_file_upload_to_login_wizard_is_not_a_500(user_with_totp):
    client = quiet_client()
    response = client.post(LOGIN, {"login_view-current_step": "auth", "auth-username": "alice",
                                   "auth-password": PASSWORD, "stray": upload()})
    assert response.status_code < 500


def test_file_upload_to_phone_wizard_is_not_a_500(phone_gateways, user, default_totp):
    client = quiet_client()
    login_verified(client, user, default_totp)
    client.get(PHONE_CREATE)
    response = client.post(PHONE_CREATE, {"phone_setup_view-current_step": "setup",
                                          "setup-number": "+31612345679", "setup-method": "sms",
                                          "stray": upload()})
    assert response.status_code < 500


# 3. The Twilio TwiML view with a Host whose port is out of range (the host check ignores ports).

@pytest.mark.urls("tests.two_factor.gateways.urls")
@pytest.mark.parametrize("method", ["get", "post"])
def test_twilio_view_with_port_out_of_range_is_not_a_500(settings, method):
    settings.TWILIO_AUTH_TOKEN = "twilio-auth-token"
    client = quiet_client(HTTP_HOST="testserver:99999")
    response = getattr(client, method)("/twilio/inbound/two_factor/abc/",
                                       HTTP_X_TWILIO_SIGNATURE="forged")
    assert response.status_code == 403  # a signature that cannot be checked is no signature


# 4. The QR code of the setup with an issuer (the Host, port included) too long for a QR code.

def test_qr_view_with_a_long_host_is_not_a_500(make_user):
    user = make_user("nodevice")
    client = quiet_client(HTTP_HOST="testserver:" + "9" * 2000)
    client.force_login(user)
    session = client.session
    session[SECRET_SESSION_KEY] = "ab" * 20  # the generator step is in progress
    session.save()
    response = client.get(reverse("two_factor:qr"))
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"


# 5. A remote YubiKey whose validation service cannot be reached (down, DNS, TLS, ...).

@pytest.fixture
def remote_yubikey(user, monkeypatch):
    otp_yubikey = pytest.importorskip("otp_yubikey.models")
    monkeypatch.setattr(registry, "_methods", ALL_METHODS)  # the YubiKey method's token form
    service = otp_yubikey.ValidationService.objects.create(
        name="default", api_id=1, api_key="", base_url="https://validation.invalid/verify",
        param_sl="", param_timeout="")

    def unreachable(url, *args, **kwargs):
        raise URLError("service unreachable")

    monkeypatch.setattr("yubiotp.client.urlopen", unreachable)
    return otp_yubikey.RemoteYubikeyDevice.objects.create(
        user=user, name="default", service=service, public_id="cccccccccccb")


YUBIKEY_OTP = "cccccccccccb" + "c" * 32


def test_sign_in_with_unreachable_yubikey_service_is_not_a_500(remote_yubikey):
    client = quiet_client()
    client.post(LOGIN, {"login_view-current_step": "auth", "auth-username": "alice",
                        "auth-password": PASSWORD})
    response = client.post(LOGIN, {"login_view-current_step": "token",
                                   "token-otp_token": YUBIKEY_OTP})
    assert response.status_code == 200
    assert response.context["wizard"]["form"].errors  # refused, as a wrong token


def test_reauthentication_with_unreachable_yubikey_service_is_not_a_500(user, remote_yubikey):
    client = quiet_client()
    login_verified(client, user, remote_yubikey)
    response = client.post(reverse("two_factor:reauthenticate"),
                           {"device": remote_yubikey.persistent_id, "otp_token": YUBIKEY_OTP})
    assert response.status_code < 500


# 6. A WebAuthn credential row whose user handle is not base64url (damaged or imported data;
#    the key handles of such rows are skipped, the user handle is not).

def test_register_options_with_a_damaged_user_handle_is_not_a_500(settings, user):
    settings.TWO_FACTOR_WEBAUTHN_RP_NAME = "tests"
    device = WebauthnDevice.objects.create(user=user, name="default", public_key="AAAA",
                                           key_handle="AAAA", user_handle="!!")
    client = quiet_client()
    login_verified(client, user, device)
    age_session(client, 0)
    response = client.post(reverse("two_factor:webauthn_register_options"),
                           HTTP_ACCEPT="application/json")
    assert response.status_code < 500
