"""Trusted browsers: remember cookies with a server-side record that the user can revoke."""

import sys
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.core.signing import BadSignature
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor import events
from two_factor.flows.remember import remember_device_cookie
from two_factor.flows.trusted import (
    accept_cookie,
    active_browsers,
    end_other_sessions,
    revoke_browser,
    revoke_browsers,
)
from two_factor.models import TrustedBrowser
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.webauthn.models import WebauthnDevice
from two_factor.signals import security_event
from two_factor.views.utils import get_remember_device_cookie, validate_remember_device_cookie

from .a11y import button_names
from .conftest import PASSWORD, login_verified
from .test_login import current_step, otp_status, post_password, post_token

AGE = 3600
PREFIX = "remember-cookie_"
PROFILE = reverse("two_factor:profile")
REVOKE_ALL = reverse("two_factor:trusted_browsers_revoke_all")
EVERYWHERE = reverse("two_factor:logout_everywhere")
AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"


def revoke_url(key):
    return reverse("two_factor:trusted_browser_revoke", args=[key])


@pytest.fixture(autouse=True)
def trusted_on(settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = AGE
    settings.TWO_FACTOR_TRUSTED_BROWSERS = True


@pytest.fixture
def announced():
    seen = []

    def receiver(sender, **kwargs):
        seen.append((kwargs["event"], kwargs["user"], kwargs["extra"]))

    security_event.connect(receiver)
    yield seen
    security_event.disconnect(receiver)


def cookies_of(client):
    return {name: morsel.value for name, morsel in client.cookies.items() if name.startswith(PREFIX)}


def give_cookies(client, cookies):
    for name, value in cookies.items():
        client.cookies[name] = value


def new_browser(ip="192.0.2.10"):
    return Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=AGENT)


