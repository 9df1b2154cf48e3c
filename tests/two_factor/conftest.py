"""Fixtures for the two_factor tests: users with devices, and clients signed in as them."""

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.registry import registry

PASSWORD = "secret-password"

#: Plugin methods that are on as soon as their app is installed (no gateway setting needed).
ALWAYS_ON_PLUGIN_METHODS = ("email", "yubikey", "webauthn")


@pytest.fixture(autouse=True)
def core_methods_only(request, monkeypatch):
    """Outside ``tests/two_factor/plugins/`` the tests see the site without the plugin methods
    that need no setting: the generator is the only method, as the core tests expect."""
    if "plugins" in request.node.path.relative_to(request.config.rootpath).parts:
        return
    kept = [method for method in registry._methods if method.code not in ALWAYS_ON_PLUGIN_METHODS]
    monkeypatch.setattr(registry, "_methods", kept)


@pytest.fixture
def user_with_totp(user):
    """``user`` (alice) with an authenticator app as default device."""
    TOTPDevice.objects.create(user=user, name="default")
    return user


@pytest.fixture
def default_totp(user_with_totp):
    return TOTPDevice.objects.get(user=user_with_totp, name="default")


@pytest.fixture
def backup_device(user):
    """Three backup tokens for ``user``, in the StaticDevice named ``backup``."""
    device = StaticDevice.objects.create(user=user, name="backup")
    for token in ("backup01", "backup02", "backup03"):
        device.token_set.create(token=token)
    return device


def login_password_only(client: Client, user) -> None:
    """Signed in with the password alone: authenticated, not verified."""
    client.force_login(user)


def login_verified(client: Client, user, device) -> None:
    """Signed in and verified by ``device``, as after a full two-factor sign-in."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    # The key is the data itself with signed-cookie sessions: the browser gets the new one.
    client.cookies[django_settings.SESSION_COOKIE_NAME] = session.session_key


def age_session(client: Client, seconds: int = 301) -> None:
    """The session proved its user ``seconds`` ago (``TWO_FACTOR_REAUTHENTICATION_AGE``)."""
    from two_factor.flows.reauth import VERIFIED_AT_SESSION_KEY

    session = client.session
    session[VERIFIED_AT_SESSION_KEY] = int(time.time()) - seconds
    session.save()


@pytest.fixture
def verified_client(client, user_with_totp, default_totp):
    login_verified(client, user_with_totp, default_totp)
    return client


# A browser as the audit log and the notifications see it: an address and a user agent.
BROWSER_IP = "203.0.113.7"
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest.fixture
def browser(db):
    """A test client that sends ``BROWSER_IP`` and ``BROWSER_AGENT``, as a browser does."""
    return Client(REMOTE_ADDR=BROWSER_IP, HTTP_USER_AGENT=BROWSER_AGENT)
