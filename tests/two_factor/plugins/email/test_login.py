"""Signing in with an email device: the mail, single use, expiry, the send cooldown, masking."""

import json
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.test_utils import frozen_now

from ...conftest import PASSWORD, login_verified
from .conftest import ADDRESS, MASKED, mailed

LOGIN = "/account/login/"
STEP = "login_view-current_step"


def post_password(client):
    return client.post(LOGIN, {STEP: "auth", "auth-username": "alice", "auth-password": PASSWORD})


def post_token(client, token):
    return client.post(LOGIN, {STEP: "token", "token-otp_token": token})


def choose(client, device):
    return client.post(LOGIN, {STEP: "token", "challenge_device": device.persistent_id})


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


def test_sign_in_with_the_default_email_device(client, email_default):
    response = post_password(client)
    assert current_step(response) == "token"
    [(recipient, token)] = mailed()  # sent once, when the password was right
    assert recipient == ADDRESS
    page = response.content.decode()
    assert MASKED in page and ADDRESS not in page and token not in page
    assert MASKED in response.context["verbose_action"]

    response = post_token(client, token)
    assert response.status_code == 302
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": email_default.persistent_id}
    assert len(mailed()) == 1


def test_the_token_works_once_even_from_another_client(client, email_default):
    post_password(client)
    [(_recipient, token)] = mailed()
    assert post_token(client, token).status_code == 302

    other = Client()
    response = post_password(other)
    assert current_step(response) == "token"
    assert len(mailed()) == 2  # the spent token ended the cooldown: a fresh one was sent
    response = post_token(other, token)
    assert current_step(response) == "token"
    assert response.context["wizard"]["form"].errors
    assert otp_status(other)["authenticated"] is False


def test_a_wrong_token_is_refused_and_counted(client, email_default):
    post_password(client)
    [(_recipient, token)] = mailed()
    response = post_token(client, "000000" if token != "000000" else "111111")
    assert current_step(response) == "token"
    email_default.refresh_from_db()
    assert email_default.throttling_failure_count == 1
    assert otp_status(client)["authenticated"] is False


@pytest.mark.parametrize(("seconds", "accepted"), [(59, True), (61, False)])
def test_a_token_is_valid_for_the_configured_time(client, email_default, settings, seconds,
                                                  accepted):
    settings.OTP_EMAIL_TOKEN_VALIDITY = 60
    post_password(client)
    [(_recipient, token)] = mailed()
    with frozen_now(timezone.now() + timedelta(seconds=seconds)):
        response = post_token(client, token)
    assert (response.status_code == 302) is accepted
    assert otp_status(client)["verified"] is accepted


def test_the_token_step_says_once_where_the_mail_went(client, email_default, settings):
    """The instructions name the address; django-otp's "sent by email" is not put above them,
    neither after the password nor when the user asks for another mail."""
    settings.OTP_EMAIL_COOLDOWN_DURATION = 0
    for response in (post_password(client), choose(client, email_default)):
        page = response.content.decode()
        assert f"We sent you an email at {MASKED}" in page
        assert "sent by email" not in page and 'class="notice"' not in page
    assert len(mailed()) == 2


def test_sending_again_within_the_cooldown_sends_nothing_and_says_when(client, email_default,
                                                                       settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    post_password(client)
    [(_recipient, first)] = mailed()
    response = choose(client, email_default)  # "send me a token" again
    assert current_step(response) == "token"
    assert len(mailed()) == 1
    next_at = timezone.localtime(EmailDevice.objects.get().next_generation_at())
    assert f"You can ask for a new one at {next_at:%H:%M:%S}" in response.content.decode()

    with frozen_now(timezone.now() + timedelta(seconds=61)):
        response = choose(client, email_default)
    assert current_step(response) == "token"
    [_first, (_recipient, second)] = mailed()
    assert post_token(client, second).status_code == 302
    assert otp_status(client)["verified"] is True


def test_use_another_device_sends_the_mail(client, user, email_default):
    """A generator as default device; the email device is offered instead, masked."""
    email_default.name = "email"
    email_default.save()
    TOTPDevice.objects.create(user=user, name="default")
    response = post_password(client)
    assert current_step(response) == "token"
    assert mailed() == []  # the generator needs no mail
    page = response.content.decode()
    assert f"Send email to {MASKED}" in page and ADDRESS not in page
    assert f'value="{email_default.persistent_id}"' in page

    response = choose(client, email_default)
    assert current_step(response) == "token"
    [(recipient, token)] = mailed()
    assert recipient == ADDRESS and ADDRESS not in response.content.decode()
    assert response.context["device"] == email_default
    assert post_token(client, token).status_code == 302
    assert otp_status(client)["device"] == email_default.persistent_id


def test_a_device_with_its_own_address(client, user):
    device = EmailDevice.objects.create(user=user, name="default", email="al.ice@corp.example")
    response = post_password(client)
    [(recipient, token)] = mailed()
    assert recipient == "al.ice@corp.example"
    page = response.content.decode()
    assert "a****e@corp.example" in page and "al.ice@corp.example" not in page
    assert post_token(client, token).status_code == 302
    assert otp_status(client)["device"] == device.persistent_id


def test_a_mail_that_cannot_be_sent_is_a_message_not_an_error(client, email_default):
    # Patched where it is called: Django 6.1's MAILERS ignores an EMAIL_BACKEND override.
    with mock.patch("django_otp.plugins.otp_email.models.send_mail",
                    side_effect=OSError("the mail server is down")):
        response = post_password(client)
    assert current_step(response) == "token"
    assert "could not be sent" in response.content.decode()
    assert "We sent you an email" not in response.content.decode()
    email_default.refresh_from_db()
    assert email_default.last_generated_timestamp is None  # may ask again at once


def test_profile_shows_the_address_masked(client, user, email_default):
    login_verified(client, user, email_default)
    response = client.get("/account/two_factor/")
    assert response.status_code == 200
    page = response.content.decode()
    assert MASKED in page and ADDRESS not in page
