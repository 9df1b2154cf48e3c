"""``otp_required``: with and without arguments, redirects, ``if_configured``."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, override_settings

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.decorators import otp_required

PLAIN = "/otp/required/"
CALLED = "/otp/required-called/"
IF_CONFIGURED = "/otp/required-if-configured/"
CUSTOM = "/otp/required-custom/"


def verify(client, device):
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.mark.parametrize("url", [PLAIN, CALLED, IF_CONFIGURED])
def test_anonymous_is_redirected_to_login_url(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("url", [PLAIN, CALLED])
def test_unverified_user_is_redirected(client, user, totp_device, url):
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={url}"


@pytest.mark.parametrize("url", [PLAIN, CALLED, IF_CONFIGURED])
def test_verified_user_passes(client, user, totp_device, url):
    client.force_login(user)
    verify(client, totp_device)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"protected"


def test_otp_login_url_setting(client, user, settings):
    client.force_login(user)
    settings.OTP_LOGIN_URL = "/otp/login/"
    assert client.get(PLAIN)["Location"] == f"/otp/login/?next={PLAIN}"
    with override_settings(OTP_LOGIN_URL="/elsewhere/"):
        assert client.get(CALLED)["Location"] == f"/elsewhere/?next={CALLED}"


@override_settings(LOGIN_URL="/accounts/sign-in/")
def test_login_url_is_read_at_request_time(client, db):
    assert client.get(PLAIN)["Location"] == f"/accounts/sign-in/?next={PLAIN}"


@override_settings(OTP_LOGIN_URL="otp-login")
def test_otp_login_url_may_be_a_url_name(client, db):
    assert client.get(PLAIN)["Location"] == f"/otp/login/?next={PLAIN}"


def test_explicit_login_url_and_redirect_field(client, db):
    assert client.get(CUSTOM)["Location"] == f"/custom/?goto={CUSTOM}"


def test_if_configured_lets_a_user_without_devices_in(client, user):
    client.force_login(user)
    assert client.get(IF_CONFIGURED).status_code == 200
    assert client.get(PLAIN).status_code == 302


def test_if_configured_unconfirmed_device_does_not_count(client, user, totp_device):
    totp_device.confirmed = False
    totp_device.save()
    client.force_login(user)
    assert client.get(IF_CONFIGURED).status_code == 200


def test_if_configured_still_requires_verification_once_configured(client, user, totp_device):
    client.force_login(user)
    response = client.get(IF_CONFIGURED)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={IF_CONFIGURED}"


def test_unconfirmed_device_in_the_session_does_not_pass(client, user, totp_device):
    client.force_login(user)
    verify(client, totp_device)
    totp_device.confirmed = False
    totp_device.save()
    assert client.get(PLAIN).status_code == 302


def test_decorator_keeps_the_view_name():
    def my_view(request):
        """Docs."""

    assert otp_required(my_view).__name__ == "my_view"
    assert otp_required(if_configured=True)(my_view).__doc__ == "Docs."


def test_async_view(client, user, totp_device):
    url = "/otp/async-required/"
    async_client = AsyncClient()
    get = async_to_sync(async_client.get)
    assert get(url)["Location"] == f"/login/?next={url}"
    client.force_login(user)
    async_client.cookies = client.cookies
    assert get(url).status_code == 302
    verify(client, totp_device)
    response = get(url)
    assert response.status_code == 200
    assert response.content == b"protected"
