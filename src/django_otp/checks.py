"""System checks of django_otp, with stable ids.

- ``django_otp.E001``: ``OTP_ENCRYPTION_KEYS`` is neither None nor a non-empty list or tuple.
- ``django_otp.E002``: a key of ``OTP_ENCRYPTION_KEYS`` is malformed.
- ``django_otp.E003``: a key is listed twice in ``OTP_ENCRYPTION_KEYS``.
- ``django_otp.E004``: ``OTP_ENCRYPTION_KEYS`` is set but ``cryptography`` is not installed.

No message quotes a key: the checks name a key by its position in the list.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register

from . import crypto
from .conf import settings

MAKE_KEY = ("Make a key with: python -c \"from django_otp.crypto import generate_key; "
            "print(generate_key())\"")


@register(Tags.security)
def check_encryption_keys(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """django_otp.E001-E004: ``OTP_ENCRYPTION_KEYS`` is None or a list of distinct valid keys."""
    value = settings.OTP_ENCRYPTION_KEYS
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not value:
        return [Error(
            crypto.KEYS_NOT_A_LIST,
            hint="Write OTP_ENCRYPTION_KEYS = [key] (a list, even for one key), or None to store "
                 "secrets in plain text. " + MAKE_KEY,
            id="django_otp.E001")]
    errors: list[CheckMessage] = []
    seen: dict[str, int] = {}
    for index, text in enumerate(value):
        try:
            key = crypto.parse_key(text)
        except ValueError as error:
            errors.append(Error(
                f"OTP_ENCRYPTION_KEYS[{index}] is not a valid key: {error}.",
                hint=f"A key is the URL-safe base64 of {crypto.KEY_BYTES} random bytes. {MAKE_KEY}",
                id="django_otp.E002"))
            continue
        if key.id in seen:
            errors.append(Error(
                f"OTP_ENCRYPTION_KEYS[{index}] is the same key as OTP_ENCRYPTION_KEYS[{seen[key.id]}].",
                hint="List each key once, newest first.",
                id="django_otp.E003"))
        seen.setdefault(key.id, index)
    if importlib.util.find_spec("cryptography") is None:
        errors.append(Error(
            "OTP_ENCRYPTION_KEYS is set, but the 'cryptography' package is not installed.",
            hint=crypto.INSTALL_HINT,
            id="django_otp.E004"))
    return errors
