"""Re-authentication: sensitive pages ask for a recent proof of identity (a token, or the
password of a user without a device) when TWO_FACTOR_REAUTHENTICATION_AGE is set."""

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory
from django.urls import include, path, reverse

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor import events
from two_factor.flows import reauth, removal
from two_factor.flows.backup import is_backup_device
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.webauthn import challenges
from two_factor.plugins.webauthn.models import WebauthnDevice
from two_factor.signals import security_event, user_verified
from two_factor.views.mixins import reauthentication_required

from .conftest import PASSWORD, age_session, login_password_only, login_verified
from .test_login import post_password, post_token
from .test_remember import sign_in_remembering, sign_out

AGE = 300
REAUTH = reverse("two_factor:reauthenticate")
LOGIN = reverse("two_factor:login")
PROFILE = reverse("two_factor:profile")
DISABLE = reverse("two_factor:disable")
BACKUP = reverse("two_factor:backup_tokens")
SETUP = reverse("two_factor:setup")
REMOVE = reverse("two_factor:device_remove")
PHONE_CREATE = reverse("two_factor:phone_create")
ADD_KEY = reverse("two_factor:webauthn_add")
REGISTER_OPTIONS = reverse("two_factor:webauthn_register_options")
FAKE_GATEWAY = "two_factor.gateways.fake.Fake"


# Function views behind the decorator (``@pytest.mark.urls(__name__)``).


@reauthentication_required
def sensitive_view(request):
    return HttpResponse("done")


@reauthentication_required(next_url="two_factor:profile")
async def sensitive_async_view(request):
    return HttpResponse("done")


urlpatterns = [
    path("sensitive/", sensitive_view),
    path("sensitive-async/", sensitive_async_view),
    # A password-only login of the site besides two_factor's (Django's own, as
    # ``include("django.contrib.auth.urls")`` brings for the password reset pages).
    path("accounts/login/", DjangoLoginView.as_view(template_name="two_factor/core/login.html")),
    path("", include("tests.urls")),
]


@pytest.fixture(autouse=True)
def reauth_on(settings):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = AGE


@pytest.fixture
def sent_events():
    sent = []

    def receiver(sender, event, device=None, extra=None, **kwargs):
        sent.append((event, device, extra))

    security_event.connect(receiver, dispatch_uid="test_reauthentication")
    yield sent
    security_event.disconnect(dispatch_uid="test_reauthentication")


@pytest.fixture
def stale_client(verified_client):
    """alice, verified with her TOTP device, long ago."""
    age_session(verified_client)
    return verified_client


def assert_walled(response, next_url, resubmit=False):
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response.url)
    assert parts.path == REAUTH
    query = parse_qs(parts.query)
    assert query["next"] == [next_url]
    assert ("resubmit" in query) is resubmit


def reauthenticate(client, device, next_url=None, token=None):
    data = {"device": device.persistent_id, "otp_token": token or totp_now(device)}
    if next_url:
        data["next"] = next_url
    return client.post(REAUTH, data)


# The plain functions


def test_verified_recently_follows_the_setting(rf, user, settings, monkeypatch):
    request = rf.get("/")
    request.session, request.user = {}, user
    assert not reauth.verified_recently(request)
    reauth.mark_verified(request)
    assert reauth.verified_recently(request)  # alice has no device: the record is enough
    monkeypatch.setattr(reauth, "now", lambda: time.time() + AGE + 1)
    assert not reauth.verified_recently(request)
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = None
    assert reauth.verified_recently(request)


def test_a_password_only_session_of_a_user_with_devices_is_not_recent(client, user_with_totp):
    login_password_only(client, user_with_totp)  # the sign-in recorded the password
    request = client.get("/otp/status/").wsgi_request
    assert reauth.last_verified(request) is not None
    assert not reauth.verified_recently(request)


