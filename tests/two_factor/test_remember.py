"""Remember this browser: the cookie skips the token step, never the password."""

import time

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.signing import BadSignature, SignatureExpired, b62_decode, b62_encode
from django.utils.crypto import salted_hmac

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor.flows.remember import (
    DEVICE_SALT,
    MAX_COOKIE_LENGTH,
    USER_SALT,
    of_no_format,
    remember_device_cookie,
    well_formed,
)
from two_factor.signals import user_verified
from two_factor.views.utils import get_remember_device_cookie, validate_remember_device_cookie

from .test_login import current_step, otp_status, post_password, post_token

AGE = 3600
PREFIX = "remember-cookie_"


@pytest.fixture(autouse=True)
def remember_enabled(settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = AGE


def later(monkeypatch, seconds):
    real = remember_device_cookie._now
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: real() + seconds)


# The cookie on its own


def test_cookie_round_trip(user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    assert validate_remember_device_cookie(cookie, user, totp_device.persistent_id) is True


def test_the_cookie_is_stamped_with_the_real_clock_and_expires_by_it(user, totp_device,
                                                                     monkeypatch):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    assert abs(b62_decode(cookie.split(":")[0]) - time.time()) <= 2
    moved = time.time() + AGE + 2
    monkeypatch.setattr("two_factor.flows.remember.time.time", lambda: moved)
    with pytest.raises(SignatureExpired):
        validate_remember_device_cookie(cookie, user, totp_device.persistent_id)


def test_the_cookie_is_the_documented_hmacs(user, totp_device, monkeypatch):
    """``timestamp:device_hash:user_hash`` under the documented salts: cookies issued before an
    upgrade keep working, and the format with a browser's key never passes for this one."""
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: 1_800_000_000)
    device_id, stamp = totp_device.persistent_id, b62_encode(1_800_000_000)
    device_hash = salted_hmac(DEVICE_SALT, f"{device_id}|{stamp}", algorithm="sha256").hexdigest()
    user_hash = salted_hmac(USER_SALT, f"{user.pk}|{user.password}|{device_id}|{stamp}",
                            algorithm="sha256").hexdigest()
    assert get_remember_device_cookie(user, device_id) == f"{stamp}:{device_hash}:{user_hash}"


def test_a_cookie_exactly_its_age_old_is_still_good(user, totp_device, monkeypatch):
    start = remember_device_cookie._now()
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: start)
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: start + AGE)
    assert validate_remember_device_cookie(cookie, user, totp_device.persistent_id) is True
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: start + AGE + 1)
    with pytest.raises(SignatureExpired):
        validate_remember_device_cookie(cookie, user, totp_device.persistent_id)


@pytest.mark.parametrize("trusted", [False, True])
def test_a_cookie_of_the_longest_length_is_well_formed(settings, trusted):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = trusted
    head = "key:" if trusted else ""
    longest = head + "a:b:" + "c" * (MAX_COOKIE_LENGTH - len(head) - 4)
    assert len(longest) == MAX_COOKIE_LENGTH
    assert well_formed(longest) and not of_no_format(longest)
    assert not well_formed(longest + "c") and of_no_format(longest + "c")


