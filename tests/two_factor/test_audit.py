"""The audit log: security events as rows of ``SecurityEvent``, on the profile and in the admin."""

import datetime
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor import events
from two_factor.flows.audit import (
    device_fields,
    json_safe,
    record_event,
    token_failure_event,
)
from two_factor.flows.clients import browser_label, client_ip, user_agent
from two_factor.models import SecurityEvent
from two_factor.signals import security_event

from .conftest import BROWSER_AGENT as AGENT
from .conftest import BROWSER_IP as IP
from .conftest import login_verified
from .test_login import post_password, post_token
from .test_setup import post_step, to_generator, totp_token

PROFILE = reverse("two_factor:profile")


@pytest.fixture(autouse=True)
def audit_on(settings):
    settings.TWO_FACTOR_AUDIT_LOG = True



def rows(user=None):
    queryset = SecurityEvent.objects.order_by("id")
    if user is not None:
        queryset = queryset.filter(user=user)
    return list(queryset)


def kinds(user=None):
    return [row.event for row in rows(user)]


def wrong(token):
    return f"{(int(token) + 1) % 1000000:06d}"


def wait_out_throttling(device):
    """As if the user waited: the delay after the last failure is over."""
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=60))


# The sign-in


def test_full_sign_in_with_one_failure(browser, user_with_totp, default_totp):
    post_password(browser)
    token = totp_now(default_totp)
    assert post_token(browser, wrong(token)).status_code == 200
    wait_out_throttling(default_totp)
    assert post_token(browser, token).status_code == 302
    assert [(row.event, row.user, row.device_id, row.device_name, row.ip, row.user_agent)
            for row in rows()] == [
        (events.VERIFICATION_FAILED, user_with_totp, default_totp.persistent_id, "default", IP, AGENT),
        (events.VERIFIED, user_with_totp, default_totp.persistent_id, "default", IP, AGENT),
    ]


def test_a_wrong_password_is_no_event(browser, user_with_totp):
    post_password(browser, password="wrong")
    assert rows() == []


def test_an_empty_token_is_no_event(browser, user_with_totp):
    post_password(browser)
    post_token(browser, "")
    assert rows() == []


