"""A local ``YubikeyDevice`` (otp_yubikey) through our functional API: real OTPs made by
``yubiotp``'s simulated key, as otp_yubikey's own tests make them; each is accepted once."""

from binascii import unhexlify

import pytest
from django.db import transaction

pytest.importorskip("otp_yubikey")

from otp_yubikey.models import YubikeyDevice  # noqa: E402
from yubiotp.otp import YubiKey, encode_otp  # noqa: E402

from django_otp import match_token, user_has_device, verify_token  # noqa: E402
from django_otp.models import Device  # noqa: E402
from tests.django_otp.test_concurrency import run_at_once  # noqa: E402

PRIVATE_ID = "5dc30490956b"
AES_KEY = "fb362a0853be5e5306d5cc2483f279cb"


@pytest.fixture
def device(user):
    return YubikeyDevice.objects.create(user=user, name="default", private_id=PRIVATE_ID,
                                        key=AES_KEY, session=5, counter=0)


@pytest.fixture
def key():
    return YubiKey(unhexlify(PRIVATE_ID), 5, 1)


def press(key, device):
    """The OTP ``key`` types when its button is pressed (``device`` names its public id)."""
    return encode_otp(key.generate(), device.bin_key, device.public_id()).decode()


def test_a_third_party_device_is_one_of_ours(device, user):
    assert isinstance(device, Device)
    assert device.persistent_id == f"otp_yubikey.yubikeydevice/{device.pk}"
    assert Device.from_persistent_id(device.persistent_id) == device
    assert not device.is_interactive()
    assert user_has_device(user)


def test_verify_token_accepts_an_otp_once(device, key, user):
    otp = press(key, device)
    assert verify_token(user, device.persistent_id, otp) == device
    assert verify_token(user, device.persistent_id, otp) is None
    device.refresh_from_db()
    assert (device.session, device.counter) == (5, 1)
    assert verify_token(user, device.persistent_id, press(key, device)) == device


def test_verify_token_checks_and_saves_inside_a_transaction(device, key, user, monkeypatch):
    """otp_yubikey reads, checks and save()s: the row it reads locked (``select_for_update``)
    stays locked until the save only inside a transaction, which verify_token opens for it.
    (SQLite locks nothing: the transaction is what this test can see.)"""
    opened = []
    atomic = transaction.atomic

    def spy(*args, **kwargs):
        opened.append(args)
        return atomic(*args, **kwargs)

    monkeypatch.setattr(transaction, "atomic", spy)
    assert verify_token(user, device.persistent_id, press(key, device)) == device
    assert opened


def test_an_older_otp_is_refused_after_a_newer_one(device, key, user):
    older, newer = press(key, device), press(key, device)
    assert verify_token(user, device.persistent_id, newer) == device
    assert verify_token(user, device.persistent_id, older) is None


def test_match_token_finds_the_key_once(device, key, user):
    otp = press(key, device)
    assert match_token(user, otp) == device
    assert match_token(user, otp) is None


def test_another_users_device_is_not_used(device, key, other_user):
    assert verify_token(other_user, device.persistent_id, press(key, device)) is None
    device.refresh_from_db()
    assert device.counter == 0


@pytest.mark.parametrize("otp", ["", "completelybogus", "c" * 44, None, 123456])
def test_garbage_is_refused(device, user, otp):
    assert verify_token(user, device.persistent_id, otp) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_verifications_of_one_otp_succeed_once(device, key, user):
    # otp_yubikey reads, checks and save()s: our verify_token locks the row for such devices.
    otp = press(key, device)
    results = run_at_once(lambda _: verify_token(user, device.persistent_id, otp))
    assert [result for result in results if result is not None] == [device]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_sign_ins_with_one_otp_succeed_once(device, key, user):
    # The token step's form holds a device loaded earlier (unlocked): it must still verify a
    # device like this one on its locked row, or every request would pass the counter check.
    from two_factor.flows.login import find_user_device
    from two_factor.plugins.yubikey.forms import YubiKeyAuthenticationForm

    otp = press(key, device)

    def sign_in(loaded):
        form = YubiKeyAuthenticationForm(user=loaded.user, initial_device=loaded,
                                         data={"otp_token": otp})
        return form.is_valid()

    results = run_at_once(sign_in, prepare=lambda i: find_user_device(user, device.persistent_id))
    assert sum(results) == 1
