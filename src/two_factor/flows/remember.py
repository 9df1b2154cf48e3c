"""The "remember this browser" cookie: skips the token step, never the password.

A cookie is ``timestamp:device_hash:user_hash`` where
- ``timestamp`` is the signing time (base 62, Django's ``b62_encode``),
- ``device_hash`` is an HMAC of the device's persistent id and the timestamp,
- ``user_hash`` is an HMAC of the user's pk, password hash, device id and timestamp.
The data itself is not in the cookie. It dies with a password change (the hash changes), the
device's removal (no device to match), its age, or another user.

With ``TWO_FACTOR_TRUSTED_BROWSERS`` on, a cookie is ``key:timestamp:device_hash:user_hash``:
``key`` names a ``TrustedBrowser`` row (see ``two_factor.flows.trusted``) and is inside both
HMACs (under salts of their own, so that one format never passes for the other). Only that
format is accepted then, and only while its row is there and not revoked.
"""

from __future__ import annotations

import re
import time
from typing import Any

from django.core.signing import BadSignature, SignatureExpired, b62_decode, b62_encode
from django.utils.crypto import constant_time_compare, salted_hmac

from ..conf import settings

DEVICE_SALT = "two_factor.remember_device.device"
USER_SALT = "two_factor.remember_device.user"
TRUSTED_DEVICE_SALT = "two_factor.remember_device.trusted.device"
TRUSTED_USER_SALT = "two_factor.remember_device.trusted.user"
MAX_COOKIE_LENGTH = 256
_BROWSER_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")


class RememberDeviceCookie:
    """Issue and check remember-device cookies; override the class attributes to change them."""

    device_salt = DEVICE_SALT
    user_salt = USER_SALT
    trusted_device_salt = TRUSTED_DEVICE_SALT
    trusted_user_salt = TRUSTED_USER_SALT
    algorithm = "sha256"

    def _now(self) -> int:
        return int(time.time())

    def _hash(self, salt: str, value: str) -> str:
        return salted_hmac(salt, value, algorithm=self.algorithm).hexdigest()

    def _user_value(self, user: Any, otp_device_id: str, timestamp: str) -> str:
        return f"{user.pk}|{user.password}|{otp_device_id}|{timestamp}"

    def _hashes(self, user: Any, otp_device_id: str, timestamp: str,
                browser_key: str | None) -> tuple[str, str]:
        device_value = f"{otp_device_id}|{timestamp}"
        user_value = self._user_value(user, otp_device_id, timestamp)
        if browser_key is None:
            return self._hash(self.device_salt, device_value), self._hash(self.user_salt, user_value)
        return (self._hash(self.trusted_device_salt, f"{browser_key}|{device_value}"),
                self._hash(self.trusted_user_salt, f"{browser_key}|{user_value}"))

    def make(self, user: Any, otp_device_id: str, browser_key: str | None = None) -> str:
        """A cookie for ``user`` and the device; bound to a trusted browser's ``browser_key``."""
        timestamp = b62_encode(self._now())
        device_hash, user_hash = self._hashes(user, otp_device_id, timestamp, browser_key)
        cookie = f"{timestamp}:{device_hash}:{user_hash}"
        return cookie if browser_key is None else f"{browser_key}:{cookie}"

    def browser_key(self, cookie: Any) -> str | None:
        """The trusted browser's key of a ``key:timestamp:...`` cookie, else None."""
        parts = cookie.split(":") if isinstance(cookie, str) else []
        return parts[0] if len(parts) == 4 and _BROWSER_KEY.fullmatch(parts[0]) else None

    def check(self, cookie: str, user: Any, otp_device_id: str, max_age: int | None = None) -> bool:
        """True for a valid cookie of ``user`` and this device; False when it names another
        device. Raises ``BadSignature`` for a malformed or forged cookie and
        ``SignatureExpired`` for an old one.

        With ``TWO_FACTOR_TRUSTED_BROWSERS`` on only the format with a key is accepted, else
        only the one without. The signatures only: whether the key's record is still valid is
        for ``two_factor.flows.trusted`` to say."""
        parts = cookie.split(":") if isinstance(cookie, str) else []
        browser_key = None
        if settings.TWO_FACTOR_TRUSTED_BROWSERS:
            browser_key = self.browser_key(cookie)
            parts = parts[1:] if browser_key is not None else []
        if len(parts) != 3:
            raise BadSignature("Malformed remember-device cookie")
        timestamp, device_hash, user_hash = parts
        expected_device, expected_user = self._hashes(user, otp_device_id, timestamp, browser_key)
        if not constant_time_compare(device_hash, expected_device):
            return False
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


