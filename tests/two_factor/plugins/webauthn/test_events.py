"""Security events of the passkey sign-in and of adding a key, as the audit log records them."""

import pytest
from django.urls import reverse

from tests.two_factor.conftest import login_verified
from two_factor import events
from two_factor.models import SecurityEvent
from two_factor.plugins.webauthn.models import WebauthnDevice

from ...conftest import BROWSER_IP as IP
from .authenticator import SoftAuthenticator
from .conftest import JSON, PASSKEY_LOGIN, PASSKEY_OPTIONS, REGISTER_OPTIONS, fetch_options


@pytest.fixture(autouse=True)
def audit_on(settings):
    settings.TWO_FACTOR_AUDIT_LOG = True



def logged():
    return [(row.event, row.device_id, row.ip) for row in SecurityEvent.objects.order_by("id")]


def passkey_sign_in(client, response, status):
    assert client.post(PASSKEY_LOGIN, {"credential": response}, **JSON).status_code == status


def test_a_passkey_sign_in_is_verified(browser, user, authenticator, key_device):
    passkey_sign_in(browser, authenticator.get(fetch_options(browser, PASSKEY_OPTIONS)), 200)
    assert logged() == [(events.VERIFIED, key_device.persistent_id, IP)]


def test_a_throttled_passkey_is_logged_one_that_does_not_verify_is_not(browser, user,
                                                                      authenticator, key_device):
    # An assertion that does not verify proves nothing about the account: no row in its log.
    passkey_sign_in(browser, authenticator.get(fetch_options(browser, PASSKEY_OPTIONS), uv=False), 403)
    assert logged() == []
    key_device.throttle_increment()
    passkey_sign_in(browser, authenticator.get(fetch_options(browser, PASSKEY_OPTIONS)), 429)
    assert logged() == [(events.THROTTLED, key_device.persistent_id, IP)]
    assert SecurityEvent.objects.first().extra == {"passkey": True}


def test_an_unknown_passkey_is_no_row(browser, user):
    stranger = SoftAuthenticator()
    stranger.user_handle = b"x" * 32
    stranger.rp_id = "testserver"
    passkey_sign_in(browser, stranger.get(fetch_options(browser, PASSKEY_OPTIONS)), 400)
    assert logged() == []


def test_adding_a_key_is_device_added(browser, user, key_device):
    login_verified(browser, user, key_device)
    options = fetch_options(browser, REGISTER_OPTIONS)
    done = browser.post(reverse("two_factor:webauthn_add"),
                        {"name": "Laptop", "credential": SoftAuthenticator().create(options)})
    assert done.status_code == 302
    added = WebauthnDevice.objects.get(name="Laptop")
    assert [(row.event, row.device_id, row.device_name) for row in SecurityEvent.objects.all()] == [
        (events.DEVICE_ADDED, added.persistent_id, "Laptop")]
