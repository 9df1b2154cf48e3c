"""Fixtures of the WebAuthn tests: a software authenticator, keys registered for users."""

import os

import pytest
from django.urls import reverse

from two_factor.plugins.webauthn.models import WebauthnDevice

from .authenticator import SoftAuthenticator, b64

LOGIN = reverse("two_factor:login")
SETUP = reverse("two_factor:setup")
REGISTER_OPTIONS = reverse("two_factor:webauthn_register_options")
LOGIN_OPTIONS = reverse("two_factor:webauthn_login_options")
PASSKEY_OPTIONS = reverse("two_factor:webauthn_passkey_options")
PASSKEY_LOGIN = reverse("two_factor:webauthn_passkey_login")
LOGIN_STEP = "login_view-current_step"
SETUP_STEP = "setup_view-current_step"
JSON = {"HTTP_ACCEPT": "application/json"}


def register_key(user, authenticator, name="default", rp_id="testserver", **fields):
    """Store ``authenticator``'s credential for ``user`` as setup would have."""
    authenticator.rp_id = rp_id
    if authenticator.user_handle is None:
        authenticator.user_handle = os.urandom(32)
    values = {"public_key": b64(authenticator.cose_public_key()),
              "key_handle": b64(authenticator.credential_id), "sign_count": authenticator.sign_count,
              "user_handle": b64(authenticator.user_handle), "discoverable": authenticator.resident}
    values.update(fields)
    return WebauthnDevice.objects.create(user=user, name=name, **values)


def fetch_options(client, url, status=200):
    response = client.post(url, **JSON)
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def authenticator():
    return SoftAuthenticator()


@pytest.fixture
def key_device(user, authenticator):
    """alice's security key, her default device."""
    return register_key(user, authenticator)
