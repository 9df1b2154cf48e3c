"""Helpers of the email method: an address masked for the screen."""

from __future__ import annotations

from typing import Any

__all__ = ["mask_email"]


def mask_email(email: Any) -> str:
    """``email`` with most characters replaced by ``*``: ``a***e@e*****e.com``.

    The local part and every domain label but the last keep their first and last character
    (parts of 2 or 3 characters keep only the first, a single character is masked); the last
    label (the top-level domain) stays as it is. Each masked character becomes one ``*``.
    A text without ``@`` is masked as one part; None and empty text give ``""``.
    """
    text = "" if email is None else str(email)
    if not text:
        return ""
    local, at, domain = text.rpartition("@")
    if not at:
        return _mask_part(text)
    labels = domain.split(".")
    masked = [_mask_part(label) for label in labels[:-1]] if len(labels) > 1 else []
    masked.append(labels[-1] if len(labels) > 1 else _mask_part(labels[-1]))
    return f"{_mask_part(local)}@{'.'.join(masked)}"


def _mask_part(part: str) -> str:
    if len(part) <= 1:
        return "*" * len(part)
    if len(part) <= 3:
        return part[0] + "*" * (len(part) - 1)
    return part[0] + "*" * (len(part) - 2) + part[-1]
