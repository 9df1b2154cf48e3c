"""The gateway loader (``two_factor.gateways``) and the fake gateway."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from two_factor import gateways
from two_factor.plugins.phonenumber.method import PhoneCallMethod, SMSMethod
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.phonenumber.utils import get_available_phone_methods
from two_factor.plugins.registry import MethodNotFoundError, registry

from .conftest import NUMBER

HERE = __name__
CALLS = []


class RequestGateway:
    """A gateway of today: it wants the request (to build an absolute URL, say)."""

    def make_call(self, device, token, request=None):
        CALLS.append(("call", device, token, request))

    def send_sms(self, device, token, request=None):
        CALLS.append(("sms", device, token, request))


class OldGateway:
    """A gateway written for the old package: no request parameter."""

    def make_call(self, device, token):
        CALLS.append(("call", device, token))

    def send_sms(self, device, token):
        CALLS.append(("sms", device, token))


class KeywordsGateway:
    def send_sms(self, device, token, **kwargs):
        CALLS.append(("sms", device, token, kwargs))


@pytest.fixture(autouse=True)
def calls():
    CALLS.clear()
    yield CALLS
    CALLS.clear()


@pytest.fixture
def device(user):
    return PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")


def test_request_passed_to_a_gateway_that_accepts_it(settings, device, calls):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{HERE}.RequestGateway"
    settings.TWO_FACTOR_CALL_GATEWAY = f"{HERE}.RequestGateway"
    request = RequestFactory().get("/")
    gateways.send_sms(device, "123456", request=request)
    gateways.make_call(device, "654321", request=request)
    assert calls == [("sms", device, "123456", request), ("call", device, "654321", request)]


def test_request_not_passed_to_an_old_gateway(settings, device, calls):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{HERE}.OldGateway"
    settings.TWO_FACTOR_CALL_GATEWAY = f"{HERE}.OldGateway"
    gateways.send_sms(device, "123456", request=RequestFactory().get("/"))
    gateways.make_call(device, "654321")
    assert calls == [("sms", device, "123456"), ("call", device, "654321")]


def test_request_not_passed_to_a_gateway_that_only_takes_kwargs(settings, device, calls):
    # As django-two-factor-auth: a mock gateway (which takes **kwargs) sees device and token only.
    settings.TWO_FACTOR_SMS_GATEWAY = f"{HERE}.KeywordsGateway"
    request = RequestFactory().get("/")
    gateways.send_sms(device, "123456", request=request)
    assert calls == [("sms", device, "123456", {})]


def test_signature_inspected_once_per_method():
    from django_otp.util import declares_parameter

    declares_parameter.cache_clear()
    assert gateways.accepts_request(RequestGateway, "send_sms")
    assert not gateways.accepts_request(OldGateway, "send_sms")
    assert gateways.accepts_request(RequestGateway, "send_sms")
    info = declares_parameter.cache_info()
    assert (info.hits, info.misses) == (1, 2)


def test_device_challenge_hands_the_request_to_the_gateway(settings, device, calls):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{HERE}.RequestGateway"
    request = RequestFactory().get("/account/login/")
    SMSMethod().send_challenge(device, request)
    [(kind, sent_to, token, passed)] = calls
    assert (kind, sent_to.pk, len(token), passed) == ("sms", device.pk, 6, request)


def test_no_gateway_configured(settings, device):
    settings.TWO_FACTOR_SMS_GATEWAY = None
    settings.TWO_FACTOR_CALL_GATEWAY = None
    assert not SMSMethod().is_available() and not PhoneCallMethod().is_available()
    assert get_available_phone_methods() == []
    assert not {"sms", "call"} & {method.code for method in registry.get_methods()}
    for code in ("sms", "call"):  # as in the old registry, which held only the methods on offer
        with pytest.raises(MethodNotFoundError):
            registry.get_method(code)
    with pytest.raises(ImproperlyConfigured, match="TWO_FACTOR_SMS_GATEWAY"):
        gateways.send_sms(device, "123456")


def test_one_gateway_configured(settings):
    settings.TWO_FACTOR_SMS_GATEWAY = None
    settings.TWO_FACTOR_CALL_GATEWAY = f"{HERE}.OldGateway"
    assert [method.code for method in get_available_phone_methods()] == ["call"]
    assert registry.get_method("call").code == "call"
    with pytest.raises(MethodNotFoundError):
        registry.get_method("sms")
    settings.TWO_FACTOR_SMS_GATEWAY = f"{HERE}.OldGateway"
    assert [method.code for method in get_available_phone_methods()] == ["call", "sms"]


def test_fake_gateway_logs_the_token(settings, device, caplog):
    settings.TWO_FACTOR_SMS_GATEWAY = "two_factor.gateways.fake.Fake"
    settings.TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"
    caplog.set_level("INFO", logger="two_factor")
    gateways.send_sms(device, "123456", request=RequestFactory().get("/"))
    gateways.make_call(device, "654321")
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        ("two_factor", "INFO", f'Fake SMS to {NUMBER}: "Your token is: 123456"'),
        ("two_factor", "INFO", f'Fake call to {NUMBER}: "Your token is: 654321"'),
    ]
