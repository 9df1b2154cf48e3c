"""Setting up a YubiKey and signing in with it, through the test client (stand-in server)."""

import json

import pytest

pytest.importorskip("otp_yubikey")

from django.test import Client  # noqa: E402
from otp_yubikey.models import RemoteYubikeyDevice, YubikeyDevice  # noqa: E402

from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from ...conftest import PASSWORD, login_password_only, login_verified  # noqa: E402
from .validation_stand_in import SimulatedKey  # noqa: E402

SETUP = "/account/two_factor/setup/"
COMPLETE = "/account/two_factor/setup/complete/"
LOGIN = "/account/login/"
STEP = "login_view-current_step"


def post_setup(client, step, data=None, **extra):
    payload = {"setup_view-current_step": step, **extra}
    payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
    return client.post(SETUP, payload)


def post_password(client):
    return client.post(LOGIN, {STEP: "auth", "auth-username": "alice", "auth-password": PASSWORD})


def post_token(client, token):
    return client.post(LOGIN, {STEP: "token", "token-otp_token": token})


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


def to_yubikey_step(client):
    assert current_step(client.get(SETUP)) == "welcome"
    assert current_step(post_setup(client, "welcome")) == "method"
    response = post_setup(client, "method", {"method": "yubikey"})
    assert current_step(response) == "yubikey"
    return response


# Setup


def test_setup_with_a_yubikey(client, user, service, yubikey, validation):
    login_password_only(client, user)
    page = to_yubikey_step(client).content.decode()
    assert 'name="yubikey-token"' in page and 'inputmode="numeric"' not in page
    otp = yubikey.otp()
    response = post_setup(client, "yubikey", {"token": otp})
    assert response.status_code == 302 and response["Location"] == COMPLETE  # no validation step
    device = RemoteYubikeyDevice.objects.get(user=user)
    assert (device.name, device.confirmed, device.public_id, device.service) == (
        "default", True, yubikey.public_id, service)
    assert [request["otp"] for request in validation.requests] == [otp]  # checked once
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": device.persistent_id}


def test_setup_refuses_an_otp_the_service_refuses(client, user, service, yubikey, validation):
    login_password_only(client, user)
    to_yubikey_step(client)
    used = yubikey.otp()
    assert service.get_client().verify(used).is_ok()  # used elsewhere first
    stranger = SimulatedKey(public_id=b"\x09\x09\x09\x09\x09\x09")  # unknown to the service
    for otp in (used, stranger.otp()):
        response = post_setup(client, "yubikey", {"token": otp})
        assert current_step(response) == "yubikey"
        assert "did not accept" in response.content.decode()
    assert not RemoteYubikeyDevice.objects.exists()
    assert otp_status(client)["verified"] is False
    # The next press of the key works.
    assert post_setup(client, "yubikey", {"token": yubikey.otp()}).status_code == 302


def test_setup_without_a_validation_service(client, user, yubikey, db):
    login_password_only(client, user)
    to_yubikey_step(client)
    response = post_setup(client, "yubikey", {"token": yubikey.otp()})
    assert current_step(response) == "yubikey"
    assert "no validation service is configured" in response.content.decode()
    assert not RemoteYubikeyDevice.objects.exists()


def test_setup_does_not_offer_yubikey_without_otp_yubikey(client, user, monkeypatch):
    monkeypatch.setattr("two_factor.plugins.yubikey.method.otp_yubikey_installed", lambda: False)
    login_password_only(client, user)
    client.get(SETUP)
    response = post_setup(client, "welcome")
    assert "yubikey" not in dict(response.context["wizard"]["form"].fields["method"].choices)
    response = post_setup(client, "method", {"method": "yubikey"})
    assert current_step(response) == "method" and response.context["wizard"]["form"].errors


# Sign-in


def test_sign_in_with_a_remote_yubikey(client, remote_default, yubikey, validation):
    response = post_password(client)
    assert current_step(response) == "token"
    page = response.content.decode()
    assert "Please insert your YubiKey and touch its button." in page
    assert 'inputmode="numeric"' not in page and 'maxlength="72"' in page
    assert validation.requests == []  # nothing to send: the key makes the OTP
    otp = yubikey.otp()
    response = post_token(client, otp)
    assert response.status_code == 302
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": remote_default.persistent_id}
    assert [request["otp"] for request in validation.requests] == [otp]


def test_the_same_otp_works_once_even_from_another_client(client, remote_default, yubikey):
    otp = yubikey.otp()
    post_password(client)
    assert post_token(client, otp).status_code == 302
    other = Client()
    post_password(other)
    response = post_token(other, otp)
    assert current_step(response) == "token" and response.context["wizard"]["form"].errors
    assert otp_status(other)["authenticated"] is False


def test_an_otp_of_another_key_is_refused_without_asking(client, remote_default, validation):
    post_password(client)
    stranger = validation.add(SimulatedKey(public_id=b"\x09\x09\x09\x09\x09\x09"))
    response = post_token(client, stranger.otp())
    assert current_step(response) == "token" and response.context["wizard"]["form"].errors
    assert validation.requests == []


def test_use_your_yubikey_instead_of_the_generator(client, user, remote_default, yubikey):
    remote_default.name = "key"
    remote_default.save()
    TOTPDevice.objects.create(user=user, name="default")
    response = post_password(client)
    assert "Use your YubiKey" in response.content.decode()
    response = client.post(LOGIN, {STEP: "token", "challenge_device": remote_default.persistent_id})
    assert current_step(response) == "token"
    assert response.context["device"] == remote_default
    assert "inputmode" not in response.context["wizard"]["form"].fields["otp_token"].widget.attrs
    assert post_token(client, yubikey.otp()).status_code == 302
    assert otp_status(client)["device"] == remote_default.persistent_id


def test_sign_in_with_a_local_yubikey(client, user):
    device = YubikeyDevice.objects.create(user=user, name="default",
                                          private_id="5dc30490956b",
                                          key="fb362a0853be5e5306d5cc2483f279cb", session=5)
    key = local_key(device)
    post_password(client)
    otp = key.otp()
    assert post_token(client, otp.upper()).status_code == 302  # as typed with caps lock on
    assert otp_status(client)["device"] == device.persistent_id
    other = Client()
    post_password(other)
    assert current_step(post_token(other, otp)) == "token"  # the counter has moved on


def local_key(device):
    """The simulated key that a local ``YubikeyDevice`` is the secret of."""
    from struct import pack

    return SimulatedKey(public_id=pack(">I", device.pk), uid=device.private_id,
                        aes_key=device.key, session=device.session, counter=device.counter + 1)


def test_profile_with_a_yubikey(client, user, remote_default):
    login_verified(client, user, remote_default)
    response = client.get("/account/two_factor/")
    assert response.status_code == 200
    assert "YubiKey" in response.content.decode()
