"""Helpers for static tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from .models import StaticDevice, StaticToken


def add_static_token(username: str, token: str | None = None) -> StaticToken:
    """Give ``username`` a static token (random unless given), creating a device if needed.

    Raises the user model's ``DoesNotExist`` when there is no such user.
    """
    user_model = get_user_model()
    user = user_model._default_manager.get_by_natural_key(username)
    device = StaticDevice.objects.filter(user=user).order_by("pk").first()
    if device is None:
        device = StaticDevice.objects.create(user=user, name="Backup Code")
    return device.token_set.create(token=token or StaticToken.random_token())
