"""Signing in with a passkey alone: no password, from the sign-in page."""

import json

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.test import Client

from two_factor.plugins.webauthn import challenges
from two_factor.signals import user_verified

from .authenticator import SoftAuthenticator, b64
from .conftest import JSON, LOGIN, PASSKEY_LOGIN, PASSKEY_OPTIONS, fetch_options, register_key

pytestmark = pytest.mark.django_db


def sign_in(client, response, status=200, next_url=None, **headers):
    data = {"credential": response}
    if next_url is not None:
        data["next"] = next_url
    result = client.post(PASSKEY_LOGIN, data, **{**JSON, **headers})
    assert result.status_code == status, result.content
    return result


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


@pytest.fixture
def received():
    signals = []

    def receiver(sender, **kwargs):
        signals.append((sender, kwargs))

    user_verified.connect(receiver)
    yield signals
    user_verified.disconnect(receiver)


def test_the_sign_in_page_offers_passkeys(client):
    page = client.get(LOGIN).content.decode()
    assert "Sign in with a passkey" in page
    assert PASSKEY_OPTIONS in page and PASSKEY_LOGIN in page
    assert "two_factor/js/webauthn.js" in page
    assert "data-webauthn-start disabled>" in page  # until the script has run
    page = client.get(LOGIN, {"next": "/after/"}).content.decode()
    assert 'name="next" value="/after/"' in page.split(PASSKEY_LOGIN)[1]  # the passkey form has it


def test_the_passkey_button_is_gone_without_the_method(client, settings):
    settings.TWO_FACTOR_WEBAUTHN_RP_NAME = None
    assert "Sign in with a passkey" not in client.get(LOGIN).content.decode()


def test_passkey_options(client):
    options = fetch_options(client, PASSKEY_OPTIONS)
    assert options["rpId"] == "testserver"
    assert options["allowCredentials"] == []
    assert options["userVerification"] == "required"
    assert options["timeout"] == (challenges.MAX_AGE - 60) * 1000
    assert client.get(PASSKEY_OPTIONS).status_code == 405


def test_sign_in_with_a_passkey(client, user, authenticator, key_device, received):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))

    result = sign_in(client, response, next_url="/after/")

    assert result.json() == {"redirect": "/after/"}
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": key_device.persistent_id}
    assert [(sender, kwargs["user"], kwargs["device"]) for sender, kwargs in received] == \
        [("two_factor.views.core", user, key_device)]
    key_device.refresh_from_db()
    assert key_device.sign_count == 1 and key_device.last_used_at is not None


def test_a_form_post_is_redirected(client, user, authenticator, key_device):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    result = client.post(PASSKEY_LOGIN, {"credential": response})
    assert result.status_code == 302 and result.url == django_settings.LOGIN_REDIRECT_URL


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_an_unsafe_next_is_ignored(client, user, authenticator, key_device, next_url):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    assert sign_in(client, response, next_url=next_url).json() == {"redirect": django_settings.LOGIN_REDIRECT_URL}


def test_the_session_key_changes(client, user, authenticator, key_device):
    client.force_login(user)  # signed in with a password only, in this session
    options = fetch_options(client, PASSKEY_OPTIONS)
    before = client.session.session_key
    sign_in(client, authenticator.get(options))
    assert client.session.session_key != before
    assert otp_status(client)["verified"] is True


def test_a_passkey_works_once(client, user, authenticator, key_device):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    sign_in(client, response)
    client.logout()
    assert sign_in(client, response, status=400).json()["code"] == "no_challenge"
    fetch_options(client, PASSKEY_OPTIONS)
    assert sign_in(client, response, status=403).json()["code"] == "invalid"  # another challenge
    assert client.session.get(SESSION_KEY) is None


def test_user_verification_is_required(client, user, authenticator, key_device):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS), uv=False)
    result = sign_in(client, response, status=403)
    assert result.json()["code"] == "invalid"
    assert client.session.get(SESSION_KEY) is None
    key_device.refresh_from_db()
    # An assertion that does not verify proves nothing, and counts nothing against the key.
    assert key_device.throttling_failure_count == 0


def forged_response(client, victim_key):
    """An assertion that names the victim's credential id and user handle (both travel in the
    clear) but is signed by another key: what anyone who saw them can send."""
    forger = SoftAuthenticator(credential_id=victim_key.credential_id)
    forger.user_handle = victim_key.user_handle
    return forger.get(fetch_options(client, PASSKEY_OPTIONS))


@pytest.mark.parametrize("legacy_row", [False, True], ids=["with-user-handle", "old-row-without"])
def test_a_forged_passkey_does_not_lock_its_owners_key(client, user, legacy_row):
    """Without the password and without a valid signature, nobody can get a user's key
    throttled: the owner signs in with it right after (an old row has no user handle, so the
    credential id alone names it)."""
    owner_key = SoftAuthenticator()
    device = register_key(user, owner_key, **({"user_handle": None} if legacy_row else {}))
    for _ in range(3):
        assert sign_in(client, forged_response(client, owner_key), status=403).json()["code"] == "invalid"
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
    owner = Client()
    sign_in(owner, owner_key.get(fetch_options(owner, PASSKEY_OPTIONS)))
    assert owner.session.get(SESSION_KEY) == str(user.pk)


@pytest.mark.parametrize("state", ["inactive", "throttled"])
def test_a_forged_passkey_learns_nothing_of_the_account(client, user, state):
    owner_key = SoftAuthenticator()
    device = register_key(user, owner_key)
    if state == "inactive":
        user.is_active = False
        user.save()
    else:
        device.throttle_increment()
    assert sign_in(client, forged_response(client, owner_key), status=403).json()["code"] == "invalid"


