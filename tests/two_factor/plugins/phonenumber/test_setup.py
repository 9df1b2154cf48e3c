"""Setting up a phone as the default device, through the setup wizard."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.test_utils import frozen_now
from two_factor.plugins.phonenumber.models import PhoneDevice

from ...conftest import login_password_only, login_verified
from .conftest import MASKED, NUMBER, phone_token

SETUP = "/account/two_factor/setup/"
COMPLETE = "/account/two_factor/setup/complete/"


def post_step(client, step, data=None):
    payload = {"setup_view-current_step": step}
    payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
    return client.post(SETUP, payload)


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


@pytest.fixture
def setup_client(client, user, gateways):
    login_password_only(client, user)
    return client


def to_number_step(client, method):
    assert current_step(client.get(SETUP)) == "welcome"
    assert current_step(post_step(client, "welcome")) == "method"
    response = post_step(client, "method", {"method": method})
    assert current_step(response) == method
    return response


def test_the_methods_are_a_fieldset_named_by_its_legend(setup_client):
    assert current_step(setup_client.get(SETUP)) == "welcome"
    page = post_step(setup_client, "welcome").content.decode()
    # "Method:" as before (django-two-factor-auth's tests look for it), in a legend now.
    assert re.search(r'<fieldset class="field" aria-describedby="two-factor-instructions">'
                     r'\s*<legend>Method:</legend>', page)
    assert re.search(r'<p id="two-factor-instructions">Choose how', page)
    assert '<label>Method' not in page


@pytest.mark.parametrize(("method", "kind"), [("sms", "SMS"), ("call", "call")])
def test_phone_becomes_the_default_device(setup_client, user, sent, method, kind):
    to_number_step(setup_client, method)
    response = post_step(setup_client, method, {"number": "+31 6 1234 5658"})
    assert current_step(response) == "validation"
    [(logged_kind, number, token)] = sent()
    assert (logged_kind, number) == (kind, NUMBER)
    assert MASKED in response.context["challenge"]
    assert MASKED in response.content.decode()
    pending = PhoneDevice.objects.get(user=user)
    assert not pending.confirmed and pending.method == method

    response = post_step(setup_client, "validation", {"token": token})
    assert response.status_code == 302 and response.url == COMPLETE
    device = PhoneDevice.objects.get(user=user)
    assert (device.pk, device.name, device.confirmed, device.method) == (pending.pk, "default", True, method)
    assert device.number.as_e164 == NUMBER
    assert setup_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert not device.verify_token(token)  # the setup token is used up


SMS_SENTENCE = "We sent you a text message, please enter the token we sent."
CALL_SENTENCE = "We are calling your phone right now, please enter the digits you hear."


@pytest.mark.parametrize(("method", "sentence"), [("sms", SMS_SENTENCE), ("call", CALL_SENTENCE)])
def test_validation_step_says_what_to_do(setup_client, user, method, sentence):
    to_number_step(setup_client, method)
    response = post_step(setup_client, method, {"number": NUMBER})
    assert current_step(response) == "validation"
    assert response.context["device"] == PhoneDevice.objects.get(user=user)
    assert sentence in response.content.decode()


@pytest.mark.parametrize("method", ["sms", "call"])
def test_number_step_labels_the_phone_number(setup_client, method):
    response = to_number_step(setup_client, method)
    assert f'<label for="id_{method}-number">Phone Number:</label>' in response.content.decode()


REGISTER = "/account/two_factor/phone/register/"
SENT = "We've sent a token to your phone number."


@pytest.mark.parametrize(("method", "sentence"), [("sms", SMS_SENTENCE), ("call", CALL_SENTENCE)])
def test_backup_phone_validation_step_says_a_token_was_sent(client, user, gateways, method, sentence):
    """The backup phone wizard's validation step (``phone_register.html``) starts with the
    sentence old tests look for, then says what to do."""
    login_verified(client, user, TOTPDevice.objects.create(user=user, name="default"))
    response = client.post(REGISTER, {"phone_setup_view-current_step": "setup",
                                      "setup-number": NUMBER, "setup-method": method})
    assert current_step(response) == "validation"
    html = response.content.decode()
    assert SENT in html and sentence in html
    assert html.index(SENT) < html.index(sentence)
    assert SENT not in client.get(REGISTER).content.decode()  # not on the number step


def test_backup_phone_validation_step_without_a_verbose_action(client, user, gateways, monkeypatch):
    from two_factor.plugins.phonenumber.method import SMSMethod

    monkeypatch.setattr(SMSMethod, "verbose_action", "")
    login_verified(client, user, TOTPDevice.objects.create(user=user, name="default"))
    response = client.post(REGISTER, {"phone_setup_view-current_step": "setup",
                                      "setup-number": NUMBER, "setup-method": "sms"})
    html = response.content.decode()
    assert f"{SENT}\n    Enter it below, to confirm that the phone receives it.</p>" in html


def test_setup_complete_offers_a_backup_phone(client, user, gateways):
    login_verified(client, user, TOTPDevice.objects.create(user=user, name="default"))
    response = client.get(COMPLETE)
    assert [method.code for method in response.context["phone_methods"]] == ["call", "sms"]
    assert 'href="/account/two_factor/phone/register/">Add Phone Number</a>' in response.content.decode()
    gateways.TWO_FACTOR_CALL_GATEWAY = gateways.TWO_FACTOR_SMS_GATEWAY = None
    response = client.get(COMPLETE)
    assert response.context["phone_methods"] == []
    page = response.content.decode()
    assert "/account/two_factor/phone/register/" not in page and "Add Phone Number" not in page


def test_token_computed_from_the_saved_key(setup_client, user):
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    device = PhoneDevice.objects.get(user=user)
    response = post_step(setup_client, "validation", {"token": phone_token(device)})
    assert response.url == COMPLETE


def test_wrong_token_is_a_form_error(setup_client, user, sent):
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    [(_kind, _number, token)] = sent()
    wrong = "000000" if token != "000000" else "111111"
    response = post_step(setup_client, "validation", {"token": wrong})
    assert current_step(response) == "validation"
    assert response.context["wizard"]["form"].errors["token"]
    assert not PhoneDevice.objects.get(user=user).confirmed
    assert DEVICE_ID_SESSION_KEY not in setup_client.session


@pytest.mark.parametrize("number", ["garbage", "+31 6", "+999 123456", "0612345678", "+1" + "2" * 70, "١٢٣"])
def test_invalid_number_is_a_form_error(setup_client, user, sent, number):
    to_number_step(setup_client, "sms")
    response = post_step(setup_client, "sms", {"number": number})
    assert current_step(response) == "sms"
    [error] = response.context["wizard"]["form"].errors["number"]
    assert "valid phone number" in error or "at most" in error
    assert sent() == [] and not PhoneDevice.objects.exists()


def test_national_number_with_a_default_region(setup_client, user, settings):
    settings.PHONENUMBER_DEFAULT_REGION = "NL"
    to_number_step(setup_client, "sms")
    assert current_step(post_step(setup_client, "sms", {"number": "06 12345658"})) == "validation"
    assert PhoneDevice.objects.get(user=user).number.as_e164 == NUMBER


def test_cancel_removes_the_pending_phone(setup_client, user):
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    assert PhoneDevice.objects.filter(user=user, confirmed=False).exists()
    response = setup_client.post(SETUP, {"setup_view-current_step": "validation", "wizard_cancel": "1"})
    assert response.status_code == 302
    assert not PhoneDevice.objects.exists()


def test_gateway_down_is_a_message_not_an_error(setup_client, user, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    to_number_step(setup_client, "sms")
    response = post_step(setup_client, "sms", {"number": NUMBER})
    assert current_step(response) == "validation"
    assert "could not be sent" in response.context["challenge"]
    assert "We sent you a text message" not in response.content.decode()


def test_phone_methods_offered_only_with_a_gateway(client, user, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = None
    settings.TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"
    login_password_only(client, user)
    client.get(SETUP)
    response = post_step(client, "welcome")
    choices = [code for code, _label in response.context["wizard"]["form"].fields["method"].choices]
    assert "call" in choices and "sms" not in choices


def test_without_its_pending_device_the_validation_refuses_every_token(setup_client, user, sent):
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    token = sent()[-1][2]
    PhoneDevice.objects.filter(user=user).delete()  # removed meanwhile (another tab, say)
    response = post_step(setup_client, "validation", {"token": token})
    assert current_step(response) == "validation"
    assert response.context["wizard"]["form"].device is None  # not a device made up on the spot
    assert response.context["wizard"]["form"].errors
    assert not PhoneDevice.objects.exists()


def test_one_message_per_cooldown_whatever_the_session(user, gateways, sent):
    from django.test import Client

    for n in range(3):
        client = Client()
        login_password_only(client, user)
        to_number_step(client, "sms" if n % 2 else "call")
        response = post_step(client, "sms" if n % 2 else "call", {"number": f"+3161234567{n}"})
        assert current_step(response) == "validation"
    assert [number for _kind, number, _token in sent()] == ["+31612345670"]


@pytest.mark.parametrize("restart", ["get", "cancel"])
def test_one_message_per_cooldown_whatever_the_restarts(setup_client, user, sent, restart):
    for n in range(3):
        to_number_step(setup_client, "sms")
        response = post_step(setup_client, "sms", {"number": f"+3161234567{n}"})
        assert current_step(response) == "validation"
        if restart == "cancel":
            setup_client.post(SETUP, {"setup_view-current_step": "validation", "wizard_cancel": "1"})
    assert [number for _kind, number, _token in sent()] == ["+31612345670"]
    page = response.content.decode()
    assert "ask for a new one at" in page and "We sent you a text message" not in page


def test_a_failed_send_does_not_count(setup_client, user, settings, sent):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    to_number_step(setup_client, "sms")
    assert "could not be sent" in post_step(setup_client, "sms", {"number": NUMBER}).context["challenge"]
    settings.TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    assert [number for _kind, number, _token in sent()] == [NUMBER]  # at once


class BrokenGateway:
    def send_sms(self, device, token):
        raise ConnectionError("the gateway is down")


def test_one_message_per_cooldown_whatever_the_number(setup_client, user, sent):
    to_number_step(setup_client, "sms")
    post_step(setup_client, "sms", {"number": NUMBER})
    assert current_step(setup_client.post(SETUP, {"setup_view-current_step": "validation",
                                                  "wizard_goto_step": "sms"})) == "sms"
    response = post_step(setup_client, "sms", {"number": "+31612345679"})
    assert current_step(response) == "validation"
    assert len(sent()) == 1
    assert "ask for a new one at" in response.context["challenge"]

    later = timezone.now() + timedelta(seconds=61)
    with frozen_now(later):
        setup_client.post(SETUP, {"setup_view-current_step": "validation", "wizard_goto_step": "sms"})
        post_step(setup_client, "sms", {"number": "+31612345679"})
    assert [number for _kind, number, _token in sent()] == [NUMBER, "+31612345679"]
    token = sent()[-1][2]
    assert post_step(setup_client, "validation", {"token": token}).url == COMPLETE
    assert PhoneDevice.objects.get(user=user).number.as_e164 == "+31612345679"
