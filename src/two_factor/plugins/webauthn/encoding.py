"""base64url without padding, as WebAuthn's JSON uses it."""

from __future__ import annotations

import base64


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    """Bytes of base64url ``text`` (padding optional); ValueError when it is not base64url."""
    if not isinstance(text, str) or not text.isascii():
        raise ValueError("not base64url")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
