"""``{% load phonenumber %}``: mask_phone_number, format_phone_number, device_action."""

import pytest
from django.template import engines

from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.phonenumber.templatetags.phonenumber import (
    device_action,
    format_phone_number,
    mask_phone_number,
)
from two_factor.plugins.phonenumber.validators import parse_phone_number

from .conftest import MASKED, NUMBER


def render(source, **context):
    return engines["django"].from_string("{% load phonenumber %}" + source).render(context)


def test_mask_of_the_class_reference():
    assert mask_phone_number(parse_phone_number(NUMBER)) == MASKED
    assert mask_phone_number(PhoneDevice(number=NUMBER).number) == MASKED


@pytest.mark.parametrize(("number", "masked"), [
    ("+41 524 204 242", "+41 *** *** *42"),
    (NUMBER, "+31*******58"),
    ("+31 6 1234 5658", "+31 * **** **58"),
    ("0612345678", "061*****78"),
    ("+1", "+1"),
    ("", ""),
])
def test_text_is_masked_as_given(number, masked):
    """Every digit with 3 or more characters before it and 2 or more after it, no parsing."""
    assert mask_phone_number(number) == masked


@pytest.mark.parametrize(("number", "masked"), [
    ("+12025550123", "+1 ***-***-**23"),
    ("+353861234567", "+35* ** *** **67"),  # the first 3 characters, not the country code
    ("+442079460958", "+44 ** **** **58"),
])
def test_a_phone_number_object_is_formatted_then_masked(number, masked):
    assert mask_phone_number(parse_phone_number(number)) == masked


@pytest.mark.parametrize("number", [NUMBER, "+31 6 1234 5658", parse_phone_number(NUMBER)])
def test_format(number):
    assert format_phone_number(number) == "+31 6 12345658"


@pytest.mark.parametrize("value", ["", None, "garbage", "12", "+999 1234", 42, object(), "+" + "9" * 300])
def test_invalid_input_does_not_crash(value):
    assert isinstance(format_phone_number(value), str)
    assert isinstance(mask_phone_number(value), str)


def test_invalid_text_is_masked_but_for_its_ends():
    assert mask_phone_number("0612345678") == "061*****78"
    assert format_phone_number("0612345678") == "0612345678"


def test_national_number_with_a_default_region(settings):
    settings.PHONENUMBER_DEFAULT_REGION = "NL"
    assert format_phone_number("0612345658") == "+31 6 12345658"
    assert mask_phone_number("0612345658") == "061*****58"  # text: as given


@pytest.mark.parametrize(("method", "text"), [("sms", f"Send text message to {MASKED}"),
                                              ("call", f"Call number {MASKED}")])
def test_device_action(method, text):
    device = PhoneDevice(name="backup", number=NUMBER, method=method)
    assert device_action(device) == text
    assert render("{{ device|device_action }}", device=device) == text


@pytest.mark.parametrize("method", ["unknown", "", None])
def test_device_action_of_an_unknown_method_raises(method):
    """As django-two-factor-auth's: no guessing at a text for a method it does not know."""
    device = PhoneDevice(name="backup", number=NUMBER, method=method)
    with pytest.raises(NotImplementedError, match="'sms' and 'call'"):
        device_action(device)
    with pytest.raises(NotImplementedError):
        render("{{ device|device_action }}", device=device)


def test_filters_in_a_template():
    assert render("{{ n|mask_phone_number }} {{ n|format_phone_number }}", n=parse_phone_number(NUMBER)) \
        == f"{MASKED} +31 6 12345658"
    assert render("{{ n|mask_phone_number }}", n=NUMBER) == "+31*******58"
    assert render("{{ n|mask_phone_number }}|{{ n|format_phone_number }}", n=None) == "|"
