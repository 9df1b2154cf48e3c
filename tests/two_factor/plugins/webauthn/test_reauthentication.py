"""Re-authenticating with a security key: the sign-in's key form on the re-authentication page."""


import pytest
from django.urls import reverse

from tests.two_factor.conftest import age_session, login_verified
from two_factor.flows import reauth
from two_factor.plugins.webauthn.forms import WebauthnTokenForm

from .conftest import LOGIN_OPTIONS, fetch_options

REAUTH = reverse("two_factor:reauthenticate")
DISABLE = reverse("two_factor:disable")


@pytest.fixture
def stale_key_client(client, user, key_device, settings):
    """alice, verified with her security key (her default device), long ago."""
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = 300
    login_verified(client, user, key_device)
    age_session(client, 301)
    return client


def test_reauthenticate_with_a_security_key(stale_key_client, key_device, authenticator):
    assert stale_key_client.get(DISABLE).status_code == 302
    page = stale_key_client.get(REAUTH, {"next": DISABLE})
    assert isinstance(page.context["form"], WebauthnTokenForm)
    assert LOGIN_OPTIONS in page.content.decode()

    response = authenticator.get(fetch_options(stale_key_client, LOGIN_OPTIONS))
    done = stale_key_client.post(REAUTH, {"device": key_device.persistent_id,
                                          "otp_token": response, "next": DISABLE})

    assert done.status_code == 302 and done.url == DISABLE
    assert stale_key_client.get(DISABLE).status_code == 200
    key_device.refresh_from_db()
    assert key_device.sign_count == 1


def test_a_replayed_response_is_refused(stale_key_client, key_device, authenticator):
    stale_key_client.get(REAUTH)
    response = authenticator.get(fetch_options(stale_key_client, LOGIN_OPTIONS))
    data = {"device": key_device.persistent_id, "otp_token": response}
    assert stale_key_client.post(REAUTH, data).status_code == 302
    session = stale_key_client.session
    session[reauth.VERIFIED_AT_SESSION_KEY] = 0
    session.save()
    again = stale_key_client.post(REAUTH, data)
    assert again.status_code == 200 and again.context["form"].errors
    assert stale_key_client.get(DISABLE).status_code == 302
