"""Helpers for static tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .hashing import MAX_PLAINTEXT_LENGTH
from .models import StaticDevice, StaticToken


def add_static_token(username: str, token: str | None = None) -> StaticToken:
    """Give ``username`` a static token (random unless given), creating a device if needed.

    With ``OTP_STATIC_HASH_TOKENS`` the token is stored hashed: the returned token's ``token``
    is then the hash, and its ``plaintext`` the code (always set). Raises the user model's
    ``DoesNotExist`` when there is no such user, ``ValueError`` for a token longer than 16
    characters (a longer one could never be entered).
    """
    if token and len(token) > MAX_PLAINTEXT_LENGTH:
        raise ValueError("A static token has 1 to 16 characters.")
    user_model = get_user_model()
    user = user_model._default_manager.get_by_natural_key(username)
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup Code")
    return device.add_tokens([token or StaticToken.random_token()])[0]