def trust(client, device):
    """Sign in with a token, ticking "don't ask again"; then sign out and keep the cookie."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the same token works again
    post_password(client)
    assert post_token(client, totp_now(device), **{"token-remember": "on"}).status_code == 302
    kept = cookies_of(client)
    client.logout()
    give_cookies(client, kept)
    return kept


def skips_the_token(client):
    response = post_password(client)
    if response.status_code == 302:
        return True
    assert current_step(response) == "token"
    return False


# Issuing and using


def test_a_remembered_browser_gets_a_record(user_with_totp, default_totp):
    client = new_browser()
    [cookie] = trust(client, default_totp).values()
    [browser] = TrustedBrowser.objects.all()
    assert (browser.user, browser.device_id, browser.device_name, browser.ip, browser.user_agent,
            browser.revoked_at, browser.last_used_at) == (
        user_with_totp, default_totp.persistent_id, "default", "192.0.2.10", AGENT, None, None)
    key, *rest = cookie.split(":")
    assert key == browser.key and len(rest) == 3
    assert skips_the_token(client)
    browser.refresh_from_db()
    assert browser.last_used_at is not None


def test_profile_lists_the_trusted_browsers(user_with_totp, default_totp, other_user):
    client = new_browser()
    trust(client, default_totp)
    TrustedBrowser.objects.create(user=other_user, device_id="otp_totp.totpdevice/99",
                                  device_name="bobs", ip="198.51.100.1")
    login_verified(client, user_with_totp, default_totp)
    response = client.get(PROFILE)
    page = response.content.decode()
    [browser] = response.context["trusted_browsers"]
    assert browser.user == user_with_totp
    assert "Trusted browsers" in page and "Safari / macOS" in page and "192.0.2.10" in page
    assert revoke_url(browser.key) in page and REVOKE_ALL in page and EVERYWHERE in page
    assert "198.51.100.1" not in page
    # The Revoke button is named with its row's device: "Revoke default", not "Revoke" alone.
    assert f"Revoke {default_totp.name}" in button_names(page)


def test_profile_without_the_setting_shows_nothing_new(user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    client = Client()
    login_verified(client, user_with_totp, default_totp)
    page = client.get(PROFILE).content.decode()
    assert "Trusted browsers" not in page and EVERYWHERE not in page


def test_expired_and_revoked_browsers_are_not_listed(user_with_totp, settings):
    from django.utils import timezone

    live = TrustedBrowser.objects.create(user=user_with_totp, device_id="x")
    TrustedBrowser.objects.create(user=user_with_totp, device_id="x", revoked_at=timezone.now())
    TrustedBrowser.objects.create(user=user_with_totp, device_id="x",
                                  created_at=timezone.now() - timezone.timedelta(seconds=AGE + 5))
    assert active_browsers(user_with_totp) == [live]
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = None
    assert active_browsers(user_with_totp) == []


# Revoking


def test_revoke_one(user_with_totp, default_totp, announced):
    laptop, phone = new_browser(), new_browser("192.0.2.20")
    trust(laptop, default_totp)
    trust(phone, default_totp)
    stolen = TrustedBrowser.objects.get(ip="192.0.2.10")
    manager = Client()
    login_verified(manager, user_with_totp, default_totp)
    announced.clear()
    response = manager.post(revoke_url(stolen.key))
    assert response.status_code == 302 and response.url == PROFILE
    stolen.refresh_from_db()
    assert stolen.revoked_at is not None
    assert not skips_the_token(laptop)  # that browser needs a token again
    assert skips_the_token(phone)  # the other one still does
    assert [(event, user, extra["device_id"]) for event, user, extra in announced
            if event == events.TRUSTED_BROWSER_REVOKED] == [
        (events.TRUSTED_BROWSER_REVOKED, user_with_totp, default_totp.persistent_id)]
    assert manager.post(revoke_url(stolen.key)).status_code == 404  # once


def test_revoke_all(user_with_totp, default_totp, announced):
    browsers = [new_browser(), new_browser("192.0.2.20")]
    for browser in browsers:
        trust(browser, default_totp)
    manager = Client()
    login_verified(manager, user_with_totp, default_totp)
    announced.clear()
    assert manager.post(REVOKE_ALL).status_code == 302
    assert not TrustedBrowser.objects.filter(revoked_at=None).exists()
    assert not any(skips_the_token(browser) for browser in browsers)
    assert [(event, extra) for event, _user, extra in announced] == [
        (events.TRUSTED_BROWSER_REVOKED, {"count": 2})]


def test_another_users_browser_is_a_404(user_with_totp, default_totp, other_user):
    theirs = TrustedBrowser.objects.create(user=other_user, device_id="otp_totp.totpdevice/99")
    client = Client()
    login_verified(client, user_with_totp, default_totp)
    assert client.post(revoke_url(theirs.key)).status_code == 404
    assert client.post(revoke_url("no-such-key")).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    client.post(REVOKE_ALL)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_views_are_post_only_csrf_protected_and_for_signed_in_users(user_with_totp, default_totp):
    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id="x")
    anonymous = Client()
    for url in (revoke_url(browser.key), REVOKE_ALL, EVERYWHERE):
        response = anonymous.post(url)
        assert response.status_code == 302 and "login" in response.url
    client = Client(enforce_csrf_checks=True)
    login_verified(client, user_with_totp, default_totp)
    for url in (revoke_url(browser.key), REVOKE_ALL, EVERYWHERE):
        assert client.get(url).status_code == 405
        assert client.post(url).status_code == 403
    browser.refresh_from_db()
    assert browser.revoked_at is None


def test_revoke_browser_reports_once(user_with_totp, announced):
    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id="x")
    assert revoke_browser(None, user_with_totp, browser.key) is not None
    assert revoke_browser(None, user_with_totp, browser.key) is None
    assert [event for event, _user, _extra in announced] == [events.TRUSTED_BROWSER_REVOKED]


# Sign out everywhere


def test_logout_everywhere(user_with_totp, default_totp, other_user, announced):
    laptop = new_browser()
    trust(laptop, default_totp)
    other_session, bobs_session, here = Client(), Client(), new_browser("192.0.2.30")
    other_session.force_login(user_with_totp)
    bobs_session.force_login(other_user)
    login_verified(here, user_with_totp, default_totp)
    give_cookies(here, cookies_of(laptop))
    announced.clear()

    response = here.post(EVERYWHERE)

    assert response.status_code == 302 and response.url == "/login/"
    assert SESSION_KEY not in here.session
    assert otp_status(other_session)["authenticated"] is False  # the other session is gone
    assert otp_status(bobs_session)["authenticated"] is True  # another user's is not
    assert Session.objects.count() == 1
    assert not TrustedBrowser.objects.filter(revoked_at=None).exists()
    assert not skips_the_token(laptop)
    assert all(response.cookies[name]["max-age"] == 0 for name in cookies_of(laptop))
    assert announced == [(events.LOGGED_OUT_EVERYWHERE, user_with_totp,
                          {"browsers": 1, "sessions": 1})]


def test_logout_everywhere_with_sessions_in_cookies(user_with_totp, default_totp, settings,
                                                    announced):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id)
    client = Client()
    login_verified(client, user_with_totp, default_totp)
    assert client.post(EVERYWHERE).status_code == 302
    assert otp_status(client)["authenticated"] is False
    assert not TrustedBrowser.objects.filter(revoked_at=None).exists()
    assert announced[-1][2] == {"browsers": 1, "sessions": None}  # could not list the sessions


def test_ending_other_sessions_deletes_them_in_one_query(user_with_totp, rf):
    def end(count):
        for _ in range(count):
            Client().force_login(user_with_totp)
        request = rf.post("/")
        request.session = Session.get_session_store_class()()
        with CaptureQueriesContext(connection) as queries:
            assert end_other_sessions(request, user_with_totp) == count
        assert not Session.objects.exists()
        return len(queries)

    assert end(1) == end(4) == 2  # the sessions read, then one DELETE


def test_ending_many_cached_sessions_deletes_them_in_batches(user_with_totp, other_user, settings,
                                                            rf, monkeypatch):
    from django.contrib.sessions.backends.cached_db import SessionStore

    from two_factor.flows import trusted

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    monkeypatch.setattr(trusted, "DELETE_BATCH", 2)
    others = [Client() for _ in range(5)]
    for client in others:
        client.force_login(user_with_totp)
    bob = Client()
    bob.force_login(other_user)
    request = rf.post("/")
    request.session = SessionStore()
    with CaptureQueriesContext(connection) as queries:
        assert end_other_sessions(request, user_with_totp) == 5
    assert sum(query["sql"].startswith("DELETE") for query in queries) == 3  # 2 + 2 + 1
    assert not any(otp_status(client)["authenticated"] for client in others)  # nor in the cache
    assert otp_status(bob)["authenticated"]


class CountingStore(DatabaseSessionStore):
    deleted: list = []

    def delete(self, session_key=None):
        CountingStore.deleted.append(session_key or self.session_key)
        super().delete(session_key)


def test_a_session_store_of_the_sites_own_deletes_each_session(user_with_totp, settings, rf,
                                                               monkeypatch):
    import types

    monkeypatch.setitem(sys.modules, "site_sessions", types.SimpleNamespace(SessionStore=CountingStore))
    monkeypatch.setattr(CountingStore, "deleted", [])
    settings.SESSION_ENGINE = "site_sessions"
    others = [Client() for _ in range(2)]
    for client in others:
        client.force_login(user_with_totp)
    keys = sorted(client.session.session_key for client in others)
    CountingStore.deleted.clear()  # (signing in renewed each key, through delete())
    request = rf.post("/")
    request.session = CountingStore()
    assert end_other_sessions(request, user_with_totp) == 2
    assert sorted(CountingStore.deleted) == keys  # its own delete(), which may do more


def test_end_other_sessions_with_cached_db(user_with_totp, settings, rf):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    other = Client()
    other.force_login(user_with_totp)
    request = rf.post("/")
    from django.contrib.sessions.backends.cached_db import SessionStore

    request.session = SessionStore()
    assert end_other_sessions(request, user_with_totp) == 1
    assert otp_status(other)["authenticated"] is False


# A session signed in with the password alone (elsewhere on the site) of a user with a device


@pytest.mark.parametrize("url", [REVOKE_ALL, EVERYWHERE, "revoke-one"])
def test_a_password_only_session_may_not_revoke_or_sign_out_everywhere(
        user_with_totp, default_totp, url):
    owner = Client()
    login_verified(owner, user_with_totp, default_totp)
    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id)
    password_only = Client()
    password_only.force_login(user_with_totp)
    url = revoke_url(browser.key) if url == "revoke-one" else url
    response = password_only.post(url)
    assert response.status_code == 403
    assert response.templates[0].name == "two_factor/core/otp_required.html"
    assert 'href="/account/login/?next=/account/two_factor/"' in response.content.decode()
    browser.refresh_from_db()
    assert browser.revoked_at is None
    assert otp_status(owner)["verified"] is True


def test_a_user_without_a_device_may_sign_out_everywhere(user):
    elsewhere, here = Client(), Client()
    elsewhere.force_login(user)
    here.force_login(user)
    assert here.post(EVERYWHERE).status_code == 302
    assert otp_status(elsewhere)["authenticated"] is False


def test_the_profile_of_a_password_only_session_shows_no_browsers_nor_events(
        settings, user_with_totp, default_totp):
    settings.TWO_FACTOR_AUDIT_LOG = True
    TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id,
                                  ip="198.51.100.23")
    user_with_totp.two_factor_events.create(event=events.VERIFIED, ip="198.51.100.24")
    password_only, verified = Client(), Client()
    password_only.force_login(user_with_totp)
    login_verified(verified, user_with_totp, default_totp)
    hidden = password_only.get(PROFILE)
    shown = verified.get(PROFILE).content.decode()
    assert "198.51.100.23" in shown and "198.51.100.24" in shown
    assert "198.51.100.2" not in hidden.content.decode()
    assert hidden.context["trusted_browsers"] == [] and hidden.context["security_events"] == []
    assert "shown once you sign in with your device" in hidden.content.decode()
    assert "shown once you sign in" not in shown


# Forged and old cookies


def test_a_forged_key_is_refused(user_with_totp, default_totp):
    client = new_browser()
    [(name, cookie)] = trust(client, default_totp).items()
    mine = TrustedBrowser.objects.get()
    other = TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id)
    client.cookies[name] = cookie.replace(mine.key, other.key, 1)  # a live key of the same user
    assert not skips_the_token(client)
    other.refresh_from_db()
    assert other.last_used_at is None


def test_a_cookie_whose_record_is_gone_is_refused(user_with_totp, default_totp):
    client = new_browser()
    trust(client, default_totp)
    TrustedBrowser.objects.all().delete()
    assert not skips_the_token(client)


def test_removing_a_device_revokes_the_browsers_trusted_for_it(user_with_totp, default_totp):
    spare = TOTPDevice.objects.create(user=user_with_totp, name="spare")
    spare_id = spare.persistent_id
    trust(new_browser(), default_totp)
    TrustedBrowser.objects.create(user=user_with_totp, device_id=spare_id, device_name="spare")
    spare.delete()
    assert TrustedBrowser.objects.get(device_id=spare_id).revoked_at is not None
    assert TrustedBrowser.objects.get(device_id=default_totp.persistent_id).revoked_at is None


@pytest.mark.parametrize(("model", "fields"), [
    (HOTPDevice, {}), (StaticDevice, {}), (EmailDevice, {}),
    (PhoneDevice, {"number": "+31101234567", "method": "sms"}),
    (WebauthnDevice, {"public_key": "AAAA", "key_handle": "AAAA"})])
def test_removing_a_device_of_each_model_revokes_the_browsers_trusted_for_it(user_with_totp, model, fields):
    device = model.objects.create(user=user_with_totp, name="spare", **fields)
    device_id = device.persistent_id
    TrustedBrowser.objects.create(user=user_with_totp, device_id=device_id, device_name="spare")
    device.delete()
    assert TrustedBrowser.objects.get(device_id=device_id).revoked_at is not None


def test_removing_a_device_keeps_the_time_its_browsers_were_revoked(user_with_totp, default_totp):
    earlier = timezone.now() - timedelta(days=3)
    TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id,
                                  device_name="default", revoked_at=earlier)
    default_totp.delete()
    assert TrustedBrowser.objects.get().revoked_at == earlier


def test_removing_a_device_while_trusted_browsers_are_off_costs_no_query_for_them(
        settings, user_with_totp, default_totp):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id,
                                  device_name="default")
    with CaptureQueriesContext(connection) as queries:
        default_totp.delete()
    assert not [q for q in queries if TrustedBrowser._meta.db_table in q["sql"]]
    assert TrustedBrowser.objects.get().revoked_at is None


def test_a_record_of_another_device_is_refused(user_with_totp, default_totp):
    client = new_browser()
    trust(client, default_totp)
    TrustedBrowser.objects.update(device_id="otp_totp.totpdevice/999")
    assert not skips_the_token(client)


def test_an_old_format_cookie_is_refused(user_with_totp, default_totp):
    client = Client()
    client.cookies[f"{PREFIX}old"] = get_remember_device_cookie(user_with_totp,
                                                                 default_totp.persistent_id)
    assert not skips_the_token(client)
    default_totp.refresh_from_db()
    assert default_totp.throttling_failure_count == 0  # ignored, not counted as forged


def test_a_valid_cookie_of_another_user_is_refused(user_with_totp, default_totp, other_user):
    bobs = TOTPDevice.objects.create(user=other_user, name="default")
    client = Client()
    trust(client, default_totp)
    TrustedBrowser.objects.update(user=other_user, device_id=bobs.persistent_id)
    assert not skips_the_token(client)


def test_a_password_change_still_kills_the_cookie(user_with_totp, default_totp):
    client = new_browser()
    trust(client, default_totp)
    user_with_totp.set_password("another-password")
    user_with_totp.save()
    assert current_step(post_password(client, password="another-password")) == "token"


def test_the_cookie_format(user_with_totp, default_totp):
    cookie = remember_device_cookie.make(user_with_totp, default_totp.persistent_id, "abc_DEF-1")
    assert cookie.startswith("abc_DEF-1:") and cookie.count(":") == 3
    assert remember_device_cookie.browser_key(cookie) == "abc_DEF-1"
    assert remember_device_cookie.check(cookie, user_with_totp, default_totp.persistent_id)
    # The key is signed: another key fails the signatures.
    assert not remember_device_cookie.check(cookie.replace("abc_DEF-1", "abc_DEF-2"),
                                            user_with_totp, default_totp.persistent_id)
    assert remember_device_cookie.browser_key("bad key!:a:b:c") is None
    # With the setting on, a cookie without a key does not pass even the signature check.
    old = get_remember_device_cookie(user_with_totp, default_totp.persistent_id)
    with pytest.raises(BadSignature):
        validate_remember_device_cookie(old, user_with_totp, default_totp.persistent_id)


# With the setting off: as before, and no query


def test_off_means_no_record_and_old_cookies(user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    client = Client()
    [cookie] = trust(client, default_totp).values()
    assert cookie.count(":") == 2
    assert not TrustedBrowser.objects.exists()
    assert skips_the_token(client)


def test_a_trusted_cookie_is_refused_once_the_setting_is_off(user_with_totp, default_totp, settings):
    client = Client()
    trust(client, default_totp)
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    assert not skips_the_token(client)


def test_accept_cookie_off_costs_nothing(user_with_totp, default_totp, settings,
                                         django_assert_num_queries):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    with django_assert_num_queries(0):
        assert accept_cookie("anything", user_with_totp, default_totp) is True


def remembered_sign_in_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert post_password(client).status_code == 302
    client.logout()
    return len(queries)


def test_query_cost(user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    plain = Client()
    TOTPDevice.objects.filter(pk=default_totp.pk).update(last_t=-1)
    post_password(plain)
    with CaptureQueriesContext(connection) as issue_off:
        post_token(plain, totp_now(default_totp), **{"token-remember": "on"})
    kept = cookies_of(plain)
    plain.logout()
    give_cookies(plain, kept)
    use_off = remembered_sign_in_queries(plain)

    settings.TWO_FACTOR_TRUSTED_BROWSERS = True
    trusted = Client()
    TOTPDevice.objects.filter(pk=default_totp.pk).update(last_t=-1)
    post_password(trusted)
    with CaptureQueriesContext(connection) as issue_on:
        post_token(trusted, totp_now(default_totp), **{"token-remember": "on"})
    kept = cookies_of(trusted)
    trusted.logout()
    give_cookies(trusted, kept)
    use_on = remembered_sign_in_queries(trusted)

    assert len(issue_on) == len(issue_off) + 1  # the INSERT of the record
    assert use_on == use_off + 1  # the conditional UPDATE that checks and touches it


def test_a_browser_without_a_cookie_costs_no_query_for_trust(user_with_totp, default_totp):
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        post_password(client, password=PASSWORD)
    assert not any("two_factor_trustedbrowser" in query["sql"] for query in queries)


# The admin


def test_staff_can_revoke_in_the_admin(make_user, user_with_totp, default_totp, announced):
    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id=default_totp.persistent_id,
                                            device_name="default", user_agent=AGENT)
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    changelist = reverse("admin:two_factor_trustedbrowser_changelist")
    page = client.get(changelist)
    assert page.status_code == 200 and "Safari / macOS" in page.content.decode()
    assert client.get(reverse("admin:two_factor_trustedbrowser_add")).status_code == 403
    response = client.post(changelist, {"action": "revoke", "_selected_action": [browser.pk]})
    assert response.status_code == 302
    browser.refresh_from_db()
    assert browser.revoked_at is not None
    assert [(event, user) for event, user, _extra in announced] == [
        (events.TRUSTED_BROWSER_REVOKED, user_with_totp)]


def test_the_admin_revokes_a_selection_in_a_fixed_number_of_queries(make_user, user_with_totp,
                                                                    other_user, announced):
    root = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    changelist = reverse("admin:two_factor_trustedbrowser_changelist")

    def revoke(pairs):
        browsers = [TrustedBrowser.objects.create(user=owner, device_id="otp_totp.totpdevice/1",
                                                  device_name="default") for owner in
                    [user_with_totp, other_user] * pairs]
        gone = TrustedBrowser.objects.create(user=other_user, device_id="x", revoked_at=timezone.now())
        announced.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.post(changelist, {
                "action": "revoke", "_selected_action": [b.pk for b in [*browsers, gone]]})
        assert response.status_code == 302
        assert not TrustedBrowser.objects.filter(pk__in=[b.pk for b in browsers], revoked_at=None).exists()
        # One event for each browser revoked now, naming its owner; none for the one revoked before.
        assert sorted((user.username, extra["browser"]) for _event, user, extra in announced) == sorted(
            (b.user.username, b.key) for b in browsers)
        return len(queries)

    assert revoke(1) == revoke(5)


def test_the_admin_revokes_the_browsers_of_an_account_its_default_manager_hides(
        make_user, user_with_totp, monkeypatch, announced):
    # Many sites hide deactivated accounts from the default manager: theirs are revoked too.
    from django.contrib.auth.models import User, UserManager

    class ActiveUsers(UserManager):
        def get_queryset(self):
            return super().get_queryset().filter(is_active=True)

    hidden = ActiveUsers()
    hidden.model, hidden.name = User, "objects"
    monkeypatch.setattr(User._meta, "default_manager", hidden)
    user_with_totp.is_active = False
    user_with_totp.save()
    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id="otp_totp.totpdevice/1")
    [revoked] = revoke_browsers(None, TrustedBrowser.objects.filter(pk=browser.pk))
    assert revoked.pk == browser.pk and revoked.revoked_at is not None
    assert TrustedBrowser.objects.get().revoked_at == revoked.revoked_at
    assert [(event, user.pk) for event, user, _extra in announced] == [
        (events.TRUSTED_BROWSER_REVOKED, user_with_totp.pk)]


class BrowsersElsewhere:
    def db_for_write(self, model, **hints):
        return "claims" if model is TrustedBrowser else None

    db_for_read = db_for_write


@pytest.mark.django_db(databases=["default", "claims"])
def test_revoking_a_selection_locks_it_in_the_database_of_the_browsers(settings, monkeypatch):
    from django.db import transaction

    settings.DATABASE_ROUTERS = [BrowsersElsewhere()]
    opened, atomic = [], transaction.atomic

    def recording_atomic(using=None, **kwargs):
        opened.append(using)
        return atomic(using=using, **kwargs)

    monkeypatch.setattr(transaction, "atomic", recording_atomic)
    assert revoke_browsers(None, TrustedBrowser.objects.all()) == []
    assert opened == ["claims"]  # select_for_update needs the transaction on its own database


def test_staff_without_the_permission_cannot_revoke(make_user, user_with_totp):
    from django.contrib.auth.models import Permission

    browser = TrustedBrowser.objects.create(user=user_with_totp, device_id="x")
    clerk = make_user("clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_trustedbrowser"))
    client = Client()
    client.force_login(clerk)
    changelist = reverse("admin:two_factor_trustedbrowser_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "revoke", "_selected_action": [browser.pk]})
    browser.refresh_from_db()
    assert browser.revoked_at is None


def test_profile_browsers_cost_one_query(user_with_totp, default_totp, settings):
    client = Client()
    login_verified(client, user_with_totp, default_totp)
    with CaptureQueriesContext(connection) as on:
        client.get(PROFILE)
    settings.TWO_FACTOR_TRUSTED_BROWSERS = False
    with CaptureQueriesContext(connection) as off:
        client.get(PROFILE)
    assert len(on) == len(off) + 1
