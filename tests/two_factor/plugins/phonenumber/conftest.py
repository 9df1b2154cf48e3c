"""Fixtures of the phone plugin tests: the fake gateway for both methods, phone devices, and
the tokens that the fake gateway logged."""

import re

import pytest

from django_otp.oath import TOTP, hotp
from two_factor.plugins.phonenumber.models import PhoneDevice

FAKE = "two_factor.gateways.fake.Fake"
NUMBER = "+31612345658"
MASKED = "+31 * ******58"
_LOGGED = re.compile(r'Fake (SMS|call) to (\+\d+): "Your token is: (\d+)"')


@pytest.fixture
def gateways(settings):
    """Both phone methods available, through the fake gateway."""
    settings.TWO_FACTOR_SMS_GATEWAY = FAKE
    settings.TWO_FACTOR_CALL_GATEWAY = FAKE
    return settings


@pytest.fixture
def sent(caplog):
    """The messages that the fake gateway logged: ``[(kind, number, token)]``, oldest first."""
    caplog.set_level("INFO", logger="two_factor")

    def read():
        return [match.groups() for record in caplog.records
                if record.name == "two_factor" and (match := _LOGGED.fullmatch(record.getMessage()))]

    return read


def phone_token(device, offset=0):
    """The token of ``device`` at the current step (``offset`` steps away), by the device's
    clock (see ``clock``)."""
    totp = TOTP(device.bin_key, 30, 0, device.digits, offset)
    totp.time = device._now()
    return f"{totp.token():0{device.digits}d}"


def step_token(device, t):
    """The token of ``device`` at time step ``t``."""
    return f"{hotp(device.bin_key, t, device.digits):0{device.digits}d}"


#: A moment in the middle of a 30-second step (``NOW_STEP``), for a ``clock`` that stands still.
NOW = 1_750_000_005.0
NOW_STEP = int(NOW // 30)


@pytest.fixture
def clock(monkeypatch):
    """Phone devices count token steps from a time that stands still: ``clock.now`` (``NOW``
    at first; set it to move the clock)."""

    class Clock:
        now = NOW

    monkeypatch.setattr(PhoneDevice, "_now", lambda self: Clock.now)
    return Clock


@pytest.fixture
def sms_device(user):
    """``user`` (alice) with a text-message phone as default device."""
    return PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")


@pytest.fixture
def call_device(user):
    return PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="call")
