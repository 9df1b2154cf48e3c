from django_otp import match_token, verify_token

from ..conftest import hotp_at, totp_now


def test_each_kind_verifies_once(totp_device, hotp_device, static_device, email_device, user):
    email_device.generate_challenge()
    email_device.refresh_from_db()
    assert email_device.verify_token(email_device.token)
    token = totp_now(totp_device)
    assert verify_token(user, totp_device.persistent_id, token) == totp_device
    assert verify_token(user, totp_device.persistent_id, token) is None
    assert match_token(user, hotp_at(hotp_device)) == hotp_device
    assert match_token(user, "abcd2345") == static_device
    assert match_token(user, "abcd2345") is None
