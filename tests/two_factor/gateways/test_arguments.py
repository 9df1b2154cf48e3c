"""What a gateway is called with: ``device`` and ``token``, and ``request`` only when the
gateway's method names a ``request`` parameter.

Sites' tests written for the old package replace the gateway class with a mock and check the
call: ``fake.return_value.send_sms.assert_called_with(device=ANY, token=ANY)``.
"""

from unittest import mock
from unittest.mock import ANY

import pytest
from django.test import RequestFactory

from two_factor import gateways
from two_factor.gateways.twilio.gateway import Twilio
from two_factor.plugins.phonenumber.models import PhoneDevice

from ..conftest import PASSWORD

LOGIN = "/account/login/"
STEP = "login_view-current_step"
FAKE = "two_factor.gateways.fake.Fake"
ACTIONS = {"sms": "send_sms", "call": "make_call"}


@pytest.mark.parametrize("method", ["sms", "call"])
@mock.patch(FAKE)
def test_a_mocked_gateway_is_called_with_device_and_token_only(fake, method, client, user,
                                                               settings):
    settings.TWO_FACTOR_SMS_GATEWAY = FAKE
    settings.TWO_FACTOR_CALL_GATEWAY = FAKE
    device = PhoneDevice.objects.create(user=user, name="default", number="+31612345658",
                                        method=method)

    response = client.post(LOGIN, {STEP: "auth", "auth-username": "alice",
                                   "auth-password": PASSWORD})

    assert response.context["wizard"]["steps"].current == "token"
    sent = getattr(fake.return_value, ACTIONS[method])
    sent.assert_called_with(device=ANY, token=ANY)
    assert sent.call_args.kwargs["device"] == device
    # The token the gateway got signs the user in.
    response = client.post(LOGIN, {STEP: "token", "token-otp_token": sent.call_args.kwargs["token"]})
    assert response.status_code == 302


class KeywordsGateway:
    def send_sms(self, device, token, **kwargs):
        pass


class KeywordOnlyGateway:
    def send_sms(self, device, token, *, request=None):
        pass


class PositionalOnlyGateway:
    def send_sms(self, device, token, request=None, /):
        pass


def test_only_a_parameter_named_request_gets_the_request():
    assert not gateways.accepts_request(KeywordsGateway, "send_sms")
    assert not gateways.accepts_request(mock.MagicMock(), "send_sms")
    assert not gateways.accepts_request(PositionalOnlyGateway, "send_sms")
    assert gateways.accepts_request(KeywordOnlyGateway, "send_sms")


@pytest.mark.parametrize("action", ["send_sms", "make_call"])
def test_twilio_gets_the_request(action):
    assert gateways.accepts_request(Twilio, action)


def test_a_keyword_only_request_is_passed(settings, user):
    calls = []
    settings.TWO_FACTOR_SMS_GATEWAY = type("G", (), {
        "send_sms": lambda self, device, token, *, request=None: calls.append(request)})
    request = RequestFactory().get("/")
    gateways.send_sms(PhoneDevice(user=user, number="+31612345658"), "123456", request=request)
    assert calls == [request]
