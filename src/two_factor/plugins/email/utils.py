"""Helpers of the email method: an address masked for the screen, and the setup mail limit."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

__all__ = ["mask_email", "setup_mail_wait", "record_setup_mail"]

#: The session key of the moment the setup wizard last sent a token by email.
SETUP_SENT_SESSION_KEY = "two_factor_email-setup_sent_at"


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


def setup_mail_wait(session: Any, cooldown: float, now: float | None = None) -> float:
    """Seconds until the setup wizard of this ``session`` may send another mail; 0: now.

    Each run of the setup wizard's email step creates a new device, whose own cooldown starts
    fresh: this limit of the session keeps a user from sending a stream of mails (to any
    address) by submitting the step again and again.
    """
    sent_at = session.get(SETUP_SENT_SESSION_KEY)
    current = timezone.now().timestamp() if now is None else now
    if not isinstance(sent_at, int | float) or not cooldown or sent_at > current:
        return 0
    return max(0.0, sent_at + cooldown - current)


def record_setup_mail(session: Any, now: float | None = None) -> None:
    session[SETUP_SENT_SESSION_KEY] = timezone.now().timestamp() if now is None else now