def test_throttled(browser, user_with_totp, default_totp, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a window no slow machine passes between two posts
    post_password(browser)
    token = totp_now(default_totp)
    post_token(browser, wrong(token))
    response = post_token(browser, token)  # right, but too soon after the failure
    assert "Verification temporarily disabled" in response.content.decode()
    assert kinds() == [events.VERIFICATION_FAILED, events.THROTTLED]
    assert rows()[1].device_id == default_totp.persistent_id


def test_backup_token_use(browser, user_with_totp, default_totp, backup_device):
    post_password(browser)
    browser.post(reverse("two_factor:login"),
                 {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    post_token(browser, "nope0000", step="backup")
    wait_out_throttling(backup_device)
    assert post_token(browser, "backup02", step="backup").status_code == 302
    assert [(row.event, row.device_id) for row in rows()] == [
        (events.VERIFICATION_FAILED, backup_device.persistent_id),
        (events.BACKUP_TOKEN_USED, backup_device.persistent_id),
        (events.VERIFIED, backup_device.persistent_id),
    ]


def test_backup_token_use_on_reauthentication(browser, user_with_totp, default_totp,
                                              backup_device, settings):
    settings.TWO_FACTOR_REAUTHENTICATION_AGE = 300
    login_verified(browser, user_with_totp, default_totp)
    response = browser.post(reverse("two_factor:reauthenticate"),
                            {"device": backup_device.persistent_id, "otp_token": "backup01"})
    assert response.status_code == 302
    assert [(row.event, row.device_id) for row in rows()] == [
        (events.BACKUP_TOKEN_USED, backup_device.persistent_id),
        (events.REAUTHENTICATED, backup_device.persistent_id),
    ]


def test_remember_cookie_used(browser, user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600
    post_password(browser)
    post_token(browser, totp_now(default_totp), **{"token-remember": "on"})
    kept = {name: morsel.value for name, morsel in browser.cookies.items()
            if name.startswith("remember-cookie_")}
    browser.logout()
    for name, value in kept.items():
        browser.cookies[name] = value
    SecurityEvent.objects.all().delete()
    assert post_password(browser).status_code == 302  # no token step
    assert [(row.event, row.device_id, row.ip) for row in rows()] == [
        (events.REMEMBER_COOKIE_USED, default_totp.persistent_id, IP),
        (events.VERIFIED, default_totp.persistent_id, IP),
    ]


# Devices


def test_device_added_through_the_setup_wizard(browser, user):
    browser.force_login(user)
    key = to_generator(browser)
    assert post_step(browser, "generator", {"token": totp_token(key)}).status_code == 302
    device = TOTPDevice.objects.get(user=user)
    [row] = rows()
    assert (row.event, row.device_id, row.device_name, row.ip) == (
        events.DEVICE_ADDED, device.persistent_id, "default", IP)


def test_disabled(browser, user_with_totp, default_totp, backup_device):
    login_verified(browser, user_with_totp, default_totp)
    response = browser.post(reverse("two_factor:disable"), {"understand": "on"})
    assert response.status_code == 302
    [row] = rows()
    assert (row.event, row.user, row.extra, row.ip) == (
        events.TWO_FACTOR_DISABLED, user_with_totp, {"devices": 2}, IP)


def test_disabled_by_the_command(user_with_totp):
    call_command("two_factor_disable", "alice", stdout=open("/dev/null", "w"))
    [row] = rows()
    assert (row.event, row.ip, row.user_agent, row.extra) == (
        events.TWO_FACTOR_DISABLED, None, "", {"devices": 1, "source": "command"})


# Off


def sign_in_queries(client, device):
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # the same token, once more
    post_password(client)
    with CaptureQueriesContext(connection) as queries:
        assert post_token(client, totp_now(device)).status_code == 302
    client.logout()
    return len(queries)


def test_off_writes_nothing_and_costs_no_query(user_with_totp, default_totp, settings):
    settings.TWO_FACTOR_AUDIT_LOG = False
    off = sign_in_queries(Client(), default_totp)
    assert rows() == []
    receivers = security_event.receivers
    security_event.receivers = []  # no receiver at all: the cost of the sign-in itself
    security_event.sender_receivers_cache.clear()
    try:
        bare = sign_in_queries(Client(), default_totp)
    finally:
        security_event.receivers = receivers
        security_event.sender_receivers_cache.clear()
    settings.TWO_FACTOR_AUDIT_LOG = True
    on = sign_in_queries(Client(), default_totp)
    assert off == bare
    assert on == off + 1  # the one INSERT of VERIFIED
    assert kinds() == [events.VERIFIED]


# The profile


def test_profile_shows_the_users_events_only(browser, user_with_totp, default_totp, other_user):
    SecurityEvent.objects.create(user=other_user, event=events.DEVICE_ADDED, ip="198.51.100.99",
                                 device_name="bobs-phone")
    post_password(browser)
    post_token(browser, totp_now(default_totp))
    response = browser.get(PROFILE)
    page = response.content.decode()
    assert "Recent security events" in page
    assert "Signed in with two factors" in page and IP in page and "Firefox / Linux" in page
    assert "198.51.100.99" not in page and "bobs-phone" not in page
    assert [event.event for event in response.context["security_events"]] == [events.VERIFIED]


def test_profile_events_cost_one_query(user_with_totp, default_totp, settings,
                                       django_assert_num_queries):
    client = Client()
    login_verified(client, user_with_totp, default_totp)
    with CaptureQueriesContext(connection) as on:
        client.get(PROFILE)
    settings.TWO_FACTOR_AUDIT_LOG = False
    with CaptureQueriesContext(connection) as off:
        page = client.get(PROFILE).content.decode()
    assert len(on) == len(off) + 1
    assert "Recent security events" not in page


def test_profile_shows_at_most_twenty(client, user_with_totp, default_totp):
    SecurityEvent.objects.bulk_create(
        SecurityEvent(user=user_with_totp, event=events.VERIFIED) for _ in range(25))
    login_verified(client, user_with_totp, default_totp)
    assert len(client.get(PROFILE).context["security_events"]) == 20


# The admin


@pytest.fixture
def admin_client_(make_user):
    superuser = make_user("root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(superuser)
    return client


def test_admin_lists_events_read_only(admin_client_, user):
    event = SecurityEvent.objects.create(user=user, event=events.DEVICE_ADDED, ip=IP,
                                         user_agent=AGENT, device_name="phone")
    changelist = reverse("admin:two_factor_securityevent_changelist")
    page = admin_client_.get(changelist)
    assert page.status_code == 200
    assert "Device added" in page.content.decode() and IP in page.content.decode()
    assert admin_client_.get(changelist, {"event__exact": events.VERIFIED}).context["cl"].result_count == 0
    assert admin_client_.get(changelist, {"q": "alice"}).context["cl"].result_count == 1
    assert admin_client_.get(changelist, {"q": IP}).context["cl"].result_count == 1
    assert admin_client_.get(reverse("admin:two_factor_securityevent_add")).status_code == 403
    change = reverse("admin:two_factor_securityevent_change", args=[event.pk])
    view = admin_client_.get(change)
    assert view.status_code == 200 and not view.context["has_change_permission"]
    admin_client_.post(change, {"event": events.VERIFIED})
    delete = reverse("admin:two_factor_securityevent_delete", args=[event.pk])
    assert admin_client_.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert event.event == events.DEVICE_ADDED


# The receiver and its helpers


def test_no_row_without_a_user(rf=RequestFactory()):
    request = rf.get("/", REMOTE_ADDR=IP)
    request.user = AnonymousUser()
    events.emit(request, events.VERIFICATION_FAILED)
    assert record_event(None, request=request, user=None, event=events.VERIFIED) is None


def test_record_event_with_a_removed_device_named_in_extra(user):
    row = record_event(None, user=user, event=events.DEVICE_REMOVED,
                       extra={"device_id": "otp_totp.totpdevice/9", "device_name": "old phone"})
    assert (row.device_id, row.device_name, row.ip, row.user_agent) == (
        "otp_totp.totpdevice/9", "old phone", None, "")


def test_device_fields(default_totp):
    assert device_fields(None) == ("", "")
    assert device_fields(default_totp) == (default_totp.persistent_id, "default")
    assert device_fields(TOTPDevice(name="x" * 100)) == ("", "x" * 64)


def test_extra_is_made_json_safe(user):
    extra = {"when": timezone.now(), "label": events.LABELS[events.VERIFIED], "odd": object()}
    safe = json_safe(extra)
    assert json.dumps(safe) and safe["label"] == "Signed in with two factors"
    row = record_event(None, user=user, event=events.VERIFIED, extra=extra)
    row.refresh_from_db()
    assert row.extra["label"] == "Signed in with two factors"


@pytest.mark.parametrize(("meta", "ip", "agent"), [
    ({"REMOTE_ADDR": "2001:db8::1", "HTTP_USER_AGENT": "x" * 400}, "2001:db8::1", "x" * 255),
    ({"REMOTE_ADDR": "not-an-ip"}, None, ""),
    ({"REMOTE_ADDR": IP, "HTTP_X_FORWARDED_FOR": "192.0.2.1"}, IP, ""),  # never believed
])
def test_client_ip_and_agent(meta, ip, agent):
    request = RequestFactory().get("/", **meta)
    assert (client_ip(request), user_agent(request)) == (ip, agent)
    assert (client_ip(None), user_agent(None)) == (None, "")


@pytest.mark.parametrize(("agent", "label"), [
    (AGENT, "Firefox / Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0", "Edge / Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari / iOS"),
    ("curl/8.5.0", "curl/8.5.0"),
    ("", ""),
])
def test_browser_label(agent, label):
    assert browser_label(agent) == label


def test_token_failure_event_never_validates_a_form(user_with_totp, default_totp):
    from two_factor.forms import AuthenticationTokenForm

    form = AuthenticationTokenForm(user_with_totp, default_totp, data={"otp_token": "000000"})
    assert token_failure_event(form) is None  # not validated: no event, no token used
    assert not hasattr(form, "cleaned_data")
    assert not form.is_valid()
    assert token_failure_event(form) == events.VERIFICATION_FAILED
    assert token_failure_event(None) is None
    assert token_failure_event(AuthenticationTokenForm(user_with_totp, default_totp)) is None


def test_prune_command(user, settings):
    old = SecurityEvent.objects.create(user=user, event=events.VERIFIED,
                                       time=timezone.now() - datetime.timedelta(days=40))
    new = SecurityEvent.objects.create(user=user, event=events.VERIFIED)
    call_command("two_factor_prune_events", "--days", "30", stdout=open("/dev/null", "w"))
    assert list(SecurityEvent.objects.values_list("pk", flat=True)) == [new.pk]
    assert not SecurityEvent.objects.filter(pk=old.pk).exists()


# Every event kind reaches a receiver; which view sends it


def _sign_in(client, device, **extra):
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    post_password(client)
    return post_token(client, totp_now(device), **extra)


def _wrong_token(client, device):
    post_password(client)
    post_token(client, wrong(totp_now(device)))


def _throttled(client, device):
    _wrong_token(client, device)
    post_token(client, totp_now(device))


def _backup_token(client, device):
    from django_otp.plugins.otp_static.models import StaticDevice

    StaticDevice.objects.create(user=device.user, name="backup").token_set.create(token="backup09")
    post_password(client)
    client.post(reverse("two_factor:login"),
                {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    post_token(client, "backup09", step="backup")


def _remember_cookie(client, device, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600
    _sign_in(client, device, **{"token-remember": "on"})
    kept = {name: morsel.value for name, morsel in client.cookies.items()
            if name.startswith("remember-cookie_")}
    client.logout()
    for name, value in kept.items():
        client.cookies[name] = value
    post_password(client)


def _device_added(client, device):
    device.delete()
    client.force_login(device.user)
    key = to_generator(client)
    post_step(client, "generator", {"token": totp_token(key)})


def _device_removed(client, device):
    from two_factor.plugins.phonenumber.models import PhoneDevice

    phone = PhoneDevice.objects.create(user=device.user, name="backup", number="+31101234567",
                                       method="sms")
    login_verified(client, device.user, device)
    client.post(reverse("two_factor:phone_delete", args=[phone.pk]))


def _disabled(client, device):
    login_verified(client, device.user, device)
    client.post(reverse("two_factor:disable"), {"understand": "on"})


def _backup_tokens_generated(client, device):
    login_verified(client, device.user, device)
    client.post(reverse("two_factor:backup_tokens"))


def _reauthenticated(client, device):
    login_verified(client, device.user, device)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
    client.post(reverse("two_factor:reauthenticate"), {"otp_token": totp_now(device)})


def _trusted_browser_revoked(client, device):
    from two_factor.models import TrustedBrowser

    browser = TrustedBrowser.objects.create(user=device.user, device_id=device.persistent_id)
    login_verified(client, device.user, device)
    client.post(reverse("two_factor:trusted_browser_revoke", args=[browser.key]))


def _logged_out_everywhere(client, device):
    login_verified(client, device.user, device)
    client.post(reverse("two_factor:logout_everywhere"))


#: Each event, and what a user does to cause it (the view in the comment).
CAUSES = {
    events.VERIFIED: _sign_in,  # LoginView, token step
    events.VERIFICATION_FAILED: _wrong_token,  # LoginView, token step
    events.THROTTLED: _throttled,  # LoginView, token step
    events.BACKUP_TOKEN_USED: _backup_token,  # LoginView, backup step
    events.REMEMBER_COOKIE_USED: _remember_cookie,  # LoginView, password step with a cookie
    events.DEVICE_ADDED: _device_added,  # SetupView
    events.DEVICE_REMOVED: _device_removed,  # PhoneDeleteView
    events.TWO_FACTOR_DISABLED: _disabled,  # DisableView
    events.BACKUP_TOKENS_GENERATED: _backup_tokens_generated,  # BackupTokensView
    events.REAUTHENTICATED: _reauthenticated,  # ReauthenticateView
    events.TRUSTED_BROWSER_REVOKED: _trusted_browser_revoked,  # TrustedBrowserRevokeView
    events.LOGGED_OUT_EVERYWHERE: _logged_out_everywhere,  # LogoutEverywhereView
}


def test_every_event_has_a_cause():
    assert set(CAUSES) == set(events.EVENTS)


@pytest.mark.parametrize("event", events.EVENTS)
def test_a_receiver_sees_the_event(event, browser, user_with_totp, default_totp, settings):
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender, kwargs["event"], kwargs["user"], kwargs["request"] is not None))

    security_event.connect(receiver)
    try:
        cause = CAUSES[event]
        if "settings" in cause.__code__.co_varnames:
            cause(browser, default_totp, settings)
        else:
            cause(browser, default_totp)
    finally:
        security_event.disconnect(receiver)
    assert (event, event, user_with_totp, True) in seen
    assert event in kinds(user_with_totp)  # and the audit log kept it


def test_a_user_agent_with_nul_bytes_is_recorded_without_them(user_with_totp, default_totp):
    # PostgreSQL refuses NUL in text: the sign-in would fail at its audit row.
    client = Client(HTTP_USER_AGENT="Mozilla\x00/5.0\x00", REMOTE_ADDR=IP)
    post_password(client)
    assert post_token(client, totp_now(default_totp)).status_code == 302
    assert SecurityEvent.objects.get(event=events.VERIFIED).user_agent == "Mozilla/5.0"
