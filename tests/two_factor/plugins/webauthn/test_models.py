"""``WebauthnDevice.verify_token``: an assertion checked once, the counter claimed in the database."""

import pytest

from two_factor.plugins.webauthn.models import Assertion, WebauthnDevice

from .authenticator import ORIGIN, SoftAuthenticator, b64

CHALLENGE = b"a challenge of thirty-two bytes!"


def assertion(authenticator, **kwargs):
    options = {"challenge": b64(CHALLENGE), "rpId": "testserver"}
    response = authenticator.get(options, **{k: v for k, v in kwargs.items() if k != "require_uv"})
    return Assertion(response, CHALLENGE, ORIGIN, "testserver", kwargs.get("require_uv", False))


def test_a_valid_assertion(key_device, authenticator):
    assert key_device.verify_token(assertion(authenticator)) is True
    key_device.refresh_from_db()
    assert key_device.sign_count == 1 and key_device.last_used_at is not None


@pytest.mark.parametrize("token", ["123456", 123456, None, b"{}", {"id": "x"}])
def test_anything_else_is_refused_without_counting(key_device, token):
    assert key_device.verify_token(token) is False
    key_device.refresh_from_db()
    assert key_device.throttling_failure_count == 0


def test_the_same_assertion_twice(key_device, authenticator):
    token = assertion(authenticator)
    assert key_device.verify_token(token) is True
    assert key_device.verify_token(token) is False  # the counter did not go up
    key_device.refresh_from_db()
    assert (key_device.sign_count, key_device.throttling_failure_count) == (1, 1)


def test_concurrent_assertions_with_the_same_counter(key_device, authenticator):
    first, second = (WebauthnDevice.objects.get(pk=key_device.pk) for _ in range(2))
    one, other = assertion(authenticator, counter=1), assertion(authenticator, counter=1)
    assert first.verify_token(one) is True
    assert second.verify_token(other) is False  # checked against a stale count, lost the claim
    key_device.refresh_from_db()
    assert key_device.sign_count == 1


def test_an_authenticator_without_a_counter(user):
    from .conftest import register_key

    authenticator = SoftAuthenticator(counting=False)
    device = register_key(user, authenticator)
    assert device.verify_token(assertion(authenticator)) is True
    assert device.verify_token(assertion(authenticator)) is True  # the challenge is single use
    device.refresh_from_db()
    assert device.sign_count == 0


def test_a_counter_that_stops_counting_is_a_clone(user, authenticator, key_device):
    assert key_device.verify_token(assertion(authenticator)) is True
    assert key_device.verify_token(assertion(authenticator, counter=0)) is False


def test_user_verification(key_device, authenticator):
    assert key_device.verify_token(assertion(authenticator, uv=False, require_uv=True)) is False
    key_device.throttle_reset()
    assert key_device.verify_token(assertion(authenticator, uv=False)) is True


def test_another_credential_is_refused(key_device):
    other = SoftAuthenticator()
    assert key_device.verify_token(assertion(other)) is False


def test_a_damaged_row_refuses_without_an_error(key_device, authenticator):
    key_device.public_key = "not base64url!"
    assert key_device.verify_token(assertion(authenticator)) is False
    key_device.public_key = b64(b"\xa1\x01\x02")  # CBOR, but no key
    key_device.throttle_reset()
    assert key_device.verify_token(assertion(authenticator)) is False


def test_throttled(key_device, authenticator):
    key_device.throttle_increment()
    assert key_device.verify_token(assertion(authenticator)) is False
    key_device.refresh_from_db()
    assert key_device.sign_count == 0


def test_throttle_factor_setting(key_device, settings):
    settings.TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR = 7
    assert key_device.get_throttle_factor() == 7
    key_device.throttle_increment()
    assert key_device.verify_is_allowed()[1]["failure_count"] == 1


def test_the_table_and_persistent_id(key_device):
    assert WebauthnDevice._meta.db_table == "two_factor_webauthn_webauthndevice"
    assert key_device.persistent_id == f"two_factor_webauthn.webauthndevice/{key_device.pk}"
    assert not key_device.is_interactive()


def test_a_counter_beyond_32_bit_signed(user):
    from .conftest import register_key

    authenticator = SoftAuthenticator(sign_count=2**31 + 5)
    device = register_key(user, authenticator)
    assert device.verify_token(assertion(authenticator, counter=2**32 - 1)) is True
    device.refresh_from_db()
    assert device.sign_count == 2**32 - 1
