"""Fixtures shared by the whole suite: users and one device of each kind."""

import os
import time

import pytest
from django.contrib.auth import get_user_model

from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

ON_POSTGRES = os.environ.get("TWOFOLD_DB") == "postgres"


def pytest_report_header(config):
    # Here, not in tests/browser/conftest.py: pytest prints the header before it reads that one.
    from tests.browser.conftest import report_header

    return report_header()


def pytest_collection_modifyitems(config, items):
    if ON_POSTGRES:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL: run with TWOFOLD_DB=postgres")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def make_user(db):
    def make(username="alice", password="secret-password", **extra):
        return get_user_model().objects.create_user(username=username, password=password,
                                                    email=f"{username}@example.com", **extra)

    return make


@pytest.fixture
def user(make_user):
    return make_user()


@pytest.fixture
def other_user(make_user):
    return make_user("bob")


def totp_now(device, offset=0):
    """The token ``device`` shows now (``offset`` steps away)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def hotp_at(device, counter=None):
    counter = device.counter if counter is None else counter
    return f"{hotp(device.bin_key, counter, device.digits):0{device.digits}d}"


@pytest.fixture
def totp_device(user):
    return TOTPDevice.objects.create(user=user, name="default")


@pytest.fixture
def hotp_device(user):
    return HOTPDevice.objects.create(user=user, name="hotp")


@pytest.fixture
def static_device(user):
    device = StaticDevice.objects.create(user=user, name="backup")
    device.token_set.create(token="abcd2345")
    return device


@pytest.fixture
def email_device(user):
    return EmailDevice.objects.create(user=user, name="email")
