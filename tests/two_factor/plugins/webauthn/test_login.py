"""Signing in with the password and a security key (the token step), through the test client."""

import json
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.two_factor.conftest import PASSWORD
from two_factor.plugins.webauthn import challenges
from two_factor.plugins.webauthn.forms import WebauthnTokenForm

from .authenticator import SoftAuthenticator, b64
from .conftest import JSON, LOGIN, LOGIN_OPTIONS, LOGIN_STEP, fetch_options, register_key


def post_password(client, username="alice"):
    return client.post(LOGIN, {LOGIN_STEP: "auth", "auth-username": username,
                               "auth-password": PASSWORD})


def post_key(client, response):
    return client.post(LOGIN, {LOGIN_STEP: "token", "token-otp_token": response})


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


def errors(response):
    assert response.status_code == 200, response.status_code
    form = response.context["wizard"]["form"]
    return " ".join(str(error) for error in form.errors.get("__all__", []) + form.errors.get("otp_token", []))


def test_password_and_security_key(client, user, authenticator, key_device):
    page = post_password(client)
    assert isinstance(page.context["wizard"]["form"], WebauthnTokenForm)
    assert LOGIN_OPTIONS in page.content.decode()
    response = authenticator.get(fetch_options(client, LOGIN_OPTIONS))

    done = post_key(client, response)

    assert done.status_code == 302 and done.url == django_settings.LOGIN_REDIRECT_URL
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": key_device.persistent_id}
    key_device.refresh_from_db()
    assert key_device.sign_count == 1 and key_device.last_used_at is not None
    assert challenges.SESSION_KEY not in client.session


def test_login_options(client, user, key_device, authenticator, settings):
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    assert options["rpId"] == "testserver"
    assert options["userVerification"] == "discouraged"
    assert options["allowCredentials"] == [{"id": b64(authenticator.credential_id), "type": "public-key"}]
    settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS = ["usb", "nfc"]
    settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT = "preferred"
    options = fetch_options(client, LOGIN_OPTIONS)
    assert options["allowCredentials"][0]["transports"] == ["usb", "nfc"]
    assert options["userVerification"] == "preferred"
    # One string is one transport, and an unknown one is left out (the check E004 says so).
    settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS = "usb"
    assert fetch_options(client, LOGIN_OPTIONS)["allowCredentials"][0]["transports"] == ["usb"]
    settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS = ["carrier pigeon", "nfc"]
    assert fetch_options(client, LOGIN_OPTIONS)["allowCredentials"][0]["transports"] == ["nfc"]


def test_login_options_need_a_sign_in_at_the_token_step(client, user, key_device):
    assert fetch_options(client, LOGIN_OPTIONS, status=400)["error"]
    client.force_login(user)
    assert fetch_options(client, LOGIN_OPTIONS, status=400)["error"]
    assert client.get(LOGIN_OPTIONS).status_code == 405


def test_any_key_of_the_user_works(client, user, key_device):
    second = SoftAuthenticator()
    second_device = register_key(user, second, name="spare")
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    assert len(options["allowCredentials"]) == 2
    assert post_key(client, second.get(options)).status_code == 302
    assert otp_status(client)["device"] == second_device.persistent_id


def test_a_used_assertion_is_refused(client, user, authenticator, key_device):
    post_password(client)
    response = authenticator.get(fetch_options(client, LOGIN_OPTIONS))
    assert post_key(client, response).status_code == 302
    client.logout()

    post_password(client)
    assert "expired or was already used" in errors(post_key(client, response))  # no challenge now
    fetch_options(client, LOGIN_OPTIONS)  # a new challenge: the old response does not answer it
    assert "Invalid token" in errors(post_key(client, response))
    assert client.session.get(SESSION_KEY) is None


def test_a_refused_response_cannot_be_posted_again(client, user, key_device):
    authenticator = SoftAuthenticator(counting=False)
    device = register_key(user, authenticator, name="uncounted")
    key_device.delete()
    device.name = "default"
    device.save()
    post_password(client)
    response = authenticator.get(fetch_options(client, LOGIN_OPTIONS), uv=False, origin="http://evil.example")
    assert "Invalid token" in errors(post_key(client, response))
    assert "expired or was already used" in errors(post_key(client, response))


def test_missing_challenge_is_a_form_error(client, user, authenticator, key_device):
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    session = client.session
    del session[challenges.SESSION_KEY]["login"]["challenge"]
    session.save()
    assert "expired or was already used" in errors(post_key(client, authenticator.get(options)))
    key_device.refresh_from_db()
    assert key_device.throttling_failure_count == 0


