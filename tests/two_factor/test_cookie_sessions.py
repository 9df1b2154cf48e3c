"""Sessions that the browser keeps (``signed_cookies``): signed, not encrypted, and a client can
send an old copy again. Neither may give the second factor to whoever kept a copy of a cookie."""

import base64
import json
import zlib
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends import signed_cookies
from django.core.cache import cache
from django.test import Client

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor.flows import login as login_flows
from two_factor.flows.setup import SECRET_SESSION_KEY, get_or_create_secret, get_secret
from two_factor.forms import TOTPDeviceForm
from two_factor.models import Claim
from two_factor.views.utils import get_remember_device_cookie

from .conftest import login_password_only
from .test_login import URL, current_step, otp_status, post_password, post_token
from .test_setup import QR, SETUP, post_step, totp_token

COOKIE = django_settings.SESSION_COOKIE_NAME
REAUTH = "/account/two_factor/reauthenticate/"
BACKUP_TOKENS = "/account/two_factor/backup/tokens/"


@pytest.fixture(autouse=True)
def cookie_sessions(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"


def readable(cookie):
    """What anyone holding a signed_cookies session cookie can read, with no key."""
    data = cookie.rsplit(":", 2)[0]
    compressed, data = data.startswith("."), data.lstrip(".")
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return json.loads(zlib.decompress(raw) if compressed else raw)


# The setup's secret


@pytest.fixture
def at_the_generator(client, user):
    """Signed in with a password, at the setup's generator step: (client, secret, cookie)."""
    login_password_only(client, user)
    client.get(SETUP)
    post_step(client, "welcome")
    return client, get_secret(client.session), client.cookies[COOKIE].value


def test_the_cookie_holds_a_seed_not_the_secret(at_the_generator):
    _client, secret, cookie = at_the_generator
    stored = readable(cookie)[SECRET_SESSION_KEY]
    assert stored.startswith("seed$") and secret not in json.dumps(readable(cookie))
    assert len(secret) == 40 and int(secret, 16) >= 0  # 20 bytes, hex, as the device keeps it


def test_the_first_secret_of_a_cookie_session_is_the_one_it_keeps():
    session = signed_cookies.SessionStore()
    secret = get_or_create_secret(session)
    assert session[SECRET_SESSION_KEY].startswith("seed$")
    assert secret is not None and len(secret) == 40
    assert get_secret(session) == secret == get_or_create_secret(session)
    # Each setup its own random seed, so its own secret.
    assert get_or_create_secret(signed_cookies.SessionStore()) != secret


def test_the_setup_finishes_with_the_derived_secret(at_the_generator, user):
    client, secret, _cookie = at_the_generator
    assert client.get(QR).status_code == 200
    assert post_step(client, "generator", {"token": totp_token(secret)}).status_code == 302
    assert TOTPDevice.objects.get(user=user, name="default").key == secret
    assert otp_status(client)["verified"]


def test_a_setup_finished_by_another_request_still_writes_the_cookie(at_the_generator, user, monkeypatch):
    """A cookie session is never "gone" from a store: the request that found the setup done
    elsewhere sends its cookie, without the secret, as any other."""
    client, secret, _cookie = at_the_generator
    clean_token = TOTPDeviceForm.clean_token

    def the_other_request_finishes_first(form):
        result = clean_token(form)
        TOTPDevice.objects.create(user=user, name="default", key=secret)
        return result

    monkeypatch.setattr(TOTPDeviceForm, "clean_token", the_other_request_finishes_first)
    response = post_step(client, "generator", {"token": totp_token(secret)})
    assert response.status_code == 302
    assert SECRET_SESSION_KEY not in readable(response.cookies[COOKIE].value)


def test_a_cookie_kept_from_the_setup_gets_no_key_and_no_verification(at_the_generator, user):
    client, secret, cookie = at_the_generator
    post_step(client, "generator", {"token": totp_token(secret)})
    device = TOTPDevice.objects.get(user=user, name="default")

    client.cookies[COOKIE] = cookie  # a password-only session of a user who now has a device
    assert client.get(QR).status_code == 404  # the setup is over: the device's key is not drawn
    assert client.get(BACKUP_TOKENS).status_code == 302
    # What the cookie holds is no key of the device: its tokens are refused.
    seed = readable(cookie)[SECRET_SESSION_KEY].removeprefix("seed$")
    for guess in (seed.encode().hex()[:40], (seed.encode().hex() * 2)[:40]):
        client.post(REAUTH, {"device": device.persistent_id, "otp_token": totp_token(guess, 1)})
    assert client.get(BACKUP_TOKENS).status_code == 302


# The sign-in


def test_the_token_step_sent_again_after_the_sign_in_is_refused(client, default_totp,
                                                                  backup_device):
    assert current_step(post_password(client)) == "token"
    token_step = client.cookies[COOKIE].value
    assert post_token(client, totp_now(default_totp)).status_code == 302
    assert client.post("/account/two_factor/logout-everywhere/").status_code == 302

    client.cookies[COOKIE] = token_step  # within the sign-in's timeout, without the password
    response = post_token(client, "backup01", step="backup")
    assert current_step(response) == "auth"
    assert "please start again" in response.content.decode()
    assert not otp_status(client)["authenticated"]
    assert backup_device.token_set.filter(token="backup01").exists()  # not even used up
    client.cookies[COOKIE] = token_step
    assert current_step(client.post(URL, {"wizard_goto_step": "backup"})) == "auth"


@pytest.mark.parametrize("cache_backend", ["locmem", "dummy"])
def test_the_finished_sign_in_is_remembered_by_the_database_not_the_cache(
        client, default_totp, backup_device, settings, cache_backend):
    """The claim of a finished sign-in outlives anything the cache does: cleared (an eviction,
    which anyone can cause by filling it, or a restart), or a ``DummyCache``."""
    if cache_backend == "dummy":
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    assert current_step(post_password(client)) == "token"
    token_step = client.cookies[COOKIE].value
    assert post_token(client, totp_now(default_totp)).status_code == 302
    assert client.post("/account/two_factor/logout-everywhere/").status_code == 302
    cache.clear()

    thief = Client()
    thief.cookies[COOKIE] = token_step
    assert current_step(thief.post(URL, {"wizard_goto_step": "backup"})) == "auth"
    thief.cookies[COOKIE] = token_step
    response = post_token(thief, "backup01", step="backup")
    assert current_step(response) == "auth" and not otp_status(thief)["authenticated"]
    assert backup_device.token_set.filter(token="backup01").exists()


def test_a_sign_in_in_progress_goes_on_as_usual(client, default_totp, backup_device):
    assert current_step(post_password(client)) == "token"
    assert current_step(client.post(URL, {"wizard_goto_step": "backup"})) == "backup"
    assert current_step(client.post(URL, {"wizard_goto_step": "token"})) == "token"
    assert post_token(client, totp_now(default_totp)).status_code == 302
    assert otp_status(client)["verified"]


def test_each_sign_in_is_an_attempt_of_its_own(client, default_totp, backup_device):
    """Two browsers at the token step at once: the one that finishes first does not end the
    other's sign-in (each names its own attempt)."""
    other = Client()
    assert current_step(post_password(client)) == "token"
    assert current_step(post_password(other)) == "token"
    assert post_token(client, totp_now(default_totp)).status_code == 302
    other.post(URL, {"wizard_goto_step": "backup"})
    assert post_token(other, "backup01", step="backup").status_code == 302
    assert otp_status(other)["verified"]


def test_database_sessions_name_no_attempt(client, default_totp, settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    post_password(client)
    extra = client.session["wizard_login_view"]["extra_data"]
    assert "attempt" not in extra


# The sign-in's own checks (flows.login), at their edges


@pytest.mark.django_db
def test_with_no_sign_in_timeout_the_claim_lasts_the_session_cookie_age(settings):
    settings.TWO_FACTOR_LOGIN_TIMEOUT = 0
    settings.SESSION_COOKIE_AGE = 1000
    assert login_flows.finish_attempt({"attempt": "x"}) is True
    assert login_flows.finish_attempt({"attempt": "x"}) is False
    (claim,) = Claim.objects.all()
    assert claim.expires_at - claim.claimed_at == 1000


@pytest.mark.parametrize("started", [None, "123", True])
def test_a_sign_in_without_a_valid_start_time_has_timed_out(user, started):
    state = {"auth_hash": user.get_session_auth_hash()}
    assert login_flows.cancel_reason(state, user, started) == "timeout"


def test_a_stale_remember_cookie_of_a_device_that_counts_no_failures(user):
    """A device of another app without ``throttle_increment``: refused, nothing raised."""
    device = SimpleNamespace(persistent_id="thirdparty.device/1")
    cookie = get_remember_device_cookie(user, device.persistent_id)
    user.password = "changed since"  # the user's HMAC no longer matches
    assert login_flows._cookie_verdict(cookie, user, device) is False
