"""Disabling two-factor authentication: every device goes, from a verified session only."""

import pytest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from django_otp import DEVICE_ID_SESSION_KEY, device_classes
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.flows.devices import remove_all_devices

from .conftest import login_password_only, login_verified

URL = "/account/two_factor/disable/"
PROFILE = "/account/two_factor/"
HOME = "/"  # settings.LOGIN_REDIRECT_URL of the tests: where a successful disable goes


def device_count(user=None):
    return sum(model.objects.filter(**({"user": user} if user else {})).count()
               for model in device_classes())


@pytest.fixture
def every_device(user_with_totp, backup_device):
    """alice's TOTP default device, backup tokens, an email and an unconfirmed HOTP device."""
    EmailDevice.objects.create(user=user_with_totp, name="email")
    HOTPDevice.objects.create(user=user_with_totp, name="hotp", confirmed=False)
    assert device_count(user_with_totp) == 4
    return user_with_totp


def test_url():
    assert reverse("two_factor:disable") == URL


def test_anonymous_is_sent_to_login(client, db, settings):
    settings.LOGIN_URL = "/custom-login/"  # OTP_LOGIN_URL defaults to it, as otp_required does
    response = client.post(URL, {"understand": "on"})
    assert response.status_code == 302
    assert response.url == f"/custom-login/?next={URL}"
    settings.OTP_LOGIN_URL = "two_factor:login"
    assert client.get(URL).url == f"{reverse('two_factor:login')}?next={URL}"


def test_password_only_session_is_sent_to_otp_login(client, every_device, settings):
    """As django-two-factor-auth's DisableView: to OTP_LOGIN_URL with no next."""
    settings.OTP_LOGIN_URL = "/otp-login/"
    login_password_only(client, every_device)
    for response in (client.get(URL), client.post(URL, {"understand": "on"})):
        assert response.status_code == 302
        assert response.url == "/otp-login/"
    assert device_count(every_device) == 4


def test_password_only_session_without_device_is_sent_to_otp_login(client, user):
    login_password_only(client, user)
    response = client.get(URL)
    assert response.status_code == 302 and response.url == "/login/"


def test_password_only_session_goes_to_a_success_url_when_set(client, every_device, monkeypatch):
    """The old view used its ``success_url`` as the login URL of an unverified session."""
    from two_factor.views.profile import DisableView

    monkeypatch.setattr(DisableView, "success_url", "two_factor:profile")
    login_password_only(client, every_device)
    assert client.get(URL).url == "/account/two_factor/"


def test_anonymous_is_sent_to_the_sign_in_with_next(client, db, settings):
    response = client.get(URL)
    assert response.status_code == 302 and response.url == f"{resolve_url(settings.LOGIN_URL)}?next={URL}"


def test_the_box_must_be_ticked(verified_client, every_device):
    response = verified_client.get(URL)
    assert response.status_code == 200
    assert 'name="understand"' in response.content.decode()
    response = verified_client.post(URL, {})
    assert response.status_code == 200
    assert response.context["form"].errors["understand"]
    assert device_count(every_device) == 4
    assert DEVICE_ID_SESSION_KEY in verified_client.session


def test_confirmation_removes_every_device(verified_client, every_device, other_user):
    theirs = TOTPDevice.objects.create(user=other_user, name="default")
    response = verified_client.post(URL, {"understand": "on"})
    assert response.status_code == 302
    assert response.url == HOME
    assert device_count(every_device) == 0
    assert not StaticToken.objects.filter(device__user=every_device).exists()
    assert DEVICE_ID_SESSION_KEY not in verified_client.session
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()
    # Still signed in, no longer verified: the profile offers setup again.
    profile = verified_client.get(PROFILE)
    assert profile.context["default_device"] is None
    assert verified_client.get(URL).status_code == 302  # to the sign-in


def test_success_goes_to_login_redirect_url_or_success_url(client, user, settings, monkeypatch):
    from two_factor.views import DisableView

    def disable():
        login_verified(client, user, TOTPDevice.objects.create(user=user, name="default"))
        return client.post(URL, {"understand": "on"}).url

    assert DisableView.success_url is None
    settings.LOGIN_REDIRECT_URL = "two_factor:profile"  # a URL name
    assert disable() == PROFILE
    monkeypatch.setattr(DisableView, "success_url", "/after-disable/")
    assert disable() == "/after-disable/"


@pytest.mark.parametrize("target", ["/otp/status/", "/account/two_factor/backup/tokens/?a=1"])
def test_a_safe_next_is_followed(verified_client, target):
    response = verified_client.get(URL, {"next": target})
    assert f'value="{target}"'.replace("&", "&amp;") in response.content.decode()
    response = verified_client.post(f"{URL}?{urlencode({'next': target})}", {"understand": "on"})
    assert response.url == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_an_external_next_is_refused(verified_client, target):
    response = verified_client.post(URL, {"understand": "on", "next": target})
    assert response.status_code == 302
    assert response.url == HOME
    assert target not in verified_client.get(f"{URL}?next={target}").content.decode()


def test_remove_all_devices_counts_and_spares_others(every_device, other_user):
    StaticDevice.objects.create(user=other_user, name="backup")
    assert remove_all_devices(every_device) == 4
    assert device_count(every_device) == 0
    assert device_count(other_user) == 1
    assert remove_all_devices(every_device) == 0
