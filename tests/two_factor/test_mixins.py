"""``OTPRequiredMixin``: each attribute and hook of the class reference, through the client."""

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client
from django.urls import reverse

from two_factor.views.mixins import OTPRequiredMixin

from .conftest import age_session, login_password_only, login_verified

pytestmark = pytest.mark.urls("tests.two_factor.urls_mixins")

LOGIN = "/account/login/"  # two_factor:login, the default of login_url (not LOGIN_URL)


def test_documented_defaults():
    assert OTPRequiredMixin.raise_anonymous is False
    assert OTPRequiredMixin.login_url is None
    assert OTPRequiredMixin.redirect_field_name == "next"
    assert OTPRequiredMixin.raise_unverified is False
    assert OTPRequiredMixin.verification_url is None


@pytest.fixture
def unverified_client(client, user):
    login_password_only(client, user)
    return client


# Anonymous users ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path, expected", [
    ("/protected/", f"{LOGIN}?next=/protected/"),
    ("/custom-login-url/", "/custom-login/?next=/custom-login-url/"),
    ("/named-login-url/", "/custom-login/?next=/named-login-url/"),
    ("/custom-field/", f"{LOGIN}?goto=/custom-field/"),
    ("/overridden/", "/from-get-login-url/?next=/overridden/"),
    ("/raise-unverified/", f"{LOGIN}?next=/raise-unverified/"),
    ("/verification-url/", f"{LOGIN}?next=/verification-url/"),
])
def test_anonymous_users_are_sent_to_login(client, path, expected):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == expected


@pytest.mark.django_db
def test_raise_anonymous(client):
    response = client.get("/raise-anonymous/")
    assert response.status_code == 403
    assert b"protected" not in response.content


# Signed in with the password only -----------------------------------------------------------


def test_unverified_user_without_device_gets_the_explanation(unverified_client):
    response = unverified_client.get("/protected/")
    assert response.status_code == 403
    assert [t.name for t in response.templates][0] == "two_factor/core/otp_required.html"
    page = response.content.decode()
    assert 'href="/account/two_factor/setup/?next=%2Fprotected%2F"' in page
    assert LOGIN not in page


def test_the_setup_link_comes_back_to_the_page(unverified_client, user):
    """Setting up from the explanation ends with the way on to the page that sent the user."""
    from two_factor.views.setup import SETUP_NEXT_SESSION_KEY

    page = unverified_client.get("/protected/?tab=2").content.decode()
    assert 'href="/account/two_factor/setup/?next=%2Fprotected%2F%3Ftab%3D2"' in page
    unverified_client.get("/account/two_factor/setup/?next=%2Fprotected%2F%3Ftab%3D2")
    assert unverified_client.session[SETUP_NEXT_SESSION_KEY] == "/protected/?tab=2"


def test_the_setup_link_says_next_whatever_the_views_field(unverified_client):
    """The setup page reads ``next``: a view's own ``redirect_field_name`` is for its login."""
    page = unverified_client.get("/custom-field/").content.decode()
    assert 'href="/account/two_factor/setup/?next=%2Fcustom-field%2F"' in page


def test_the_explanation_is_permission_denied_with_a_setup_button(unverified_client):
    page = unverified_client.get("/protected/").content.decode()
    assert "<h1>Permission Denied</h1>" in page
    assert ">Enable Two-Factor Authentication</a>" in page


@pytest.mark.parametrize("path, expected", [
    ("/protected/", f"{LOGIN}?next=/protected/"),
    ("/custom-login-url/", "/custom-login/?next=/custom-login-url/"),
    ("/custom-field/", f"{LOGIN}?goto=/custom-field/"),
    ("/overridden/", "/from-get-login-url/?next=/overridden/"),
    ("/raise-unverified/", f"{LOGIN}?next=/raise-unverified/"),
    ("/verification-url/", f"{LOGIN}?next=/verification-url/"),
])
def test_unverified_user_with_default_device_is_sent_to_login(client, user_with_totp, path, expected):
    """Such a user signs in with the device: the login URL, as for anonymous users."""
    login_password_only(client, user_with_totp)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == expected


def test_unverified_user_with_default_device_and_raise_anonymous(client, user_with_totp):
    login_password_only(client, user_with_totp)
    response = client.get("/raise-anonymous/")
    assert response.status_code == 403
    assert "two_factor/core/otp_required.html" not in [t.name for t in response.templates]


def test_unverified_user_with_a_non_default_device_gets_the_explanation(client, user, backup_device):
    login_password_only(client, user)
    response = client.get("/protected/")
    assert response.status_code == 403
    assert response.templates[0].name == "two_factor/core/otp_required.html"


@pytest.mark.django_db
def test_login_url_defaults_to_the_sign_in_not_the_login_url_setting(client, settings):
    """The class reference: ``login_url`` "defaults to two_factor:login"."""
    settings.LOGIN_URL = "/custom-login/"
    assert reverse("two_factor:login") == LOGIN
    assert client.get("/protected/").url == f"{LOGIN}?next=/protected/"
    assert OTPRequiredMixin().get_login_url() == LOGIN


def test_raise_unverified(unverified_client):
    response = unverified_client.get("/raise-unverified/")
    assert response.status_code == 403
    assert "two_factor/core/otp_required.html" not in [t.name for t in response.templates]


def test_verification_url(unverified_client):
    response = unverified_client.get("/verification-url/")
    assert response.status_code == 302
    assert response.url == "/custom-verify/?next=/verification-url/"


def test_get_verification_url_is_the_hook(unverified_client):
    response = unverified_client.get("/overridden/")
    assert response.status_code == 302
    assert response.url == "/from-get-verification-url/?next=/overridden/"


def test_the_raise_flags_do_not_mix_up(unverified_client):
    assert unverified_client.get("/raise-anonymous/").status_code == 403  # the explanation
    assert unverified_client.get("/raise-anonymous/").templates[0].name == "two_factor/core/otp_required.html"


# Verified -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/protected/", "/raise-anonymous/", "/raise-unverified/",
                                  "/verification-url/", "/overridden/", "/custom-field/"])
def test_verified_users_pass(verified_client, path):
    response = verified_client.get(path)
    assert response.status_code == 200
    assert response.content == b"protected"


# Async class-based views: the checks read the database, so they run in a thread


@pytest.mark.parametrize("make_client", [Client, AsyncClient])
def test_async_views_are_checked_like_sync_ones(make_client, user_with_totp, default_totp,
                                                settings):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = 300

    def get(client, url):
        return async_to_sync(client.get)(url) if isinstance(client, AsyncClient) else client.get(url)

    client = make_client()
    assert get(client, "/async-protected/").url == f"{LOGIN}?next=/async-protected/"
    login_password_only(client, user_with_totp)  # a device, not verified with it
    assert get(client, "/async-protected/").url == f"{LOGIN}?next=/async-protected/"
    login_verified(client, user_with_totp, default_totp)
    assert get(client, "/async-protected/").content == b"protected"
    age_session(client)  # verified long ago: the sensitive view asks again
    assert get(client, "/async-sensitive/").url.startswith(reverse("two_factor:reauthenticate"))
    age_session(client, 0)
    assert get(client, "/async-sensitive/").content == b"sensitive"


def test_an_async_view_explains_itself_to_a_user_without_a_device(unverified_client):
    response = unverified_client.get("/async-protected/")
    assert response.status_code == 403
    assert "Enable Two-Factor Authentication" in response.content.decode()
