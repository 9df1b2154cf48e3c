"""The audit log: a receiver of ``security_event`` that keeps a ``SecurityEvent`` row per event.

Rows are written only while ``TWO_FACTOR_AUDIT_LOG`` is true (read on every event), and only
for a known user: an event without one (a passkey that names no account) is not stored, so that
anonymous requests cannot fill the table.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from ..conf import settings
from ..events import THROTTLED, VERIFICATION_FAILED
from ..models import SecurityEvent
from .clients import client_ip, user_agent

#: How many events the profile page shows.
RECENT_EVENTS = 20

#: The error codes of a token form that are a security event (``OTPAuthenticationFormMixin``).
FAILURE_EVENTS = {"invalid_token": VERIFICATION_FAILED, "n_failed_attempts": THROTTLED,
                  "verification_not_allowed": THROTTLED}


def device_fields(device: Any) -> tuple[str, str]:
    """The persistent id and the name of ``device`` (empty strings for none)."""
    if device is None:
        return "", ""
    persistent_id = device.persistent_id if getattr(device, "pk", None) is not None else ""
    return persistent_id[:255], str(getattr(device, "name", "") or "")[:64]


class _LenientEncoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def json_safe(extra: dict[str, Any]) -> dict[str, Any]:
    """``extra`` as plain JSON values (lazy strings, dates and unknown objects as text)."""
    return json.loads(json.dumps(extra, cls=_LenientEncoder))


def event_user(user: Any) -> Any:
    """The user an event belongs to, or None (anonymous)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    return user


def record_event(sender: Any, request: Any = None, user: Any = None, event: str = "",
                 device: Any = None, extra: dict[str, Any] | None = None,
                 **kwargs: Any) -> SecurityEvent | None:
    """Receiver of ``security_event``: store it when the audit log is on."""
    if not settings.TWO_FACTOR_AUDIT_LOG:
        return None
    user = event_user(user)
    if user is None:
        return None
    extra = extra or {}
    device_id, device_name = device_fields(device)
    if device is None:  # an event about a device that is gone may name it in ``extra``
        device_id = str(extra.get("device_id") or "")[:255]
        device_name = str(extra.get("device_name") or "")[:64]
    return SecurityEvent.objects.create(
        user=user, event=event, device_id=device_id, device_name=device_name,
        ip=client_ip(request), user_agent=user_agent(request), extra=json_safe(extra))


def recent_events(user: Any, limit: int = RECENT_EVENTS) -> list[SecurityEvent]:
    """The latest events of ``user``, newest first (one query)."""
    return list(SecurityEvent.objects.filter(user=user).order_by("-time", "-id")[:limit])


def token_failure_event(form: Any) -> str | None:
    """The event of a token form that was validated and refused the token, or None.

    Never validates a form itself (that would use up a token): a form not yet validated, or
    refused for another reason (an empty field, say), is no event.
    """
    if form is None or not getattr(form, "is_bound", False) or not hasattr(form, "cleaned_data"):
        return None
    codes = [error.code for error in form.non_field_errors().as_data()]
    return next((FAILURE_EVENTS[code] for code in codes if code in FAILURE_EVENTS), None)