def well_formed(cookie: Any) -> bool:
    """Whether ``cookie`` has the shape that is accepted now: with a trusted browser's key
    when ``TWO_FACTOR_TRUSTED_BROWSERS`` is on, without one otherwise."""
    if not isinstance(cookie, str) or len(cookie) > MAX_COOKIE_LENGTH:
        return False
    if settings.TWO_FACTOR_TRUSTED_BROWSERS:
        return remember_device_cookie.browser_key(cookie) is not None
    return cookie.count(":") == 2


def of_no_format(cookie: Any) -> bool:
    """Whether ``cookie`` has the shape of neither format, with or without a trusted browser's
    key: of no use whatever ``TWO_FACTOR_TRUSTED_BROWSERS`` says, now or later."""
    if not isinstance(cookie, str) or len(cookie) > MAX_COOKIE_LENGTH:
        return True
    return cookie.count(":") != 2 and remember_device_cookie.browser_key(cookie) is None


def set_remember_cookie(response: Any, user: Any, otp_device_id: str, request: Any = None,
                        device: Any = None) -> None:
    """Set a new remember cookie on ``response``; with ``TWO_FACTOR_TRUSTED_BROWSERS`` on, also
    record the browser (``request`` and ``device`` give its address, agent and device name)."""
    browser_key = None
    if settings.TWO_FACTOR_TRUSTED_BROWSERS:
        from .trusted import trust_browser

        browser_key = trust_browser(request, user, otp_device_id, device).key
    response.set_cookie(
        remember_cookie_name(), remember_device_cookie.make(user, otp_device_id, browser_key),
        max_age=settings.TWO_FACTOR_REMEMBER_COOKIE_AGE,
        domain=settings.TWO_FACTOR_REMEMBER_COOKIE_DOMAIN,
        path=settings.TWO_FACTOR_REMEMBER_COOKIE_PATH,
        secure=settings.TWO_FACTOR_REMEMBER_COOKIE_SECURE,
        httponly=settings.TWO_FACTOR_REMEMBER_COOKIE_HTTPONLY,
        samesite=settings.TWO_FACTOR_REMEMBER_COOKIE_SAMESITE)


def remember_cookie_items(request: Any) -> list[tuple[str, str]]:
    """The remember cookies this browser sent, as ``(name, value)`` pairs."""
    prefix = settings.TWO_FACTOR_REMEMBER_COOKIE_PREFIX
    return [(name, value) for name, value in request.COOKIES.items() if name.startswith(prefix)]


def remember_cookie_names(request: Any) -> list[str]:
    """The names of the remember cookies this browser sent."""
    return [name for name, _value in remember_cookie_items(request)]


def delete_remember_cookie(response: Any, name: str) -> None:
    """Tell the browser to drop the remember cookie ``name`` (with the path, domain and
    SameSite it was set with, or the browser keeps it)."""
    response.delete_cookie(name, path=settings.TWO_FACTOR_REMEMBER_COOKIE_PATH,
                           domain=settings.TWO_FACTOR_REMEMBER_COOKIE_DOMAIN,
                           samesite=settings.TWO_FACTOR_REMEMBER_COOKIE_SAMESITE)
