"""Small helpers for keys and tokens."""

from __future__ import annotations

import inspect
import secrets
from binascii import unhexlify
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def hex_validator(length: int = 0) -> Callable[[str], None]:
    """A validator for hex-encoded strings; ``length`` > 0 requires that many bytes."""

    def validate_hex(value: str) -> None:
        try:
            raw = unhexlify(value.encode() if isinstance(value, str) else value)
        except Exception as exc:
            raise ValidationError(_("%(value)s is not valid hex-encoded data."),
                                  params={"value": value}, code="invalid") from exc
        if length > 0 and len(raw) != length:
            raise ValidationError(
                _("%(value)s does not represent exactly %(length)d bytes."),
                params={"value": value, "length": length}, code="length")

    return validate_hex


def random_hex(length: int = 20) -> str:
    """``length`` random bytes, hex-encoded (so twice as many characters)."""
    return secrets.token_hex(length)


def random_number_token(length: int = 6) -> str:
    """A string of ``length`` random decimal digits."""
    return "".join(secrets.choice("0123456789") for _ in range(length))


_ASCII_DIGITS = frozenset("0123456789")


def parse_numeric_token(token: object, max_digits: int = 10) -> int | None:
    """The integer value of a typed numeric token, or None when it cannot be one.

    Surrounding white space and spaces between digit groups ("123 456") are ignored;
    anything else, non-ASCII digits included, is refused rather than guessed at.
    """
    if isinstance(token, int) and not isinstance(token, bool):
        return token if 0 <= token < 10**max_digits else None
    if not isinstance(token, str):
        return None
    digits = token.strip().replace(" ", "")
    if not digits or len(digits) > max_digits or not set(digits) <= _ASCII_DIGITS:
        return None
    return int(digits)


def otpauth_url(kind: str, account: str, key: bytes, issuer: object = None,
                **params: object) -> str:
    """An ``otpauth://`` provisioning URL (the Key Uri Format read by authenticator apps).

    ``kind`` is ``totp`` or ``hotp``; ``params`` adds query parameters such as ``digits``,
    ``period`` or ``counter`` (None values are left out). The URL is written as django-otp
    writes it, since sites and their tests compare these URLs (and authenticator apps read
    either form): the label quoted with ``quote``'s default safe characters (so the colon is
    ``%3A``), the base32 secret with its ``=`` padding, then the ``params``, then ``issuer``
    (quoted the same way) and last ``image``, a URL whose ``:`` and ``/`` are kept.
    """
    from base64 import b32encode
    from urllib.parse import quote, urlencode

    # "issuer:account" is split at the first colon, so the issuer cannot keep one.
    issuer = str(issuer).replace(":", "") if issuer else None
    image = params.pop("image", None)
    label = quote(f"{issuer}:{account}" if issuer else account)
    query: dict[str, object] = {"secret": b32encode(key).decode(), "algorithm": "SHA1"}
    query.update((name, value) for name, value in params.items() if value is not None)
    encoded = urlencode(query, quote_via=quote)
    if issuer:
        encoded += f"&issuer={quote(issuer)}"
    if image:
        encoded += f"&image={quote(str(image), safe=':/')}"
    return f"otpauth://{kind}/{label}?{encoded}"


def generate_challenge(device: Any, request: Any = None) -> Any:
    """``device.generate_challenge()``, given ``request`` when the method declares a parameter
    named ``request`` (a phone device whose gateway builds an absolute URL); a device written
    for django-otp, without one, is called as before."""
    if declares_parameter(type(device).generate_challenge, "request"):
        return device.generate_challenge(request=request)
    return device.generate_challenge()


@lru_cache(maxsize=256)
def declares_parameter(function: Any, name: str) -> bool:
    """Whether ``function`` declares a parameter ``name`` that can be passed by keyword;
    ``**kwargs`` alone does not count (a ``MagicMock`` accepts anything but declares nothing).

    Cached by the function itself, so a method replaced on a class is looked at again.
    """
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == name and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
               for p in parameters)
