"""``django_otp.views.LoginView`` through the test client (wired at ``/otp/login/``)."""

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.forms import OTPAuthenticationForm, OTPTokenForm

from ..conftest import hotp_at, totp_now

LOGIN = "/otp/login/"
STATUS = "/otp/status/"


def status(client):
    return client.get(STATUS).json()


def sign_in(client, **data):
    return client.post(LOGIN, {"username": "alice", "password": "secret-password", **data})


def test_anonymous_gets_the_full_form(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    form = response.context["form"]
    assert isinstance(form, OTPAuthenticationForm)
    assert {"username", "password", "otp_device", "otp_token"} <= set(form.fields)


def test_password_and_token_in_one_post(client, user, totp_device):
    response = sign_in(client, otp_device=totp_device.persistent_id, otp_token=totp_now(totp_device),
                       next="/otp/status/")
    assert response.status_code == 302
    assert response["Location"] == "/otp/status/"
    assert client.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert status(client) == {"authenticated": True, "verified": True, "device": totp_device.persistent_id}


def test_token_matched_without_choosing_a_device(client, user, hotp_device):
    assert sign_in(client, otp_token=hotp_at(hotp_device)).status_code == 302
    assert status(client)["device"] == hotp_device.persistent_id


def test_password_without_token_does_not_sign_in(client, user, totp_device):
    response = sign_in(client)
    assert response.status_code == 200
    assert "token_required" in {e.code for e in response.context["form"].non_field_errors().as_data()}
    assert status(client)["authenticated"] is False


def test_wrong_token_does_not_sign_in(client, user, totp_device):
    response = sign_in(client, otp_device=totp_device.persistent_id, otp_token="000000x")
    assert response.status_code == 200
    assert response.context["form"].errors
    assert status(client)["authenticated"] is False


def test_wrong_password_does_not_sign_in(client, user, totp_device):
    response = sign_in(client, password="nope", otp_token=totp_now(totp_device))
    assert response.status_code == 200
    assert status(client)["authenticated"] is False


def test_email_challenge_through_the_view(client, user, email_device):
    response = sign_in(client, otp_device=email_device.persistent_id, otp_challenge="1")
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    email_device.refresh_from_db()
    response = sign_in(client, otp_device=email_device.persistent_id, otp_token=email_device.token)
    assert response.status_code == 302
    assert status(client)["device"] == email_device.persistent_id


def test_signed_in_unverified_user_sees_only_the_token_form(client, user, totp_device):
    client.force_login(user)
    response = client.get(LOGIN)
    assert response.status_code == 200
    form = response.context["form"]
    assert isinstance(form, OTPTokenForm)
    assert "username" not in form.fields
    assert "password" not in form.fields
    assert list(form.fields["otp_device"].choices) == [(totp_device.persistent_id, "default")]


def test_signed_in_unverified_user_gets_verified(client, user, totp_device):
    client.force_login(user)
    password_only_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(LOGIN, {"otp_device": totp_device.persistent_id, "otp_token": totp_now(totp_device)})
    assert response.status_code == 302
    assert status(client) == {"authenticated": True, "verified": True, "device": totp_device.persistent_id}
    # A key planted or copied before the token is not the verified session (auth.login keeps it).
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != password_only_key
    assert not Session.objects.filter(session_key=password_only_key).exists()


def test_signed_in_unverified_user_wrong_token(client, user, totp_device):
    client.force_login(user)
    response = client.post(LOGIN, {"otp_device": totp_device.persistent_id, "otp_token": "123"})
    assert response.status_code == 200
    assert isinstance(response.context["form"], OTPTokenForm)
    assert status(client) == {"authenticated": True, "verified": False, "device": None}


def test_hostile_posts_are_form_errors(client, user, totp_device):
    for data in ({}, {"otp_device": "x" * 1000}, {"otp_device": "auth.user/1", "otp_token": "1" * 1000},
                 {"username": "\x00", "password": "\x00", "otp_token": "\x00"}):
        assert client.post(LOGIN, data).status_code == 200
    client.force_login(user)
    for data in ({}, {"otp_device": "x" * 1000}, {"otp_device": "otp_totp.totpdevice/1/2", "otp_token": "٣"}):
        assert client.post(LOGIN, data).status_code == 200


TWO_BACKENDS = ["django.contrib.auth.backends.ModelBackend",
                "django.contrib.auth.backends.AllowAllUsersModelBackend"]


def test_signed_in_unverified_user_gets_verified_with_several_backends(client, user, totp_device,
                                                                       settings):
    # auth.login() needs user.backend when the site has more than one backend; the user of the
    # token form comes from the session, so it must get the backend the session recorded.
    settings.AUTHENTICATION_BACKENDS = TWO_BACKENDS
    client.force_login(user, backend=TWO_BACKENDS[1])
    response = client.post(LOGIN, {"otp_device": totp_device.persistent_id,
                                   "otp_token": totp_now(totp_device)})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == TWO_BACKENDS[1]
    assert status(client) == {"authenticated": True, "verified": True,
                              "device": totp_device.persistent_id}


def test_password_and_token_with_several_backends(client, user, totp_device, settings):
    settings.AUTHENTICATION_BACKENDS = TWO_BACKENDS
    response = sign_in(client, otp_device=totp_device.persistent_id, otp_token=totp_now(totp_device))
    assert response.status_code == 302
    assert status(client)["verified"] is True
