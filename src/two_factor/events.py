"""The security events, and the one function that announces them (``security_event``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from .signals import security_event

VERIFIED = "verified"  # a token (or a remember cookie) completed a sign-in or a re-verification
VERIFICATION_FAILED = "verification_failed"  # a wrong token
THROTTLED = "throttled"  # a token refused because of earlier failures, right or wrong
DEVICE_ADDED = "device_added"
DEVICE_REMOVED = "device_removed"
BACKUP_TOKEN_USED = "backup_token_used"
BACKUP_TOKENS_GENERATED = "backup_tokens_generated"
REMEMBER_COOKIE_USED = "remember_cookie_used"  # a trusted browser skipped the token step
TWO_FACTOR_DISABLED = "two_factor_disabled"
TRUSTED_BROWSER_REVOKED = "trusted_browser_revoked"
REAUTHENTICATED = "reauthenticated"  # a sensitive page accepted a fresh verification
LOGGED_OUT_EVERYWHERE = "logged_out_everywhere"  # other sessions and trusted browsers ended

EVENTS = (VERIFIED, VERIFICATION_FAILED, THROTTLED, DEVICE_ADDED, DEVICE_REMOVED,
          BACKUP_TOKEN_USED, BACKUP_TOKENS_GENERATED, REMEMBER_COOKIE_USED, TWO_FACTOR_DISABLED,
          TRUSTED_BROWSER_REVOKED, REAUTHENTICATED, LOGGED_OUT_EVERYWHERE)

#: What a person reads for each event (the audit log's choices, the profile, the emails).
LABELS = {
    VERIFIED: _("Signed in with two factors"),
    VERIFICATION_FAILED: _("Wrong token"),
    THROTTLED: _("Token refused after too many failures"),
    DEVICE_ADDED: _("Device added"),
    DEVICE_REMOVED: _("Device removed"),
    BACKUP_TOKEN_USED: _("Backup token used"),
    BACKUP_TOKENS_GENERATED: _("New backup tokens generated"),
    REMEMBER_COOKIE_USED: _("Trusted browser used instead of a token"),
    TWO_FACTOR_DISABLED: _("Two-factor authentication disabled"),
    TRUSTED_BROWSER_REVOKED: _("Trusted browser revoked"),
    REAUTHENTICATED: _("Verified again for a sensitive action"),
    LOGGED_OUT_EVERYWHERE: _("Signed out everywhere"),
}


def emit(request: Any, event: str, user: Any = None, device: Any = None, **extra: Any) -> None:
    """Send ``security_event``. ``user`` defaults to ``request.user``."""
    if event not in EVENTS:
        raise ValueError(f"Unknown security event {event!r}")
    if user is None and request is not None:
        user = getattr(request, "user", None)
    security_event.send(sender=event, request=request, user=user, event=event, device=device,
                        extra=extra)
