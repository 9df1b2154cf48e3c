"""Notification emails: tell the user when their second factors change.

A receiver of ``security_event``. While ``TWO_FACTOR_NOTIFY_EMAIL`` is true (read on every
event), a device added or removed and two-factor authentication turned off send the user a
plain-text email, if they have an address. The mail leaves once the transaction commits (a
rolled-back change announces nothing); a mail that cannot be sent is logged, never an error
page.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from django_otp.models import _parse_persistent_id

from ..conf import settings
from ..events import DEVICE_ADDED, DEVICE_REMOVED, LABELS, TWO_FACTOR_DISABLED
from ..plugins.registry import registry
from .audit import device_fields, event_user
from .clients import client_ip, known_browser, user_agent

logger = logging.getLogger("two_factor")

#: The events that send a notification.
NOTIFY_EVENTS = (DEVICE_ADDED, DEVICE_REMOVED, TWO_FACTOR_DISABLED)
SUBJECT_TEMPLATE = "two_factor/email/security_notice_subject.txt"
BODY_TEMPLATE = "two_factor/email/security_notice_body.txt"


def notice_context(request: Any, user: Any, event: str, device: Any,
                   extra: dict[str, Any]) -> dict[str, Any]:
    """What the templates are given."""
    device_name = device_fields(device)[1] if device is not None else extra.get("device_name", "")
    kind = device_kind(device) if device is not None else (
        extra.get("device_kind") or model_kind(extra.get("device_id")))
    return {"user": user, "event": event, "event_label": LABELS[event], "time": timezone.now(),
            "device_kind": kind, "device_name": device_name, "ip": client_ip(request),
            "browser": notice_browser(user_agent(request)), "extra": extra}


def device_kind(device: Any) -> str:
    """What the notice calls ``device``: its method's name ("Security key"), else its model's.
    Not the device's own name, which whoever added it chose ("added by the IT desk")."""
    method = registry.method_from_device(device)
    return str(method.verbose_name if method is not None else device._meta.verbose_name)


def model_kind(persistent_id: Any) -> str:
    """The kind of the device ``persistent_id`` named (its model's name), for an event that
    only names a device that is gone; empty when it names none."""
    found = _parse_persistent_id(persistent_id)
    return str(found[0]._meta.verbose_name) if found is not None else ""


def notice_browser(agent: str) -> str:
    """The browser as the notice names it: its short name, never a User-Agent of no browser we
    know. Whoever made the change chose that header, and the notice must not carry their words
    ("made by our staff, nothing to do") to the account's owner."""
    return known_browser(agent) or (_("an unknown browser") if agent else "")


def render_notice(context: dict[str, Any]) -> tuple[str, str]:
    """The subject (one line) and the body."""
    subject = " ".join(render_to_string(SUBJECT_TEMPLATE, context).split())
    return subject, render_to_string(BODY_TEMPLATE, context)


def send_notice(subject: str, body: str, address: str) -> bool:
    """Send one notice; a failure is logged and answered False."""
    try:
        send_mail(subject, body, None, [address])
    except Exception:  # the change is done: a mail server that is down must not undo it
        logger.exception("Could not send a security notice to %s", address)
        return False
    return True


def notify_user(sender: Any, request: Any = None, user: Any = None, event: str = "",
                device: Any = None, extra: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Receiver of ``security_event``: mail the user about a change of their second factors."""
    if event not in NOTIFY_EVENTS or not settings.TWO_FACTOR_NOTIFY_EMAIL:
        return
    user = event_user(user)
    address = getattr(user, user.get_email_field_name(), "") if user is not None else ""
    if not address:
        return
    try:
        subject, body = render_notice(notice_context(request, user, event, device, extra or {}))
    except Exception:
        logger.exception("Could not write the security notice %s", event)
        return
    transaction.on_commit(partial(send_notice, subject, body, address))
