"""Encryption of device secrets at rest: AES-256-GCM under the keys of ``OTP_ENCRYPTION_KEYS``.

A key is the URL-safe base64 of 32 random bytes (make one with ``generate_key()``). The setting
lists keys newest first: the newest encrypts, every one decrypts, so a key is rotated by putting
a new one in front, running ``manage.py otp_reencrypt``, then dropping the old one.

A stored value describes itself: ``otpenc1$<key id>$<base64 of nonce + ciphertext>``. The key id
(8 hex digits, an HMAC of a fixed text under the key) names the key without revealing it; the
associated data is the field's ``app_label.model.field`` (``context``), so a ciphertext copied
into another column does not decrypt. A value without the prefix is plain text: rows written
before encryption was turned on keep working until the command re-encrypts them.

``cryptography`` (the ``[crypto]`` extra) is imported only when a key is used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .conf import settings

__all__ = ["PREFIX", "DecryptionError", "Key", "configured_keys", "decrypt", "encrypt",
           "generate_key", "is_encrypted", "parse_key", "stored_key_id", "stored_length"]

PREFIX = "otpenc1$"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_ID_LENGTH = 8
_KEY_ID_MESSAGE = b"django_otp.crypto key id"
INSTALL_HINT = "Install it with: pip install 'django-twofold[crypto]'."
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


class DecryptionError(ImproperlyConfigured):
    """A stored secret cannot be decrypted: its key is not configured, or it was altered."""


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes = field(repr=False)


def generate_key() -> str:
    """A new random key, as ``OTP_ENCRYPTION_KEYS`` takes it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def parse_key(text: Any) -> Key:
    """The key written as ``text``; ValueError (which never quotes the key) when malformed."""
    if not isinstance(text, str):
        raise ValueError(f"a key must be a string, not {type(text).__name__}")
    secret = _b64decode(text.strip())
    if secret is None:
        raise ValueError("a key must be URL-safe base64")
    if len(secret) != KEY_BYTES:
        raise ValueError(f"a key must decode to {KEY_BYTES} bytes, not {len(secret)}")
    digest = hmac.new(secret, _KEY_ID_MESSAGE, hashlib.sha256).hexdigest()
    return Key(id=digest[:KEY_ID_LENGTH], secret=secret)


#: What ``OTP_ENCRYPTION_KEYS`` must be (the system check and ``configured_keys`` both say it).
KEYS_NOT_A_LIST = "OTP_ENCRYPTION_KEYS must be None or a non-empty list of keys, newest first."


def configured_keys() -> tuple[Key, ...]:
    """The keys of ``OTP_ENCRYPTION_KEYS``, newest first; empty when encryption is off."""
    value = settings.OTP_ENCRYPTION_KEYS
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not value:
        raise ImproperlyConfigured(KEYS_NOT_A_LIST)
    return _parse_keys(tuple(value))


@lru_cache(maxsize=8)
def _parse_keys(texts: tuple[Any, ...]) -> tuple[Key, ...]:
    keys = []
    for index, text in enumerate(texts):
        try:
            keys.append(parse_key(text))
        except ValueError as error:
            raise ImproperlyConfigured(f"OTP_ENCRYPTION_KEYS[{index}] is not valid: {error}.") from None
    return tuple(keys)


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX)


def stored_key_id(stored: str) -> str | None:
    """The id of the key that encrypted ``stored``, or None for plain text."""
    if not is_encrypted(stored):
        return None
    return stored[len(PREFIX):].partition("$")[0]


def stored_length(plaintext_bytes: int) -> int:
    """The length of the stored form of a secret of ``plaintext_bytes`` bytes."""
    payload = NONCE_BYTES + plaintext_bytes + TAG_BYTES
    return len(PREFIX) + KEY_ID_LENGTH + 1 + -(-payload * 4 // 3)


def encrypt(plaintext: str, context: str) -> str:
    """``plaintext`` encrypted under the newest configured key, bound to ``context``."""
    keys = configured_keys()
    if not keys:
        raise ImproperlyConfigured("OTP_ENCRYPTION_KEYS is not set: there is no key to encrypt with.")
    key = keys[0]
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = _aesgcm()(key.secret).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
    return f"{PREFIX}{key.id}${payload}"


def decrypt(stored: str, context: str) -> str:
    """The plain text of ``stored`` (returned as it is when it is not encrypted)."""
    if not is_encrypted(stored):
        return stored
    key_id, _sep, payload = stored[len(PREFIX):].partition("$")
    raw = _b64decode(payload) or b""
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError(f"The stored secret of {context} is not a valid encrypted value.")
    candidates = [key for key in configured_keys() if key.id == key_id]
    if not candidates:
        raise DecryptionError(
            f"A secret of {context} is encrypted under key id {key_id!r}, which is not in "
            f"OTP_ENCRYPTION_KEYS. Put that key back in the list (after the newest one) and run "
            f"'manage.py otp_reencrypt'.")
    aesgcm = _aesgcm()
    from cryptography.exceptions import InvalidTag

    for key in candidates:
        try:
            opened = aesgcm(key.secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                   context.encode("utf-8"))
        except InvalidTag:
            continue
        return opened.decode("utf-8")
    raise DecryptionError(
        f"A secret of {context} under key id {key_id!r} failed authentication: it was altered, "
        f"or copied from another column.")


def _b64decode(text: str) -> bytes | None:
    """The bytes of URL-safe base64 ``text`` (padded or not), or None when it is not that."""
    if not _BASE64URL.fullmatch(text):
        return None
    bare = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
    except (binascii.Error, ValueError):
        return None


def _aesgcm() -> Any:
    try:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    except ImportError:
        raise ImproperlyConfigured(
            f"OTP_ENCRYPTION_KEYS is set, but the 'cryptography' package is missing. {INSTALL_HINT}"
        ) from None
    return AESGCM