def test_a_record_from_the_future_counts_only_within_the_clock_skew(rf, user):
    # A server whose clock is a little ahead wrote it: fine; far ahead: it lengthens no window.
    request = rf.get("/")
    request.session, request.user = {reauth.VERIFIED_AT_SESSION_KEY: int(time.time()) + 2}, user
    assert reauth.verified_recently(request)
    request.session[reauth.VERIFIED_AT_SESSION_KEY] = int(time.time()) + reauth.CLOCK_SKEW + 10
    assert not reauth.verified_recently(request)


@pytest.mark.parametrize(("seconds_since", "recent"), [
    (AGE, True), (AGE + 1, False), (-60, True), (-61, False)])
def test_the_edges_of_the_window(rf, user, monkeypatch, seconds_since, recent):
    # As old as the setting still counts; so does a record a minute ahead, not a second more.
    request = rf.get("/")
    request.session, request.user = {reauth.VERIFIED_AT_SESSION_KEY: 1_000_000}, user
    monkeypatch.setattr(reauth, "now", lambda: 1_000_000 + seconds_since)
    assert reauth.verified_recently(request) is recent


@pytest.mark.parametrize("value", ["123", 12.5, True, None])
def test_a_record_that_is_not_an_int_counts_for_nothing(rf, user, value):
    request = rf.get("/")
    request.session, request.user = {reauth.VERIFIED_AT_SESSION_KEY: value}, user
    assert reauth.last_verified(request) is None
    assert not reauth.verified_recently(request)


# The wall on each sensitive page: GET and POST are sent away, the POST does nothing.


def test_disable(stale_client, user_with_totp, default_totp):
    assert_walled(stale_client.get(DISABLE), DISABLE)
    assert_walled(stale_client.post(DISABLE, {"understand": "on"}), DISABLE, resubmit=True)
    assert TOTPDevice.objects.filter(user=user_with_totp).count() == 1

    assert reauthenticate(stale_client, default_totp, DISABLE).url == DISABLE
    assert stale_client.post(DISABLE, {"understand": "on"}).status_code == 302
    assert not TOTPDevice.objects.filter(user=user_with_totp).exists()


def test_backup_tokens(stale_client, user_with_totp, default_totp, backup_device):
    before = sorted(StaticToken.objects.values_list("token", flat=True))
    response = stale_client.get(BACKUP)
    assert_walled(response, BACKUP)
    assert_walled(stale_client.post(BACKUP), BACKUP, resubmit=True)
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == before

    reauthenticate(stale_client, default_totp, BACKUP)
    assert stale_client.get(BACKUP).status_code == 200
    assert stale_client.post(BACKUP).status_code == 302
    after = sorted(StaticToken.objects.values_list("token", flat=True))
    assert after != before and len(after) == 10


def test_setup_of_a_first_device_asks_for_the_password(client, user):
    login_password_only(client, user)
    age_session(client)
    assert_walled(client.get(SETUP), SETUP)
    assert_walled(client.post(SETUP, {"setup_view-current_step": "welcome"}), SETUP,
                  resubmit=True)

    page = client.get(REAUTH, {"next": SETUP})
    assert page.context["password"] is True
    assert 'name="password"' in page.content.decode()
    response = client.post(REAUTH, {"password": PASSWORD, "next": SETUP})
    assert response.status_code == 302 and response.url == SETUP
    assert client.get(SETUP).status_code == 200


def test_the_qr_code_of_a_setup_is_not_drawn_for_a_stale_session(client, user):
    # The generator step was reached with a fresh proof; the proof then grew old: the setup page
    # asks for it again, and the QR view no longer draws the secret in progress.
    login_password_only(client, user)
    client.get(SETUP)
    client.post(SETUP, {"setup_view-current_step": "welcome"})
    assert client.get(reverse("two_factor:qr")).status_code == 200
    age_session(client)
    assert client.get(reverse("two_factor:qr")).status_code == 404


def test_setup_wizard_post_does_nothing(client, user):
    login_password_only(client, user)
    age_session(client)
    client.post(SETUP, {"setup_view-current_step": "welcome"})
    client.post(SETUP, {"setup_view-current_step": "generator", "generator-token": "123456"})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert "django_two_factor-qr_secret_key" not in client.session


