"""The tables of two_factor itself: the audit log, the trusted browsers, and the claims.

The first two are written only when their setting is on (``TWO_FACTOR_AUDIT_LOG``,
``TWO_FACTOR_TRUSTED_BROWSERS``); claims by ``two_factor.flows.once``. A device is named by
its persistent id and its name at the time, as strings: the device may be deleted later, its
history stays readable.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import admin
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .events import EVENTS, LABELS

#: Length of the stored user agent; longer ones are cut.
USER_AGENT_LENGTH = 255


def _browser(user_agent: str) -> str:
    from .flows.clients import browser_label

    return browser_label(user_agent)


class _WithUserAgent:
    """``browser``: the ``user_agent`` field in short, for the profile and the admin."""

    user_agent: str

    @property
    @admin.display(description=_("Browser"))
    def browser(self) -> str:
        """The user agent in short ("Firefox / Linux")."""
        return _browser(self.user_agent)


class SecurityEvent(_WithUserAgent, models.Model):
    """One security event of a user: when, what, with which device, from where."""

    id = models.BigAutoField(primary_key=True)
    time = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    # The index on (user, time) below serves the user's lookups: no index of its own.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False,
                             related_name="two_factor_events", verbose_name=_("user"))
    event = models.CharField(_("event"), max_length=32,
                             choices=[(name, LABELS[name]) for name in EVENTS])
    device_id = models.CharField(_("device id"), max_length=255, blank=True)
    device_name = models.CharField(_("device name"), max_length=64, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_LENGTH, blank=True)
    extra = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-time", "-id"]
        indexes = [models.Index(fields=["user", "time"], name="two_factor_event_user_time")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} ({self.time:%Y-%m-%d %H:%M:%S})"


def new_browser_key() -> str:
    """A random identifier of a trusted browser (URL-safe, 22 characters)."""
    return secrets.token_urlsafe(16)


class TrustedBrowser(_WithUserAgent, models.Model):
    """A browser that a remember cookie lets skip the token step, until revoked or expired.

    ``key`` is in the cookie, under its HMACs, and in the URL that revokes it; it grants nothing
    without the cookie's signatures.
    """

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(_("identifier"), max_length=32, unique=True, default=new_browser_key,
                           editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="two_factor_trusted_browsers", verbose_name=_("user"))
    device_id = models.CharField(_("device id"), max_length=255)
    device_name = models.CharField(_("device name"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("trusted since"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=USER_AGENT_LENGTH, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("trusted browser")
        verbose_name_plural = _("trusted browsers")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.device_name or self.device_id} ({self.created_at:%Y-%m-%d %H:%M})"


class Claim(models.Model):
    """A name that a request claimed, to do something once (``two_factor.flows.once``), kept
    until ``expires_at``: unlike a cache, the table forgets no claim early."""

    key = models.CharField(_("key"), max_length=64, primary_key=True)  # SHA-256 of the name
    # Unix times, as the signed values and sessions they go with keep them (no time zone).
    claimed_at = models.FloatField(_("claimed at"))
    expires_at = models.FloatField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")

    def __str__(self) -> str:
        return self.key
