"""Signing in with a phone: the default phone, backup phones, single use, the send cooldown."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.test_utils import frozen_now
from tests.conftest import totp_now
from two_factor.plugins.phonenumber.models import PhoneDevice

from ...conftest import PASSWORD
from .conftest import MASKED, NUMBER

LOGIN = "/account/login/"
STEP = "login_view-current_step"


def post_password(client):
    return client.post(LOGIN, {STEP: "auth", "auth-username": "alice", "auth-password": PASSWORD})


def post_token(client, token):
    return client.post(LOGIN, {STEP: "token", "token-otp_token": token})


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


def wrong(token):
    return "000000" if token != "000000" else "111111"


SMS_SENTENCE = "We sent you a text message, please enter the token we sent."
CALL_SENTENCE = "We are calling your phone right now, please enter the digits you hear."


@pytest.mark.parametrize(("fixture", "kind", "sentence"), [("sms_device", "SMS", SMS_SENTENCE),
                                                           ("call_device", "call", CALL_SENTENCE)])
def test_sign_in_with_the_default_phone(request, client, gateways, sent, fixture, kind, sentence):
    device = request.getfixturevalue(fixture)
    response = post_password(client)
    assert current_step(response) == "token"
    [(logged_kind, number, token)] = sent()  # sent once, when the password was right
    assert (logged_kind, number) == (kind, NUMBER)
    page = response.content.decode()
    assert MASKED in page and NUMBER not in page and token not in page
    assert response.context["verbose_action"] == sentence  # the sentence of the old package
    assert sentence in page

    response = post_token(client, token)
    assert response.status_code == 302
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": device.persistent_id}
    assert len(sent()) == 1


def test_code_is_single_use_even_from_another_client(client, sms_device, gateways, sent):
    post_password(client)
    [(_kind, _number, token)] = sent()
    assert post_token(client, token).status_code == 302

    other = Client()
    response = post_password(other)
    assert current_step(response) == "token"
    response = post_token(other, token)
    assert current_step(response) == "token"
    assert response.context["wizard"]["form"].errors
    assert otp_status(other)["verified"] is False


def test_wrong_code_is_an_error(client, sms_device, gateways, sent):
    post_password(client)
    [(_kind, _number, token)] = sent()
    response = post_token(client, wrong(token))
    assert current_step(response) == "token"
    assert "Invalid token" in str(response.context["wizard"]["form"].non_field_errors())
    assert otp_status(client)["authenticated"] is False
    assert PhoneDevice.objects.get(pk=sms_device.pk).throttling_failure_count == 1


def test_asking_again_within_the_cooldown_sends_nothing_and_says_when(client, sms_device, gateways, sent):
    page = post_password(client).content.decode()
    assert f'name="challenge_device" value="{sms_device.persistent_id}"' in page  # "send me a new token"
    response = client.post(LOGIN, {STEP: "token", "challenge_device": sms_device.persistent_id})
    assert current_step(response) == "token"
    assert len(sent()) == 1
    notice = str(response.context["notice"])
    assert "moments ago" in notice and "new one at" in notice
    [(_kind, _number, token)] = sent()
    assert post_token(client, token).status_code == 302  # the first code still works


def test_a_second_sign_in_within_the_cooldown_sends_nothing(client, sms_device, gateways, sent):
    post_password(client)
    response = post_password(Client())
    assert len(sent()) == 1
    assert "moments ago" in str(response.context["notice"])


@pytest.fixture
def totp_and_backup_phone(user):
    default = TOTPDevice.objects.create(user=user, name="default")
    phone = PhoneDevice.objects.create(user=user, name="backup", number=NUMBER, method="sms")
    return default, phone


def test_backup_phone_is_another_way_to_sign_in(client, totp_and_backup_phone, gateways, sent):
    default, phone = totp_and_backup_phone
    response = post_password(client)
    assert sent() == []  # the default device is an app: nothing to send
    actions = [(other.persistent_id, str(action)) for other, action in response.context["other_device_actions"]]
    assert (phone.persistent_id, f"Send text message to {MASKED}") in actions

    response = client.post(LOGIN, {STEP: "token", "challenge_device": phone.persistent_id})
    assert current_step(response) == "token"
    [(_kind, _number, token)] = sent()
    assert MASKED in str(response.context["notice"])
    assert post_token(client, token).status_code == 302
    assert otp_status(client)["device"] == phone.persistent_id


def test_backup_phone_offered_next_to_backup_tokens(client, totp_and_backup_phone, backup_device,
                                                   gateways):
    # The device summary shows a device besides the default one and the backup tokens: the
    # methods are asked, and the phone is offered as before.
    _default, phone = totp_and_backup_phone
    response = post_password(client)
    assert [other.persistent_id for other in response.context["other_devices"]] == [phone.persistent_id]
    assert response.context["backup_tokens"] == 3


def test_backup_phones_not_offered_without_a_gateway(client, totp_and_backup_phone, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = None
    response = post_password(client)
    assert response.context["other_device_actions"] == []


def test_default_phone_offered_while_a_backup_phone_is_used(client, user, sms_device, gateways, sent):
    backup = PhoneDevice.objects.create(user=user, name="backup", number="+31612345679", method="call")
    response = post_password(client)
    others = [other.persistent_id for other in response.context["other_devices"]]
    assert others == [backup.persistent_id]
    response = client.post(LOGIN, {STEP: "token", "challenge_device": backup.persistent_id})
    others = [other.persistent_id for other in response.context["other_devices"]]
    assert others == [sms_device.persistent_id]
    assert [kind for kind, _number, _token in sent()] == ["SMS", "call"]


def test_totp_still_signs_in_a_user_with_a_backup_phone(client, totp_and_backup_phone, gateways):
    default, _phone = totp_and_backup_phone
    post_password(client)
    assert post_token(client, totp_now(default)).status_code == 302
    assert client.session[DEVICE_ID_SESSION_KEY] == default.persistent_id


def test_a_new_token_after_the_cooldown(client, sms_device, gateways, sent):
    post_password(client)
    later = timezone.now() + timedelta(seconds=61)
    with frozen_now(later):
        response = client.post(LOGIN, {STEP: "token", "challenge_device": sms_device.persistent_id})
    assert MASKED in str(response.context["notice"])
    assert len(sent()) == 2
    assert post_token(client, sent()[-1][2]).status_code == 302


def test_no_new_token_button_for_an_app(client, totp_and_backup_phone, gateways):
    default, _phone = totp_and_backup_phone
    page = post_password(client).content.decode()
    assert f'value="{default.persistent_id}"' not in page