def test_an_expired_challenge_is_refused(client, user, authenticator, key_device, monkeypatch):
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    later = challenges.now() + challenges.MAX_AGE + 1
    monkeypatch.setattr(challenges, "now", lambda: later)
    assert "expired or was already used" in errors(post_key(client, authenticator.get(options)))


@pytest.mark.parametrize("breakage", [
    {"origin": "http://evil.example"},
    {"origin": "https://testserver"},
    {"rp_id": "evil.example"},
    {"challenge": b64(b"another challenge of some length")},
])
def test_a_broken_assertion_is_refused_and_counted(client, user, authenticator, key_device, breakage):
    post_password(client)
    response = authenticator.get(fetch_options(client, LOGIN_OPTIONS), **breakage)
    assert "Invalid token" in errors(post_key(client, response))
    key_device.refresh_from_db()
    assert key_device.throttling_failure_count == 1 and key_device.sign_count == 0
    assert client.session.get(SESSION_KEY) is None


def test_a_cloned_key_is_refused(client, user, authenticator):
    authenticator.sign_count = 10
    device = register_key(user, authenticator)
    post_password(client)
    response = authenticator.get(fetch_options(client, LOGIN_OPTIONS), counter=7)
    assert "Invalid token" in errors(post_key(client, response))
    device.refresh_from_db()
    assert device.sign_count == 10 and device.throttling_failure_count == 1


def test_user_verification_required_by_the_settings(client, user, authenticator, key_device, settings):
    settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT = "required"
    settings.TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR = 0  # the second try follows at once
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    assert options["userVerification"] == "required"
    assert "Invalid token" in errors(post_key(client, authenticator.get(options, uv=False)))
    assert post_key(client, authenticator.get(fetch_options(client, LOGIN_OPTIONS))).status_code == 302


def test_throttled_after_a_failure(client, user, authenticator, key_device, settings):
    settings.TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR = 60  # a window no slow machine passes
    post_password(client)
    bad = authenticator.get(fetch_options(client, LOGIN_OPTIONS), origin="http://evil.example")
    assert "Invalid token" in errors(post_key(client, bad))
    good = authenticator.get(fetch_options(client, LOGIN_OPTIONS))
    assert "temporarily disabled" in errors(post_key(client, good))
    key_device.refresh_from_db()
    assert key_device.sign_count == 0
    assert client.session.get(SESSION_KEY) is None


def test_garbage_in_the_token_step(client, user, key_device):
    post_password(client)
    for value in ["", "123456", "{}", "[1]", '{"id": "AAAA", "rawId": 5}', "\x00" * 10]:
        fetch_options(client, LOGIN_OPTIONS)
        response = post_key(client, value)
        assert response.status_code == 200
    assert client.session.get(SESSION_KEY) is None


def test_security_key_as_another_device(client, user, authenticator):
    totp = TOTPDevice.objects.create(user=user, name="default")
    device = register_key(user, authenticator, name="key")
    page = post_password(client)
    assert "Use your security key" in page.content.decode()
    page = client.post(LOGIN, {LOGIN_STEP: "token", "challenge_device": device.persistent_id})
    assert isinstance(page.context["wizard"]["form"], WebauthnTokenForm)
    assert post_key(client, authenticator.get(fetch_options(client, LOGIN_OPTIONS))).status_code == 302
    assert otp_status(client)["device"] == device.persistent_id
    assert totp.persistent_id != device.persistent_id


def test_one_key_is_offered_not_each(client, user, authenticator, key_device):
    register_key(user, SoftAuthenticator(), name="spare")
    page = post_password(client)
    assert page.context["other_devices"] == []


def test_another_users_key_is_not_accepted(client, user, other_user, key_device):
    bobs = SoftAuthenticator()
    register_key(other_user, bobs)
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    options["allowCredentials"] = []
    assert "Invalid token" in errors(post_key(client, bobs.get(options)))
    assert client.session.get(SESSION_KEY) is None


def test_json_content_type_is_not_needed(client, user, key_device):
    post_password(client)
    assert client.post(LOGIN_OPTIONS).status_code == 200
    assert client.post(LOGIN_OPTIONS, **JSON)["Content-Type"] == "application/json"


def test_no_response_is_one_error_that_the_key_fieldset_points_at(client, user, key_device):
    post_password(client)
    page = post_key(client, "").content.decode()
    described = re.search(r'<fieldset[^>]* aria-describedby="([^"]+)"', page).group(1).split()
    assert "token-errors" not in described and 'id="token-errors"' not in page
    assert all(f'id="{i}"' in page for i in described), described
