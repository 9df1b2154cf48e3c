"""Fixtures of the YubiKey plugin tests: the validation service, a stand-in for its server (no
request ever leaves the process), and simulated keys."""

from base64 import b64encode

import pytest


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """A test that reaches ``yubiotp``'s network call without the stand-in fails."""
    if not _installed():
        return

    def refuse(url, *args, **kwargs):
        raise AssertionError(f"a YubiKey test tried to reach {url}")

    monkeypatch.setattr("yubiotp.client.urlopen", refuse)


@pytest.fixture
def validation(monkeypatch):
    """The stand-in validation server, answering ``yubiotp``'s requests."""
    from .validation_stand_in import ValidationStandIn

    stand_in = ValidationStandIn()
    monkeypatch.setattr("yubiotp.client.urlopen", stand_in.urlopen)
    return stand_in


@pytest.fixture
def service(db):
    """The ValidationService named ``default`` (made by the site in the admin)."""
    from otp_yubikey.models import ValidationService

    from .validation_stand_in import API_ID, API_KEY, BASE_URL

    # param_sl and param_timeout default to None in otp_yubikey's model, but the columns are
    # NOT NULL: the admin saves "", and so must code that creates a service.
    return ValidationService.objects.create(
        name="default", api_id=API_ID, api_key=b64encode(API_KEY).decode(), base_url=BASE_URL,
        param_sl="", param_timeout="")


@pytest.fixture
def yubikey(validation):
    """A simulated key that the stand-in server knows."""
    from .validation_stand_in import SimulatedKey

    return validation.add(SimulatedKey())


@pytest.fixture
def remote_default(user, service, yubikey):
    """``user`` (alice) with ``yubikey`` as default device, checked by the service."""
    from otp_yubikey.models import RemoteYubikeyDevice

    return RemoteYubikeyDevice.objects.create(user=user, name="default", service=service,
                                              public_id=yubikey.public_id)


def _installed():
    import importlib.util

    return importlib.util.find_spec("otp_yubikey") is not None
