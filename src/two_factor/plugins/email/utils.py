"""Helpers of the email method: the account's address, and an address masked for the screen."""

from __future__ import annotations

from typing import Any

__all__ = ["account_email", "mask_email"]


def account_email(user: Any) -> str:
    """The address of ``user``'s account ("" when there is none, or no user)."""
    return getattr(user, "email", "") or ""


def mask_email(email: Any) -> str:
    """``email`` with its local part masked: ``alice@example.com`` is ``a***e@example.com``, as
    the old package showed it (the domain says which inbox to open).

    The local part keeps its first and last character (of 2 or 3 characters only the first, a
    single character is masked), each masked character becomes one ``*``. A text without ``@``
    is masked as one part; None and empty text give ``""``.
    """
    text = "" if email is None else str(email)
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    return f"{_mask_part(local)}@{domain}" if at else _mask_part(text)


def _mask_part(part: str) -> str:
    if len(part) <= 1:
        return "*" * len(part)
    if len(part) <= 3:
        return part[0] + "*" * (len(part) - 1)
    return part[0] + "*" * (len(part) - 2) + part[-1]
