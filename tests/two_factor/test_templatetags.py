"""``{% load two_factor_tags %}``: ``as_action`` and ``as_verbose_action``."""

import pytest
from django.template import engines

from django_otp.plugins.otp_hotp.models import HOTPDevice
from two_factor.plugins.registry import MethodBase, registry


def render(source, **context):
    return engines["django"].from_string("{% load two_factor_tags %}" + source).render(context)


class KeyFobMethod(MethodBase):
    code = "test-fob"

    def recognize_device(self, device):
        return isinstance(device, HOTPDevice)

    def get_action(self, device):
        return f"Press {device.name}"

    def get_verbose_action(self, device):
        return f"Press the button of {device.name}."


@pytest.fixture
def fob_method():
    registry.register(KeyFobMethod())
    yield
    registry.unregister("test-fob")


def test_generator_device(totp_device):
    assert render("{{ d|as_action }}", d=totp_device) == "Use your authenticator app"
    assert render("{{ d|as_verbose_action }}", d=totp_device) == (
        "Please enter the token shown by your authenticator app.")


def test_the_method_of_the_device_answers(hotp_device, fob_method):
    assert render("{{ d|as_action }}", d=hotp_device) == "Press hotp"
    assert render("{{ d|as_verbose_action }}", d=hotp_device) == "Press the button of hotp."


def test_unknown_devices_get_a_generic_text(hotp_device):
    assert render("{{ d|as_action }}", d=hotp_device) == "Use hotp"
    assert render("{{ d|as_verbose_action }}", d=hotp_device) == "Please enter a token from hotp."


def test_generic_text_is_escaped(user):
    device = HOTPDevice.objects.create(user=user, name="<b>fob</b>")
    assert render("{{ d|as_action }}", d=device) == "Use &lt;b&gt;fob&lt;/b&gt;"


def test_unnamed_and_missing_devices(user):
    device = HOTPDevice(user=user, name="")
    assert render("{{ d|as_action }}", d=device) == "Use HOTP device"
    assert render("{{ d|as_action }}", d=None) == "Use your device"