def test_phone_setup(stale_client, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = FAKE_GATEWAY
    assert_walled(stale_client.get(PHONE_CREATE), PHONE_CREATE)
    data = {"phone_setup_view-current_step": "setup", "setup-number": "+31101234567",
            "setup-method": "sms"}
    assert_walled(stale_client.post(PHONE_CREATE, data), PHONE_CREATE, resubmit=True)
    assert not PhoneDevice.objects.exists()

    reauthenticate(stale_client, default_totp, PHONE_CREATE)
    assert stale_client.get(PHONE_CREATE).status_code == 200
    stale_client.post(PHONE_CREATE, data)
    assert PhoneDevice.objects.filter(user=user_with_totp, confirmed=False).exists()


def test_phone_delete(stale_client, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = FAKE_GATEWAY
    phone = PhoneDevice.objects.create(user=user_with_totp, name="backup", number="+31101234567",
                                       method="sms")
    url = reverse("two_factor:phone_delete", args=[phone.pk])
    assert_walled(stale_client.post(url), url, resubmit=True)  # back to the question
    assert PhoneDevice.objects.filter(pk=phone.pk).exists()

    reauthenticate(stale_client, default_totp, PROFILE)
    assert stale_client.post(url).status_code == 302
    assert not PhoneDevice.objects.filter(pk=phone.pk).exists()


def test_add_security_key(stale_client, user_with_totp, default_totp):
    assert_walled(stale_client.get(ADD_KEY), ADD_KEY)
    assert_walled(stale_client.post(ADD_KEY, {"name": "Blue key", "credential": "{}"}), ADD_KEY,
                  resubmit=True)
    assert not WebauthnDevice.objects.exists()
    reauthenticate(stale_client, default_totp, ADD_KEY)
    assert stale_client.get(ADD_KEY).status_code == 200


def test_security_key_ceremony_cannot_start(stale_client, default_totp):
    response = stale_client.post(REGISTER_OPTIONS, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "reauthenticate"
    assert challenges.SESSION_KEY not in stale_client.session

    reauthenticate(stale_client, default_totp)
    response = stale_client.post(REGISTER_OPTIONS, HTTP_ACCEPT="application/json")
    assert response.status_code == 200 and response.json()["challenge"]


def test_remove_device(stale_client, user_with_totp, default_totp, sent_events):
    spare = TOTPDevice.objects.create(user=user_with_totp, name="spare app")
    assert spare.persistent_id in stale_client.get(PROFILE).content.decode()
    asked = f"{REMOVE}?{urlencode({'device': spare.persistent_id})}"
    assert_walled(stale_client.post(REMOVE, {"device": spare.persistent_id}), asked, resubmit=True)
    assert_walled(stale_client.get(asked), asked)
    assert TOTPDevice.objects.filter(pk=spare.pk).exists()

    reauthenticate(stale_client, default_totp, PROFILE)
    response = stale_client.post(REMOVE, {"device": spare.persistent_id})
    assert response.status_code == 302 and response.url == PROFILE
    assert not TOTPDevice.objects.filter(pk=spare.pk).exists()
    removed = [extra for event, _device, extra in sent_events if event == events.DEVICE_REMOVED]
    assert removed == [{"device_id": spare.persistent_id, "device_name": "spare app",
                        "device_kind": "Token generator"}]


@pytest.mark.urls(__name__)
def test_function_views(stale_client, default_totp):
    assert_walled(stale_client.get("/sensitive/?a=1"), "/sensitive/?a=1")
    assert_walled(stale_client.post("/sensitive/"), "/sensitive/", resubmit=True)
    response = Client().get("/sensitive/")  # anonymous: left to login_required / otp_required
    assert response.content == b"done"
    reauthenticate(stale_client, default_totp)
    assert stale_client.get("/sensitive/").content == b"done"


@pytest.mark.urls(__name__)
def test_async_function_view(stale_client, default_totp):
    async_client = AsyncClient()
    async_client.cookies = stale_client.cookies
    get = async_to_sync(async_client.get)
    assert_walled(get("/sensitive-async/"), PROFILE)
    reauthenticate(stale_client, default_totp)
    async_client.cookies = stale_client.cookies
    assert get("/sensitive-async/").content == b"done"


# Removing one device


def test_remove_device_refuses_what_it_may_not_remove(verified_client, user_with_totp,
                                                      default_totp, backup_device, other_user):
    theirs = TOTPDevice.objects.create(user=other_user, name="spare")
    unconfirmed = TOTPDevice.objects.create(user=user_with_totp, name="new", confirmed=False)
    for value in (default_totp.persistent_id, backup_device.persistent_id, theirs.persistent_id,
                  unconfirmed.persistent_id, "otp_totp.totpdevice/999", "garbage", "x" * 300, ""):
        assert verified_client.post(REMOVE, {"device": value}).status_code == 404, value
        assert verified_client.get(REMOVE, {"device": value}).status_code == 404, value
    assert verified_client.get(REMOVE).status_code == 404
    assert TOTPDevice.objects.count() == 3


def test_a_device_removed_by_a_concurrent_request_is_told_of_once(user_with_totp, sent_events):
    # Two requests hold the same row; the second delete() finds it gone.
    spare = TOTPDevice.objects.create(user=user_with_totp, name="spare")
    stale = TOTPDevice.objects.get(pk=spare.pk)
    request = RequestFactory().post(REMOVE)
    request.user, request.session = user_with_totp, {}
    removal.remove_device(request, spare)
    removal.remove_device(request, stale)
    assert [event for event, _device, _extra in sent_events] == [events.DEVICE_REMOVED]


def test_removing_the_verifying_device_ends_the_verification(client, user_with_totp):
    spare = TOTPDevice.objects.create(user=user_with_totp, name="spare")
    login_verified(client, user_with_totp, spare)
    assert client.post(REMOVE, {"device": spare.persistent_id}).status_code == 302
    assert DEVICE_ID_SESSION_KEY not in client.session


# Which sign-ins count as recent


def test_a_fresh_sign_in_needs_no_reauthentication(client, user_with_totp, default_totp):
    post_password(client)
    assert post_token(client, totp_now(default_totp)).status_code == 302
    assert client.get(DISABLE).status_code == 200


def test_a_remembered_sign_in_needs_one(client, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600
    sign_in_remembering(client, default_totp)
    sign_out(client)
    assert post_password(client).status_code == 302  # the cookie skipped the token step
    assert client.get("/otp/status/").json()["verified"] is True
    assert reauth.VERIFIED_AT_SESSION_KEY not in client.session
    assert_walled(client.get(DISABLE), DISABLE)


def test_a_remembered_sign_in_over_another_users_session_needs_one(
        client, user_with_totp, default_totp, other_user, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600
    sign_in_remembering(client, default_totp)
    sign_out(client)
    client.force_login(other_user)  # bob's session in the same browser is flushed by the sign-in
    assert post_password(client).status_code == 302
    assert client.session[SESSION_KEY] == str(user_with_totp.pk)
    assert_walled(client.get(DISABLE), DISABLE)


def test_a_backup_token_sign_in_needs_no_reauthentication(client, user_with_totp, default_totp,
                                                          backup_device):
    post_password(client)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    assert post_token(client, "backup01", step="backup").status_code == 302
    assert client.get(DISABLE).status_code == 200


def test_any_senders_signal_counts_as_a_token(rf, user):
    """A site's own sender of ``user_verified`` (the documented arguments, or more) marks the
    session as recently verified."""
    requests = {}
    for case, extra in [("documented", {}), ("with more", {"remembered": True})]:
        request = requests[case] = rf.post("/account/login/", {"login_view-current_step": "auth"})
        request.session = {reauth.VERIFIED_AT_SESSION_KEY: 1}
        user_verified.send(sender="my_site.views", request=request, user=user, device=None,
                           **extra)
    assert requests["documented"].session[reauth.VERIFIED_AT_SESSION_KEY] > 1
    assert requests["with more"].session[reauth.VERIFIED_AT_SESSION_KEY] > 1


def test_the_signal_has_the_documented_arguments_only(client, user_with_totp, default_totp,
                                                      settings):
    """By token and by remember cookie alike: ``request``, ``user``, ``device``; the sign-in
    tells re-authentication itself that the cookie's is no recent proof."""
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600
    calls = []

    def receiver(sender, **kwargs):
        calls.append(sorted(kwargs))

    user_verified.connect(receiver)
    try:
        sign_in_remembering(client, default_totp)  # by token
        assert reauth.VERIFIED_AT_SESSION_KEY in client.session
        sign_out(client)
        post_password(client)  # by cookie
        assert reauth.VERIFIED_AT_SESSION_KEY not in client.session
    finally:
        user_verified.disconnect(receiver)
    assert calls == [["device", "request", "signal", "user"]] * 2


def test_the_setting_off_records_nothing(client, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = None
    post_password(client)
    post_token(client, totp_now(default_totp))
    assert reauth.VERIFIED_AT_SESSION_KEY not in client.session


@pytest.mark.parametrize("url", [DISABLE, BACKUP])
def test_setting_none_no_wall(stale_client, settings, url):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = None
    assert stale_client.get(url).status_code == 200


def test_within_the_age_no_wall(verified_client, monkeypatch):
    age_session(verified_client, AGE - 5)
    assert verified_client.get(DISABLE).status_code == 200


# The re-authentication page


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(REAUTH)
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor:login"))


def test_page_asks_for_the_default_device_and_says_why(stale_client, default_totp):
    page = stale_client.get(REAUTH, {"next": DISABLE, "resubmit": "1"})
    body = page.content.decode()
    assert page.status_code == 200
    assert page.context["device"] == default_totp
    assert 'name="otp_token"' in body and default_totp.persistent_id in body
    assert "this action needs a recent confirmation" in body
    assert "What you submitted was not saved" in body
    assert 'name="remember"' not in body
    assert "no-cache" in page["Cache-Control"]
    # The form carries ``next`` on, for a template whose form posts elsewhere.
    assert page.context["next"] == DISABLE
    assert f'<input type="hidden" name="next" value="{DISABLE}">' in body


def test_success_emits_reauthenticated(stale_client, default_totp, sent_events):
    before = stale_client.session.session_key
    response = reauthenticate(stale_client, default_totp, DISABLE)
    assert response.url == DISABLE
    assert stale_client.session.session_key == before  # already verified: the key stays
    assert [(event, device) for event, device, _extra in sent_events] == [
        (events.REAUTHENTICATED, default_totp)]
    assert abs(stale_client.session[reauth.VERIFIED_AT_SESSION_KEY] - time.time()) < 5


def test_a_token_works_once(stale_client, default_totp):
    token = totp_now(default_totp)
    assert reauthenticate(stale_client, default_totp, token=token).status_code == 302
    age_session(stale_client)
    response = reauthenticate(stale_client, default_totp, token=token)
    assert response.status_code == 200 and response.context["form"].errors


def test_bad_token_is_a_form_error(stale_client, default_totp, sent_events):
    response = reauthenticate(stale_client, default_totp, DISABLE, token="000000")
    assert response.status_code == 200
    assert response.context["form"].has_error("__all__", "invalid_token")
    assert [event for event, _d, _e in sent_events] == [events.VERIFICATION_FAILED]
    assert_walled(stale_client.get(DISABLE), DISABLE)
    assert stale_client.get("/otp/status/").json()["verified"] is True  # still verified


def test_throttled_device_refuses_even_a_good_token(stale_client, default_totp, sent_events):
    reauthenticate(stale_client, default_totp, token="000000")
    response = reauthenticate(stale_client, default_totp)  # right token, within the delay
    assert response.status_code == 200
    assert response.context["form"].has_error("__all__", "n_failed_attempts")
    assert [event for event, _d, _e in sent_events] == [events.VERIFICATION_FAILED,
                                                        events.THROTTLED]
    assert_walled(stale_client.get(DISABLE), DISABLE)


def test_empty_token_is_no_attempt(stale_client, default_totp, sent_events):
    response = stale_client.post(REAUTH, {"device": default_totp.persistent_id, "otp_token": ""})
    assert response.status_code == 200 and response.context["form"].errors
    assert sent_events == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "http://testserver.evil.example/"])
def test_off_site_next_is_ignored(stale_client, default_totp, target):
    assert stale_client.get(REAUTH, {"next": target}).context["next"] == ""
    response = reauthenticate(stale_client, default_totp, target)
    assert response.status_code == 302 and response.url == PROFILE


def test_another_users_device_is_refused(stale_client, default_totp, other_user):
    theirs = TOTPDevice.objects.create(user=other_user, name="default")
    for field in ("device", "challenge_device"):
        response = stale_client.post(REAUTH, {field: theirs.persistent_id,
                                              "otp_token": totp_now(theirs)})
        assert response.status_code == 400
        assert response.context["device"] == default_totp
    assert_walled(stale_client.get(DISABLE), DISABLE)


def test_another_device_of_the_user(stale_client, user_with_totp, default_totp):
    spare = TOTPDevice.objects.create(user=user_with_totp, name="spare")
    page = stale_client.get(REAUTH)
    assert spare in page.context["other_devices"]
    page = stale_client.post(REAUTH, {"challenge_device": spare.persistent_id})
    assert page.status_code == 200 and page.context["device"] == spare
    assert reauthenticate(stale_client, spare, DISABLE).url == DISABLE


def test_backup_token(stale_client, default_totp, backup_device):
    page = stale_client.get(REAUTH)
    assert page.context["backup_tokens"] == 3
    assert "Other ways to confirm" in page.content.decode()
    assert 'name="use_backup" value="1"' in page.content.decode()
    page = stale_client.post(REAUTH, {"use_backup": "1"})
    assert page.context["backup"] is True and page.context["device"] == backup_device
    response = reauthenticate(stale_client, backup_device, DISABLE, token="backup02")
    assert response.url == DISABLE
    assert not backup_device.token_set.filter(token="backup02").exists()


def test_a_backup_token_is_told_of_as_at_sign_in(stale_client, default_totp, backup_device,
                                                 sent_events):
    reauthenticate(stale_client, backup_device, token="nope0000")  # refused: not told of
    backup_device.throttle_reset()
    assert reauthenticate(stale_client, backup_device, DISABLE, token="backup02").url == DISABLE
    assert [(event, device) for event, device, _extra in sent_events] == [
        (events.VERIFICATION_FAILED, backup_device), (events.BACKUP_TOKEN_USED, backup_device),
        (events.REAUTHENTICATED, backup_device)]


def test_a_backup_token_given_as_any_token_is_told_of(client, user, backup_device, sent_events):
    """A user whose only device is their backup tokens: the page takes any token of theirs."""
    login_verified(client, user, backup_device)
    age_session(client)
    assert client.post(REAUTH, {"otp_token": "backup03", "next": DISABLE}).url == DISABLE
    assert [event for event, _device, _extra in sent_events] == [
        events.BACKUP_TOKEN_USED, events.REAUTHENTICATED]


def test_another_static_device_is_no_backup_device(stale_client, user_with_totp, default_totp,
                                                   backup_device, other_user, sent_events):
    spare = StaticDevice.objects.create(user=user_with_totp, name="spare")
    spare.token_set.create(token="spare001")
    theirs = StaticDevice.objects.create(user=other_user, name="backup")
    unconfirmed = StaticDevice(user=user_with_totp, name="backup", confirmed=False)
    assert is_backup_device(user_with_totp, backup_device)
    for device in (spare, theirs, unconfirmed, default_totp, None):
        assert not is_backup_device(user_with_totp, device)
    # Neither the sign-in nor this page takes a token of ``spare``.
    assert reauthenticate(stale_client, spare, token="spare001").status_code == 400
    assert sent_events == []


@pytest.mark.parametrize("used_up", [False, True])
def test_no_backup_tokens_left(stale_client, default_totp, backup_device, used_up):
    """No backup device, or one whose tokens are all used: the page stays on the device."""
    if used_up:
        backup_device.token_set.all().delete()
    else:
        backup_device.delete()
    page = stale_client.post(REAUTH, {"use_backup": "1"})
    assert page.context["device"] == default_totp and page.context["backup"] is False
    assert "no backup tokens left" in page.content.decode()


def test_a_password_only_session_becomes_verified(client, user_with_totp, default_totp):
    login_password_only(client, user_with_totp)
    before = client.session.session_key
    response = reauthenticate(client, default_totp, DISABLE)
    assert response.url == DISABLE
    assert client.session.session_key != before
    assert client.session[DEVICE_ID_SESSION_KEY] == default_totp.persistent_id
    assert client.get(DISABLE).status_code == 200


# The password, for a user without a device


@pytest.fixture
def stale_password_client(client, user):
    login_password_only(client, user)
    age_session(client)
    return client


def test_wrong_password_is_a_form_error(stale_password_client, sent_events):
    response = stale_password_client.post(REAUTH, {"password": "wrong", "next": SETUP})
    assert response.status_code == 200
    assert response.context["form"].has_error("password", "invalid_password")
    assert [event for event, _d, _e in sent_events] == [events.VERIFICATION_FAILED]
    assert_walled(stale_password_client.get(SETUP), SETUP)


def test_too_many_wrong_passwords_sign_out(stale_password_client, sent_events):
    for _attempt in range(reauth.MAX_PASSWORD_FAILURES - 1):
        assert stale_password_client.post(REAUTH, {"password": "wrong"}).status_code == 200
    response = stale_password_client.post(REAUTH, {"password": "wrong"})
    assert response.status_code == 302 and response.url == reverse("two_factor:login")
    assert SESSION_KEY not in stale_password_client.session
    assert sent_events[-1][0] == events.THROTTLED


def test_right_password_resets_the_count(stale_password_client, sent_events):
    stale_password_client.post(REAUTH, {"password": "wrong"})
    before = stale_password_client.session.session_key
    response = stale_password_client.post(REAUTH, {"password": PASSWORD})
    assert response.status_code == 302 and response.url == PROFILE
    session = stale_password_client.session
    assert reauth.PASSWORD_FAILURES_SESSION_KEY not in session
    assert session.session_key != before
    assert sent_events[-1][0] == events.REAUTHENTICATED
    assert stale_password_client.get(SETUP).status_code == 200


# A password login elsewhere on the site is no proof for a user with a device


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("login_url", ["/accounts/login/", "/admin/login/"])
def test_a_password_login_over_a_verified_session_is_no_recent_proof(
        client, user_with_totp, default_totp, login_url):
    """Someone at the owner's unlocked, verified session who knows the password signs in with
    it on another login page of the site: Django keeps the session (same user), so it stays
    verified; the password must not make it count as recently verified."""
    user_with_totp.is_staff = True  # for the admin's login page (not patched in the tests)
    user_with_totp.save()
    login_verified(client, user_with_totp, default_totp)
    age_session(client)
    assert client.get(DISABLE).url.startswith(REAUTH)
    response = client.post(login_url, {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302 and client.session[DEVICE_ID_SESSION_KEY]
    assert client.get(DISABLE).url.startswith(REAUTH)
    assert client.get(BACKUP).url.startswith(REAUTH)


@pytest.mark.urls(__name__)
def test_a_password_login_still_counts_for_a_user_without_a_device(client, user):
    client.force_login(user)
    age_session(client)
    assert client.get("/sensitive/").url.startswith(REAUTH)
    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert client.get("/sensitive/").content == b"done"


def test_a_login_with_password_and_token_in_one_form_counts(client, user_with_totp,
                                                            default_totp):
    """django_otp's own forms check the token with the password (``user.otp_device``)."""
    login_verified(client, user_with_totp, default_totp)
    age_session(client)
    response = client.post("/otp/login/", {
        "username": "alice", "password": PASSWORD,
        "otp_device": default_totp.persistent_id, "otp_token": totp_now(default_totp)})
    assert response.status_code == 302
    assert client.get(DISABLE).status_code == 200
