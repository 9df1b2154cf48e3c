"""Tokens delivered by email through Django's mail framework."""

from __future__ import annotations

from typing import Any

from django.core.mail import send_mail
from django.db import models
from django.template import engines
from django.template.loader import get_template
from django.utils import timezone
from django.utils.dateformat import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from django_otp.conf import DEFAULTS, settings
from django_otp.mixins import commit_fields
from django_otp.models import (
    CooldownMixin,
    GenerateNotAllowed,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
)


class EmailDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """Sends a short-lived token to ``email``, or to the user's address when it is empty."""

    email = models.EmailField(
        max_length=254, null=True, blank=True,
        help_text=gettext_lazy("Optional alternative email address to send tokens to"))

    class Meta(SideChannelDevice.Meta):
        verbose_name = gettext_lazy("email device")
        verbose_name_plural = gettext_lazy("email devices")

    def get_throttle_factor(self) -> float:
        return settings.OTP_EMAIL_THROTTLE_FACTOR

    def get_cooldown_duration(self) -> float:
        return settings.OTP_EMAIL_COOLDOWN_DURATION

    @property
    def recipient(self) -> str:
        return self.email or self.user.email

    def generate_challenge(self, extra_context: dict[str, Any] | None = None) -> str:
        """Email a fresh token, unless the cooldown since the last one is still running."""
        allowed, info = self.generate_is_allowed()
        if allowed and self.cooldown_claim():
            try:
                self.generate_token(valid_secs=settings.OTP_EMAIL_TOKEN_VALIDITY)
                self.send_token_mail(extra_context)
            except Exception:
                self.cooldown_reset()  # nothing was sent: the user may ask again at once
                raise
            return _("sent by email")
        if info and info.get("reason") == GenerateNotAllowed.COOLDOWN_DURATION_PENDING:
            return _("A token was sent moments ago. You can ask for a new one at %(time)s.") % {
                "time": time_format(localtime(info["next_generation_at"]), "H:i:s")}
        return _("A token was sent moments ago. Please check your email.")

    def verify_token(self, token: Any) -> bool:
        """The base check, throttled: a wrong or expired token counts one failure."""
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        now = timezone.now()
        if not self._token_matches(token, now):
            self._record_failure()
            return False
        # A request that loses the race for the right token was not guessing: not counted.
        return self._consume_token(now)

    def generate_token(self, length: int = 6, valid_secs: int = 300, commit: bool = True) -> None:
        super().generate_token(length, valid_secs, commit=False)
        if commit:  # only the token's columns, so that a concurrent write to the others is kept
            commit_fields(self, token=self.token, valid_until=self.valid_until)

    def send_token_mail(self, extra_context: dict[str, Any] | None = None) -> None:
        context = {"token": self.token, "device": self, **(extra_context or {})}
        body = _render(settings.OTP_EMAIL_BODY_TEMPLATE, settings.OTP_EMAIL_BODY_TEMPLATE_PATH,
                       context)
        html = _render(settings.OTP_EMAIL_BODY_HTML_TEMPLATE,
                       settings.OTP_EMAIL_BODY_HTML_TEMPLATE_PATH, context)
        if body is None:  # both settings emptied: the package's text, not a mail without its token
            body = get_template(DEFAULTS["OTP_EMAIL_BODY_TEMPLATE_PATH"]).render(context)
        if html is None:
            self.send_mail(body)
        else:
            self.send_mail(body, html_message=html)

    def send_mail(self, body: str, **kwargs: Any) -> None:
        """Deliver ``body`` to ``recipient``: the override point for another way of delivery
        (a proxy model, say). ``kwargs`` go to ``django.core.mail.send_mail``."""
        send_mail(str(settings.OTP_EMAIL_SUBJECT), body, settings.OTP_EMAIL_SENDER,
                  [self.recipient], **kwargs)


def _render(source: str | None, path: str | None, context: dict[str, Any]) -> str | None:
    """A template given as text, else by path; None when neither is set."""
    if source:
        return engines["django"].from_string(source).render(context)
    if path:
        return get_template(path).render(context)
    return None
