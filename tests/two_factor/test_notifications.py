"""Notification emails: the user hears of devices added or removed and of 2FA turned off."""

import logging
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import totp_now
from two_factor import events
from two_factor.flows.notify import notify_user
from two_factor.plugins.phonenumber.models import PhoneDevice

from .conftest import BROWSER_IP as IP
from .conftest import login_verified
from .test_login import post_password, post_token
from .test_setup import post_step, to_generator, totp_token


@pytest.fixture(autouse=True)
def notify_on(settings):
    settings.TWO_FACTOR_NOTIFY_EMAIL = True



@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run the on-commit callbacks of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_device_added_through_the_setup_wizard(browser, user, commits):
    browser.force_login(user)
    key = to_generator(browser)
    with commits():
        assert post_step(browser, "generator", {"token": totp_token(key)}).status_code == 302
    [sent] = mail.outbox
    assert sent.to == ["alice@example.com"]
    assert sent.subject == "Security notice: Device added"
    assert "\n" not in sent.subject
    body = sent.body
    assert "Hello alice," in body
    assert "has changed: Device added." in body
    assert "Device: Token generator" in body and f"IP address: {IP}" in body
    assert "Browser: Firefox / Linux" in body
    assert "If this was not you" in body and "Change your password" in body
    assert "&" not in body and "<" not in body  # plain text, nothing escaped


def test_disabled(browser, user_with_totp, default_totp, commits):
    login_verified(browser, user_with_totp, default_totp)
    with commits():
        browser.post(reverse("two_factor:disable"), {"understand": "on"})
    [sent] = mail.outbox
    assert sent.subject == "Security notice: Two-factor authentication disabled"
    assert not TOTPDevice.objects.exists()


def test_the_notice_does_not_carry_a_user_agent_it_does_not_know(client, user_with_totp,
                                                                 default_totp, commits):
    """Whoever made the change chose the header: its words must not reach the owner."""
    login_verified(client, user_with_totp, default_totp)
    words = "Support team at your request - no action needed"
    with commits():
        client.post(reverse("two_factor:disable"), {"understand": "on"}, HTTP_USER_AGENT=words)
    [sent] = mail.outbox
    assert words not in sent.body
    assert "Browser: an unknown browser" in sent.body


@pytest.mark.parametrize(("model", "kind"), [
    (TOTPDevice, "Token generator"),  # its method's name
    (HOTPDevice, "HOTP device"),  # no method knows it: its model's name
])
def test_the_notice_does_not_carry_the_name_given_to_the_device(client, user_with_totp, default_totp,
                                                                commits, model, kind):
    """An intruder who adds a device names it: that name must not speak to the owner either."""
    login_verified(client, user_with_totp, default_totp)
    words = "Added by the IT desk, ignore this"
    with commits():
        device = model.objects.create(user=user_with_totp, name=words)
        events.emit(None, events.DEVICE_ADDED, user=user_with_totp, device=device)
    [sent] = mail.outbox
    assert words not in sent.body and f"Device: {kind}" in sent.body


def test_backup_phone_removed(browser, user_with_totp, default_totp, commits):
    phone = PhoneDevice.objects.create(user=user_with_totp, name="backup", number="+31101234567",
                                       method="sms")
    login_verified(browser, user_with_totp, default_totp)
    with commits():
        response = browser.post(reverse("two_factor:phone_delete", args=[phone.pk]))
    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.subject == "Security notice: Device removed"
    assert "Device: Text message" in sent.body  # its kind: not a name the user or anyone chose


def test_the_mail_waits_for_the_commit(user, commits):
    with transaction.atomic():
        events.emit(None, events.DEVICE_ADDED, user=user)
        assert mail.outbox == []
    with pytest.raises(RuntimeError), transaction.atomic():  # noqa: PT012
        events.emit(None, events.DEVICE_ADDED, user=user)
        raise RuntimeError("rolled back")
    with commits():
        events.emit(None, events.DEVICE_REMOVED, user=user, device_name="old phone",
                    device_kind="Phone call")
    [sent] = mail.outbox
    assert sent.subject == "Security notice: Device removed"
    assert "Device: Phone call" in sent.body and "IP address" not in sent.body
    assert "old phone" not in sent.body


def test_a_removal_told_by_the_device_id_alone_names_its_kind(user, commits):
    with commits():
        events.emit(None, events.DEVICE_REMOVED, user=user, device_name="old app",
                    device_id="otp_totp.totpdevice/7")
        events.emit(None, events.DEVICE_REMOVED, user=user, device_name="gone", device_id="junk/x")
    first, second = mail.outbox
    assert "Device: TOTP device" in first.body and "old app" not in first.body
    assert "Device:" not in second.body


@pytest.mark.parametrize("event", [event for event in events.EVENTS if event not in (
    events.DEVICE_ADDED, events.DEVICE_REMOVED, events.TWO_FACTOR_DISABLED)])
def test_other_events_send_nothing(user, commits, event):
    with commits():
        events.emit(None, event, user=user)
    assert mail.outbox == []


def test_a_sign_in_sends_nothing(browser, user_with_totp, default_totp, commits):
    with commits():
        post_password(browser)
        post_token(browser, totp_now(default_totp))
    assert mail.outbox == []


def test_off_sends_nothing(browser, user_with_totp, default_totp, settings, commits):
    settings.TWO_FACTOR_NOTIFY_EMAIL = False
    login_verified(browser, user_with_totp, default_totp)
    with commits():
        browser.post(reverse("two_factor:disable"), {"understand": "on"})
    assert mail.outbox == []


def test_no_address_no_mail(browser, user_with_totp, default_totp, commits):
    user_with_totp.email = ""
    user_with_totp.save()
    login_verified(browser, user_with_totp, default_totp)
    with commits():
        browser.post(reverse("two_factor:disable"), {"understand": "on"})
    assert mail.outbox == []


def test_no_user_no_mail(commits, rf):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    with commits():
        events.emit(request, events.DEVICE_ADDED)
        notify_user(None, request=None, user=None, event=events.DEVICE_ADDED)
    assert mail.outbox == []


def test_a_mail_failure_is_logged_not_a_500(browser, user_with_totp, default_totp, commits, caplog):
    login_verified(browser, user_with_totp, default_totp)
    with mock.patch("two_factor.flows.notify.send_mail", side_effect=OSError("down")), \
            caplog.at_level(logging.ERROR, logger="two_factor"), commits():
        response = browser.post(reverse("two_factor:disable"), {"understand": "on"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.exists()  # the change is done all the same
    assert "Could not send a security notice to alice@example.com" in caplog.text


def test_a_broken_template_is_logged(user, commits, caplog, settings):
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "APP_DIRS": False, "DIRS": []}]
    with caplog.at_level(logging.ERROR, logger="two_factor"), commits():
        events.emit(None, events.DEVICE_ADDED, user=user)
    assert mail.outbox == []
    assert "Could not write the security notice device_added" in caplog.text