def test_cookie_carries_no_data(user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    timestamp, device_hash, user_hash = cookie.split(":")
    assert totp_device.persistent_id not in cookie
    assert user.password not in cookie
    assert len(device_hash) == len(user_hash) == 64


def test_cookie_of_another_device_is_false(user, totp_device, hotp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    assert validate_remember_device_cookie(cookie, user, hotp_device.persistent_id) is False


def test_cookie_of_another_user_is_refused(user, other_user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    with pytest.raises(BadSignature):
        validate_remember_device_cookie(cookie, other_user, totp_device.persistent_id)


def test_cookie_dies_with_a_password_change(user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    user.set_password("another-password")
    with pytest.raises(BadSignature):
        validate_remember_device_cookie(cookie, user, totp_device.persistent_id)


def test_cookie_expires(user, totp_device, monkeypatch):
    start = remember_device_cookie._now()
    monkeypatch.setattr(remember_device_cookie, "_now", lambda: start)  # no real second counts
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    later(monkeypatch, AGE - 1)
    assert validate_remember_device_cookie(cookie, user, totp_device.persistent_id) is True
    later(monkeypatch, 2)
    with pytest.raises(SignatureExpired):
        validate_remember_device_cookie(cookie, user, totp_device.persistent_id)


@pytest.mark.parametrize("cookie", ["", "garbage", "a:b", "a:b:c:d", None, 42])
def test_malformed_cookie_raises_bad_signature(user, totp_device, cookie):
    with pytest.raises(BadSignature):
        validate_remember_device_cookie(cookie, user, totp_device.persistent_id)


def test_tampered_timestamp_names_no_device(user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    _timestamp, device_hash, user_hash = cookie.split(":")
    forged = f"zzzzzz:{device_hash}:{user_hash}"
    assert validate_remember_device_cookie(forged, user, totp_device.persistent_id) is False


# Through the sign-in


def remember_cookies(client):
    return {name: morsel for name, morsel in client.cookies.items() if name.startswith(PREFIX)}


def sign_in_remembering(client, device, remember="on"):
    post_password(client)
    return post_token(client, totp_now(device), **{"token-remember": remember})


def sign_out(client):
    """Sign out and keep the remember cookies, as a browser does."""
    kept = {name: morsel.value for name, morsel in remember_cookies(client).items()}
    client.logout()
    for name, value in kept.items():
        client.cookies[name] = value


def failures(device):
    device.refresh_from_db()
    return device.throttling_failure_count


def deleted(response):
    """The remember cookies that ``response`` tells the browser to drop."""
    return {name for name, morsel in response.cookies.items()
            if name.startswith(PREFIX) and morsel.value == "" and morsel["max-age"] == 0}


def forge(client, user, device, name="forged"):
    """A cookie for ``device`` whose user signature is wrong, as a thief would make one."""
    genuine = get_remember_device_cookie(user, device.persistent_id)
    timestamp, device_hash, user_hash = genuine.split(":")
    forged_hash = ("0" if user_hash[0] != "0" else "1") + user_hash[1:]
    client.cookies[PREFIX + name] = f"{timestamp}:{device_hash}:{forged_hash}"
    return PREFIX + name


@pytest.fixture
def remembered(client, user_with_totp, default_totp):
    """alice signed in with "remember" ticked, then signed out."""
    response = sign_in_remembering(client, default_totp)
    assert response.status_code == 302
    sign_out(client)
    return client


def test_checkbox_only_when_enabled(client, user_with_totp, settings):
    assert 'name="token-remember"' in post_password(client).content.decode()
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = None
    assert 'name="token-remember"' not in post_password(client).content.decode()


@pytest.mark.parametrize(("age", "label"), [
    (60, "Don't ask again on this device for 1 minute"),
    (1800, "Don't ask again on this device for 30 minutes"),
    (3600, "Don't ask again on this device for 1 hour"),
    (36 * 3600, "Don't ask again on this device for 36 hours"),
    (24 * 3600, "Don't ask again on this device for 1 day"),
    (30 * 24 * 3600, "Don't ask again on this device for 30 days"),  # not "720 hours"
])
def test_the_checkbox_says_for_how_long_in_the_old_words(client, user_with_totp, settings, age,
                                                         label):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = age
    form = post_password(client).context["wizard"]["form"]
    assert form.fields["remember"].label == label
    assert form.fields["remember"].initial is False  # ticked by the user, never by default


def test_ticking_the_box_sets_the_cookie(client, user_with_totp, default_totp):
    response = sign_in_remembering(client, default_totp)
    [(name, morsel)] = remember_cookies(client).items()
    assert name in response.cookies
    assert morsel["max-age"] == AGE
    assert morsel["httponly"] is True
    assert morsel["samesite"] == "Lax"
    assert morsel["path"] == "/"
    assert validate_remember_device_cookie(morsel.value, user_with_totp,
                                           default_totp.persistent_id)


def test_cookie_settings_are_honoured(client, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_PREFIX = "keep_"
    settings.TWO_FACTOR_REMEMBER_COOKIE_SECURE = True
    settings.TWO_FACTOR_REMEMBER_COOKIE_SAMESITE = "Strict"
    sign_in_remembering(client, default_totp)
    [(name, morsel)] = [(n, m) for n, m in client.cookies.items() if n.startswith("keep_")]
    assert morsel["secure"] is True and morsel["samesite"] == "Strict"


def test_no_cookie_without_the_box(client, user_with_totp, default_totp):
    sign_in_remembering(client, default_totp, remember="")
    assert remember_cookies(client) == {}


def test_remembered_browser_skips_the_token_step(remembered, user_with_totp, default_totp):
    calls = []

    def receiver(sender, **kwargs):
        calls.append(kwargs)

    user_verified.connect(receiver)
    try:
        response = post_password(remembered)
    finally:
        user_verified.disconnect(receiver)
    assert response.status_code == 302
    assert remembered.session[SESSION_KEY] == str(user_with_totp.pk)
    assert otp_status(remembered)["device"] == default_totp.persistent_id
    assert [(call["user"], call["device"]) for call in calls] == [(user_with_totp, default_totp)]


def test_remembered_browser_still_needs_the_password(remembered, user_with_totp):
    response = post_password(remembered, password="wrong")
    assert current_step(response) == "auth"
    assert SESSION_KEY not in remembered.session
    # and the token step cannot be reached without it
    response = post_token(remembered, "123456")
    assert current_step(response) == "auth"
    assert SESSION_KEY not in remembered.session


def test_password_change_kills_the_cookie(remembered, user_with_totp):
    user_with_totp.set_password("a-new-password")
    user_with_totp.save()
    response = post_password(remembered, password="a-new-password")
    assert current_step(response) == "token"


def test_device_removal_kills_the_cookie(remembered, user_with_totp, default_totp):
    default_totp.delete()
    other = TOTPDevice.objects.create(user=user_with_totp, name="default")
    response = post_password(remembered)
    assert current_step(response) == "token"
    assert response.context["device"] == other


def test_age_kills_the_cookie(remembered, default_totp, monkeypatch):
    names = set(remember_cookies(remembered))
    later(monkeypatch, AGE + 1)
    response = post_password(remembered)
    assert current_step(response) == "token"
    assert failures(default_totp) == 0  # an expired cookie is not an attack
    assert deleted(response) == names  # nor of any use


def test_cookie_of_another_user(remembered, other_user):
    bob_device = TOTPDevice.objects.create(user=other_user, name="default")
    response = post_password(remembered, username="bob")
    assert current_step(response) == "token"
    assert response.context["device"] == bob_device


def test_disabled_setting_ignores_cookies(remembered, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = None
    assert current_step(post_password(remembered)) == "token"


@pytest.mark.parametrize(("value", "dropped"), [
    # Of no format at all: the browser is told to drop it.
    ("garbage", True), ("x" * 4000, True), ("a:b", True), ("", True),
    # The shape of a cookie, but of no device of the user: someone else's, as far as we know.
    ("a:b:c", False), ("::", False), ("é:ü:ß", False), ("key:a:b:c", False),
])
def test_malformed_cookie_is_ignored(client, user_with_totp, default_totp, value, dropped):
    client.cookies[PREFIX + "junk"] = value
    response = post_password(client)
    assert current_step(response) == "token"
    assert failures(default_totp) == 0
    assert deleted(response) == ({PREFIX + "junk"} if dropped else set())


def test_forged_cookie_is_ignored_and_counted(client, user_with_totp, default_totp):
    forge(client, user_with_totp, default_totp)
    response = post_password(client)
    assert current_step(response) == "token"
    assert failures(default_totp) == 1


def test_forged_cookie_is_deleted(client, user_with_totp, default_totp):
    name = forge(client, user_with_totp, default_totp)
    response = post_password(client)
    assert deleted(response) == {name}
    morsel = response.cookies[name]
    assert (morsel["path"], morsel["domain"], morsel["samesite"]) == ("/", "", "Lax")
    # The browser no longer sends it: the next sign-in costs the device no failure.
    default_totp.throttle_reset()
    assert current_step(post_password(client)) == "token"
    assert failures(default_totp) == 0


def test_forged_cookie_is_deleted_where_it_was_set(client, user_with_totp, default_totp,
                                                   settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_PATH = "/account/"
    settings.TWO_FACTOR_REMEMBER_COOKIE_DOMAIN = ".example.com"
    settings.TWO_FACTOR_REMEMBER_COOKIE_SAMESITE = "Strict"
    name = forge(client, user_with_totp, default_totp)
    morsel = post_password(client).cookies[name]
    assert morsel.value == "" and morsel["max-age"] == 0
    assert (morsel["path"], morsel["domain"], morsel["samesite"]) == \
        ("/account/", ".example.com", "Strict")


def test_forged_cookie_is_deleted_by_a_remembered_sign_in(remembered, user_with_totp,
                                                         default_totp):
    """The response that finds a cookie forged drops it, whatever that response is: here the
    sign-in that a valid cookie, checked after it, vouches for."""
    [valid] = remember_cookies(remembered)
    forged = forge(remembered, user_with_totp, default_totp, name="!forged")  # sorted first
    response = post_password(remembered)
    assert response.status_code == 302
    assert deleted(response) == {forged}
    assert otp_status(remembered)["device"] == default_totp.persistent_id


def test_valid_cookies_of_other_users_stay(remembered, default_totp, other_user):
    bob_device = TOTPDevice.objects.create(user=other_user, name="default")
    post_password(remembered, username="bob")
    response = post_token(remembered, totp_now(bob_device), **{"token-remember": "on"})
    assert response.status_code == 302 and deleted(response) == set()
    sign_out(remembered)
    assert len(remember_cookies(remembered)) == 2
    for username in ("alice", "bob"):
        response = post_password(remembered, username=username)
        assert response.status_code == 302  # each skips the token step with their own cookie
        assert deleted(response) == set()
        sign_out(remembered)


def test_throttled_device_is_not_accepted_by_cookie(remembered, default_totp):
    default_totp.throttle_increment()
    response = post_password(remembered)
    assert current_step(response) == "token"
    assert deleted(response) == set()  # valid again once the throttle ends


def test_a_revoked_trusted_browsers_cookie_is_deleted(client, user_with_totp, default_totp,
                                                     settings):
    from django.utils import timezone

    from two_factor.models import TrustedBrowser

    settings.TWO_FACTOR_TRUSTED_BROWSERS = True
    assert sign_in_remembering(client, default_totp).status_code == 302
    sign_out(client)
    names = set(remember_cookies(client))
    TrustedBrowser.objects.update(revoked_at=timezone.now())
    response = post_password(client)
    assert current_step(response) == "token"
    assert deleted(response) == names


def test_a_cookie_of_the_format_turned_off_stays(remembered, default_totp, settings):
    # Refused while TWO_FACTOR_TRUSTED_BROWSERS is on, and valid again if it is turned off.
    settings.TWO_FACTOR_TRUSTED_BROWSERS = True
    response = post_password(remembered)
    assert current_step(response) == "token"
    assert deleted(response) == set()


def test_user_without_device_ignores_cookies(client, user, totp_device):
    cookie = get_remember_device_cookie(user, totp_device.persistent_id)
    totp_device.delete()
    client.cookies[PREFIX + "old"] = cookie
    assert post_password(client).status_code == 302
    assert otp_status(client)["verified"] is False