def test_missing_challenge(client, user, authenticator, key_device):
    options = fetch_options(client, PASSKEY_OPTIONS)
    other = Client()
    assert sign_in(other, authenticator.get(options), status=400).json()["code"] == "no_challenge"
    session = client.session
    del session[challenges.SESSION_KEY]
    session.save()
    result = sign_in(client, authenticator.get(options), status=400)
    assert "expired or was already used" in result.json()["error"]


def test_a_login_challenge_is_not_a_passkey_challenge(client, user, authenticator, key_device):
    options = fetch_options(client, PASSKEY_OPTIONS)
    session = client.session
    session[challenges.SESSION_KEY] = {"login": session[challenges.SESSION_KEY]["passkey"]}
    session.save()
    assert sign_in(client, authenticator.get(options), status=400).json()["code"] == "no_challenge"


def test_unknown_credential(client, user, key_device):
    stranger = SoftAuthenticator()
    stranger.user_handle = b"someone"
    result = sign_in(client, stranger.get(fetch_options(client, PASSKEY_OPTIONS), rp_id="testserver"),
                     status=400)
    assert result.json()["code"] == "unknown_credential"
    assert "not registered" in result.json()["error"]


def test_user_handle_must_match(client, user, authenticator, key_device):
    options = fetch_options(client, PASSKEY_OPTIONS)
    result = sign_in(client, authenticator.get(options, user_handle=b"another user"), status=400)
    assert result.json()["code"] == "unknown_credential"


@pytest.mark.parametrize("breakage", [{"origin": "http://evil.example"}, {"rp_id": "evil.example"}])
def test_wrong_origin_or_relying_party(client, user, authenticator, key_device, breakage):
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS), **breakage)
    assert sign_in(client, response, status=403).json()["code"] == "invalid"
    assert client.session.get(SESSION_KEY) is None


def test_a_cloned_passkey_is_refused(client, user, authenticator):
    authenticator.sign_count = 5
    device = register_key(user, authenticator)
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS), counter=5)
    assert sign_in(client, response, status=403).json()["code"] == "invalid"
    device.refresh_from_db()
    assert device.sign_count == 5


def test_uncounted_passkeys_sign_in_again_and_again(client, user):
    authenticator = SoftAuthenticator(counting=False, backed_up=True)
    device = register_key(user, authenticator)
    for _attempt in range(3):
        sign_in(client, authenticator.get(fetch_options(client, PASSKEY_OPTIONS)))
        client.logout()
    device.refresh_from_db()
    assert device.sign_count == 0


@pytest.mark.parametrize("cache_cleared", [False, True])
def test_an_uncounted_passkey_response_is_not_replayed_with_an_old_session_cookie(
        user, settings, cache_cleared):
    # A session kept in a cookie: the client can send the cookie from before the sign-in again,
    # with the challenge still in it. The passkey keeps no counter: only the challenge, claimed
    # once in the database, refuses the same response a second time; a cache cleared meanwhile
    # (an eviction, which anyone can cause by filling it, or a restart) changes nothing.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    authenticator = SoftAuthenticator(counting=False, backed_up=True)
    register_key(user, authenticator)
    client = Client()
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    cookie_with_the_challenge = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    sign_in(client, response)
    if cache_cleared:
        cache.clear()

    replaying = Client()
    replaying.cookies[django_settings.SESSION_COOKIE_NAME] = cookie_with_the_challenge
    assert sign_in(replaying, response, status=400).json()["code"] == "no_challenge"
    assert otp_status(replaying)["authenticated"] is False


def test_throttled_passkey(client, user, authenticator, key_device):
    key_device.throttle_increment()  # a failure of the key as the second step, say
    good = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    result = sign_in(client, good, status=429)
    assert "Too many failed attempts" in result.json()["error"]
    assert client.session.get(SESSION_KEY) is None


def test_inactive_user(client, user, authenticator, key_device):
    user.is_active = False
    user.save()
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    assert sign_in(client, response, status=403).json()["code"] == "inactive"


def test_unconfirmed_device(client, user, authenticator, key_device):
    key_device.confirmed = False
    key_device.save()
    response = authenticator.get(fetch_options(client, PASSKEY_OPTIONS))
    assert sign_in(client, response, status=400).json()["code"] == "unknown_credential"


@pytest.mark.parametrize("value", ["", "{}", "null", "[]", "x" * 70000, '{"id": "!!", "response": {}}',
                                   '{"id": "AAAA", "response": []}'])
def test_garbage(client, user, key_device, value):
    fetch_options(client, PASSKEY_OPTIONS)
    assert 400 <= sign_in(client, value, status=400).status_code < 500


def test_plain_text_errors_without_json(client):
    result = client.post(PASSKEY_LOGIN, {"credential": "{}"})
    assert result.status_code == 400
    assert result["Content-Type"].startswith("text/plain")


def test_csrf_is_checked(user, authenticator, key_device):
    client = Client(enforce_csrf_checks=True)
    assert client.post(PASSKEY_OPTIONS, **JSON).status_code == 403
    page = client.get(LOGIN)
    token = page.context["csrf_token"]
    options = client.post(PASSKEY_OPTIONS, HTTP_X_CSRFTOKEN=str(token), **JSON)
    assert options.status_code == 200
    response = authenticator.get(options.json())
    assert client.post(PASSKEY_LOGIN, {"credential": response}, **JSON).status_code == 403
    assert client.post(PASSKEY_LOGIN, {"credential": response, "csrfmiddlewaretoken": str(token)},
                       **JSON).status_code == 200


def test_the_stored_handle_is_what_the_authenticator_returns(client, user, authenticator, key_device):
    assert key_device.user_handle == b64(authenticator.user_handle)
