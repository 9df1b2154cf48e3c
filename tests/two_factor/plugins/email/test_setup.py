"""Setting up email as the default method through the setup wizard (tokens from mail.outbox)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.test_utils import frozen_now

from ...conftest import login_password_only
from .conftest import ADDRESS, MASKED, mailed

SETUP = "/account/two_factor/setup/"
COMPLETE = "/account/two_factor/setup/complete/"


def post_step(client, step, data=None, **extra):
    payload = {"setup_view-current_step": step, **extra}
    payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
    return client.post(SETUP, payload)


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


@pytest.fixture
def setup_client(client, user):
    login_password_only(client, user)
    return client


def choose_email(client):
    """Through the welcome and method steps, choosing email: the response of the method step
    (the validation step, or the address step for an account without an address)."""
    assert current_step(client.get(SETUP)) == "welcome"
    assert current_step(post_step(client, "welcome")) == "method"
    return post_step(client, "method", {"method": "email"})


def test_email_is_offered(setup_client):
    setup_client.get(SETUP)
    response = post_step(setup_client, "welcome")
    assert ("email", "Email") in [(code, str(name)) for code, name in
                                  response.context["wizard"]["form"].fields["method"].choices]


def test_setup_sends_to_the_account_address_at_once(setup_client, user, mailoutbox):
    """As in the old package: no address step, the token is mailed once email is chosen."""
    response = choose_email(setup_client)
    assert current_step(response) == "validation"
    [(recipient, token)] = mailed()
    assert recipient == ADDRESS
    page = response.content.decode()
    assert MASKED in page and ADDRESS not in page and token not in page
    pending = EmailDevice.objects.get(user=user)
    assert (pending.name, pending.confirmed) == ("default", False)

    response = post_step(setup_client, "validation", {"token": token})
    assert response.status_code == 302 and response["Location"] == COMPLETE
    device = EmailDevice.objects.get(user=user)
    assert (device.pk, device.name, device.confirmed, device.email) == (
        pending.pk, "default", True, None)
    assert device.token is None  # used up
    assert otp_status(setup_client) == {"authenticated": True, "verified": True,
                                        "device": device.persistent_id}
    assert len(mailoutbox) == 1


def test_account_without_address_enters_one_which_becomes_the_accounts(setup_client, user,
                                                                      mailoutbox):
    user.email = ""
    user.save()
    assert current_step(choose_email(setup_client)) == "email"
    response = post_step(setup_client, "email", {"email": ""})
    assert current_step(response) == "email"
    assert "Your account has no email address" in response.content.decode()
    assert mailoutbox == [] and not EmailDevice.objects.exists()

    response = post_step(setup_client, "email", {"email": "alice.work@Corp.example.net"})
    assert current_step(response) == "validation"
    [(recipient, token)] = mailed()
    assert recipient == "alice.work@corp.example.net"
    assert "alice.work@corp.example.net" not in response.content.decode()
    user.refresh_from_db()
    assert user.email == ""  # not before a token sent there has come back
    assert post_step(setup_client, "validation", {"token": token}).status_code == 302
    user.refresh_from_db()
    assert user.email == "alice.work@corp.example.net"  # as the old package kept it
    assert EmailDevice.objects.get(user=user, confirmed=True).email is None


def test_wrong_token_is_a_form_error(setup_client, user):
    choose_email(setup_client)
    [(_recipient, token)] = mailed()
    wrong = "000000" if token != "000000" else "111111"
    response = post_step(setup_client, "validation", {"token": wrong})
    assert current_step(response) == "validation"
    assert response.context["wizard"]["form"].errors["token"]
    assert not EmailDevice.objects.filter(confirmed=True).exists()
    assert otp_status(setup_client)["verified"] is False


def test_expired_token_is_refused(setup_client, user, settings):
    settings.OTP_EMAIL_TOKEN_VALIDITY = 60
    choose_email(setup_client)
    [(_recipient, token)] = mailed()
    with frozen_now(timezone.now() + timedelta(seconds=61)):
        response = post_step(setup_client, "validation", {"token": token})
    assert current_step(response) == "validation"
    assert not EmailDevice.objects.filter(confirmed=True).exists()


def test_sending_again_within_the_cooldown_sends_nothing_and_says_when(setup_client, user,
                                                                       settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    choose_email(setup_client)
    assert len(mailed()) == 1
    # Back to the method, and on again: a new device, but no second mail so soon.
    response = post_step(setup_client, "validation", wizard_goto_step="method")
    assert current_step(response) == "method"
    response = post_step(setup_client, "method", {"method": "email"})
    assert current_step(response) == "validation"
    assert len(mailed()) == 1
    assert "You can ask for a new one at" in response.content.decode()
    assert EmailDevice.objects.filter(user=user).count() == 1  # the first one was discarded

    # After the cooldown the step sends again, and that token works.
    with frozen_now(timezone.now() + timedelta(seconds=61)):
        post_step(setup_client, "validation", wizard_goto_step="method")
        response = post_step(setup_client, "method", {"method": "email"})
    assert current_step(response) == "validation"
    assert len(mailed()) == 2
    token = mailed()[-1][1]
    assert post_step(setup_client, "validation", {"token": token}).status_code == 302
    assert EmailDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_send_me_a_new_token_within_the_cooldown_says_when_then_sends(setup_client, user,
                                                                      settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    choose_email(setup_client)
    post_step(setup_client, "validation", wizard_goto_step="method")
    response = post_step(setup_client, "method", {"method": "email"})
    # The first mail's token was for the device that Back discarded: the page offers a new one.
    assert 'name="wizard_resend"' in response.content.decode()
    assert post_step(setup_client, "validation", {"token": mailed()[0][1]}).status_code == 200

    response = post_step(setup_client, "validation", wizard_resend="1")
    assert current_step(response) == "validation" and len(mailed()) == 1
    assert "You can ask for a new one at" in response.content.decode()
    assert not response.context["wizard"]["form"].is_bound  # no "This field is required."

    with frozen_now(timezone.now() + timedelta(seconds=61)):
        response = post_step(setup_client, "validation", wizard_resend="1")
    assert current_step(response) == "validation" and len(mailed()) == 2
    assert "You can ask for a new one at" not in response.content.decode()
    assert post_step(setup_client, "validation", {"token": mailed()[-1][1]}).status_code == 302
    assert EmailDevice.objects.filter(user=user, confirmed=True).count() == 1


def test_send_me_a_new_token_only_on_the_validation_step(setup_client, user, settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 0
    setup_client.get(SETUP)
    response = post_step(setup_client, "welcome", wizard_resend="1")  # an ordinary Next
    assert current_step(response) == "method" and mailed() == []
    assert 'name="wizard_resend"' not in response.content.decode()


def test_send_me_a_new_token_checks_no_token_typed_with_it(setup_client, user, settings):
    settings.OTP_EMAIL_COOLDOWN_DURATION = 0
    choose_email(setup_client)
    token = mailed()[0][1]
    response = post_step(setup_client, "validation", {"token": token}, wizard_resend="1")
    assert current_step(response) == "validation" and len(mailed()) == 2
    pending = EmailDevice.objects.get(user=user)
    assert not pending.confirmed and pending.throttling_failure_count == 0


def test_send_me_a_new_token_after_the_method_went_away_starts_over(setup_client, user, settings,
                                                                     monkeypatch):
    from two_factor.plugins.email.method import EmailMethod

    settings.OTP_EMAIL_COOLDOWN_DURATION = 0
    choose_email(setup_client)
    monkeypatch.setattr(EmailMethod, "is_available", lambda self: False)  # turned off meanwhile
    response = post_step(setup_client, "validation", wizard_resend="1")
    assert current_step(response) == "welcome" and len(mailed()) == 1


def test_the_cooldown_holds_across_sessions(user, settings):
    """Each session has a setup wizard of its own: the user's setup mails still keep to one
    cooldown."""
    from django.test import Client

    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    for _ in range(3):
        client = Client()
        login_password_only(client, user)
        response = choose_email(client)
        assert current_step(response) == "validation"
    assert len(mailed()) == 1
    assert "You can ask for a new one at" in response.content.decode()
    # The last session gets its token once the cooldown is over.
    with frozen_now(timezone.now() + timedelta(seconds=61)):
        post_step(client, "validation", wizard_goto_step="method")
        post_step(client, "method", {"method": "email"})
    assert len(mailed()) == 2
    assert post_step(client, "validation", {"token": mailed()[-1][1]}).status_code == 302


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sessions_send_one_mail(user, settings, monkeypatch):
    import contextlib
    import threading

    from django.test import Client

    from tests.django_otp.test_concurrency import run_at_once

    settings.OTP_EMAIL_COOLDOWN_DURATION = 60
    together, generate = threading.Barrier(4), EmailDevice.generate_challenge

    def generate_together(device, *args, **kwargs):
        # Unless the requests are kept apart, all four reach the sending at once.
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=1)
        return generate(device, *args, **kwargs)

    monkeypatch.setattr(EmailDevice, "generate_challenge", generate_together)

    clients = []
    for _ in range(4):  # four sessions, each at the method step
        clients.append(Client())
        login_password_only(clients[-1], user)
        clients[-1].get(SETUP)
        post_step(clients[-1], "welcome")

    def submit(i):
        return current_step(post_step(clients[i], "method", {"method": "email"}))

    assert run_at_once(submit, prepare=lambda i: i, n=4) == ["validation"] * 4
    assert len(mailed()) == 1


def test_cancel_removes_the_pending_device(setup_client, user):
    choose_email(setup_client)
    assert EmailDevice.objects.filter(user=user, confirmed=False).exists()
    response = post_step(setup_client, "validation", wizard_cancel="1")
    assert response.status_code == 302
    assert not EmailDevice.objects.exists()
