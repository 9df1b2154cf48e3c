"""The "remember this browser" cookie: skips the token step, never the password.

A cookie is ``timestamp:device_hash:user_hash`` where
- ``timestamp`` is the signing time (base 36),
- ``device_hash`` is an HMAC of the device's persistent id and the timestamp,
- ``user_hash`` is an HMAC of the user's pk, password hash, device id and timestamp.
The data itself is not in the cookie. It dies with a password change (the hash changes), the
device's removal (no device to match), its age, or another user.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.signing import BadSignature, SignatureExpired, b62_decode, b62_encode
from django.utils.crypto import constant_time_compare, salted_hmac

from ..conf import settings

DEVICE_SALT = "two_factor.remember_device.device"
USER_SALT = "two_factor.remember_device.user"


class RememberDeviceCookie:
    """Issue and check remember-device cookies; override the class attributes to change them."""

    device_salt = DEVICE_SALT
    user_salt = USER_SALT
    algorithm = "sha256"

    def _now(self) -> int:
        return int(time.time())

    def _hash(self, salt: str, value: str) -> str:
        return salted_hmac(salt, value, algorithm=self.algorithm).hexdigest()

    def _user_value(self, user: Any, otp_device_id: str, timestamp: str) -> str:
        return f"{user.pk}|{user.password}|{otp_device_id}|{timestamp}"

    def make(self, user: Any, otp_device_id: str) -> str:
        timestamp = b62_encode(self._now())
        device_hash = self._hash(self.device_salt, f"{otp_device_id}|{timestamp}")
        user_hash = self._hash(self.user_salt, self._user_value(user, otp_device_id, timestamp))
        return f"{timestamp}:{device_hash}:{user_hash}"

    def check(self, cookie: str, user: Any, otp_device_id: str, max_age: int | None = None) -> bool:
        """True for a valid cookie of ``user`` and this device; False when it names another
        device. Raises ``BadSignature`` for a malformed or forged cookie and
        ``SignatureExpired`` for an old one."""
        parts = cookie.split(":") if isinstance(cookie, str) else []
        if len(parts) != 3:
            raise BadSignature("Malformed remember-device cookie")
        timestamp, device_hash, user_hash = parts
        expected_device = self._hash(self.device_salt, f"{otp_device_id}|{timestamp}")
        if not constant_time_compare(device_hash, expected_device):
            return False
        expected_user = self._hash(self.user_salt, self._user_value(user, otp_device_id, timestamp))
        if not constant_time_compare(user_hash, expected_user):
            raise BadSignature("Remember-device cookie does not match the user")
        try:
            signed_at = b62_decode(timestamp)
        except ValueError as exc:
            raise BadSignature("Malformed remember-device cookie timestamp") from exc
        max_age = settings.TWO_FACTOR_REMEMBER_COOKIE_AGE if max_age is None else max_age
        if max_age is not None and self._now() - signed_at > int(max_age):
            raise SignatureExpired("Remember-device cookie has expired")
        return True


remember_device_cookie = RememberDeviceCookie()


def get_remember_device_cookie(user: Any, otp_device_id: str) -> str:
    return remember_device_cookie.make(user, otp_device_id)


def validate_remember_device_cookie(cookie: str, user: Any, otp_device_id: str) -> bool:
    return remember_device_cookie.check(cookie, user, otp_device_id)


def remember_cookie_name() -> str:
    """A new cookie name: one cookie per remembered device, all under the prefix."""
    import secrets

    return f"{settings.TWO_FACTOR_REMEMBER_COOKIE_PREFIX}{secrets.token_hex(8)}"


def set_remember_cookie(response: Any, user: Any, otp_device_id: str) -> None:
    response.set_cookie(
        remember_cookie_name(), get_remember_device_cookie(user, otp_device_id),
        max_age=settings.TWO_FACTOR_REMEMBER_COOKIE_AGE,
        domain=settings.TWO_FACTOR_REMEMBER_COOKIE_DOMAIN,
        path=settings.TWO_FACTOR_REMEMBER_COOKIE_PATH,
        secure=settings.TWO_FACTOR_REMEMBER_COOKIE_SECURE,
        httponly=settings.TWO_FACTOR_REMEMBER_COOKIE_HTTPONLY,
        samesite=settings.TWO_FACTOR_REMEMBER_COOKIE_SAMESITE)


def remember_cookies(request: Any) -> list[str]:
    prefix = settings.TWO_FACTOR_REMEMBER_COOKIE_PREFIX
    return [value for name, value in request.COOKIES.items() if name.startswith(prefix)]
