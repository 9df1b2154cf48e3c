"""``PhoneDevice``: tokens sent by text message or read out in a phone call.

A token is the TOTP value of the device's ``key`` at a 30-second step. ``generate_challenge()``
sends the token of a step the device has not used yet; ``verify_token()`` accepts a token of one
of the last few steps (or of the next one, see ``steps_back`` and ``steps_ahead``) that is above
``last_t`` and claims that step with one conditional UPDATE, so a token works once even when two
requests carry it at the same moment. Sending has a cooldown: repeated requests within
``cooldown_duration`` seconds send one message.
"""

from __future__ import annotations

import time
from binascii import unhexlify
from typing import Any

from django.db import models
from django.utils.dateformat import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from django_otp import crypto
from django_otp.fields import SecretField
from django_otp.models import CooldownMixin, Device, ThrottlingMixin
from django_otp.oath import TOTP
from django_otp.util import hex_validator, parse_numeric_token, random_hex

from ...conf import settings
from ...utils import totp_digits
from .utils import mask_phone_number

PHONE_METHODS = (
    ("call", _("Phone call")),
    ("sms", _("Text message")),
)


def key_validator(value: str) -> None:
    """The key is hex-encoded (up to 20 bytes, 40 characters: the column's length)."""
    return hex_validator()(value)


def default_key() -> str:
    return random_hex(20)


class PhoneDevice(CooldownMixin, ThrottlingMixin, Device):
    """A phone number and a token seed, linked to a user."""

    number = PhoneNumberField(max_length=128, verbose_name=_("number"))
    key = SecretField(max_length=40, validators=[key_validator], default=default_key,
                      help_text=_("Hex-encoded secret key"), verbose_name=_("key"))
    method = models.CharField(max_length=4, choices=PHONE_METHODS, verbose_name=_("method"))
    last_t = models.BigIntegerField(
        default=-1,
        help_text=_("The time step of the last verified token. A token of this step or an "
                    "earlier one is refused."))

    #: Seconds of a token step.
    step = 30
    #: The steps whose token is accepted, counted from the current one. Back: a text message may
    #: arrive, or be typed, 2-3 minutes late, so the 5 steps before now are accepted, as the old
    #: PhoneDevice did. Ahead: only the next step, whose token ``current_token()`` sends when
    #: the current step was used already (a token sent right after a sign-in).
    steps_back = 5
    steps_ahead = 1
    #: Seconds between two messages: "send me a code" more often sends nothing new.
    cooldown_duration = 60

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        app_label = "phonenumber"
        db_table = "two_factor_phonedevice"
        verbose_name = _("phone device")
        verbose_name_plural = _("phone devices")

    def __repr__(self) -> str:
        return f"<PhoneDevice(number={self.number!r}, method={self.method!r}>"  # the old text

    def __eq__(self, other: object) -> bool:
        """As the old PhoneDevice: the same number, method and key (the key is random, so a
        saved device equals only itself; unsaved ones can be compared too)."""
        if not isinstance(other, PhoneDevice):
            return False
        return (self.number, self.method, self.key) == (other.number, other.method, other.key)

    def __hash__(self) -> int:
        return hash((str(self.number), self.method, self.key))

    @property
    def bin_key(self) -> bytes:
        return unhexlify(self.key.encode())

    @property
    def digits(self) -> int:
        return totp_digits()

    def get_throttle_factor(self) -> float:
        return settings.TWO_FACTOR_PHONE_THROTTLE_FACTOR

    def get_cooldown_duration(self) -> float:
        return self.cooldown_duration

    def _now(self) -> float:
        """The Unix time that token steps are counted from (a seam for tests)."""
        return time.time()

    def _totp(self) -> TOTP:
        totp = TOTP(self.bin_key, self.step, 0, self.digits)
        totp.time = self._now()
        return totp

    def _match_step(self, totp: TOTP, value: int) -> bool:
        """Whether ``value`` is the token of a step from ``steps_back`` before now to
        ``steps_ahead`` after it, and above ``last_t``; on success ``totp.t()`` is that step.

        ``TOTP.verify`` looks at the steps within a tolerance of its drift: the drift puts the
        window's upper end at ``steps_ahead``, ``min_t`` cuts it at ``steps_back``.
        """
        now_t = totp.t()
        reach = (self.steps_back + self.steps_ahead + 1) // 2
        totp.drift = self.steps_ahead - reach
        return totp.verify(value, reach, max(self.last_t + 1, now_t - self.steps_back))

    def current_token(self) -> str:
        """The token to send now: of the current step, or of the next unused one when the
        current step was used already (so a token sent right after a sign-in still works)."""
        totp = self._totp()
        totp.drift = max(0, self.last_t + 1 - totp.t())
        return f"{totp.token():0{self.digits}d}"

    def generate_challenge(self, request: Any = None) -> str:
        """Send the current token by text message or phone call, unless one was sent less
        than ``cooldown_duration`` seconds ago. Returns a message for the user.

        ``request`` goes to the gateway (one that builds absolute URLs needs it).
        """
        from ...gateways import make_call, send_sms

        allowed, info = self.generate_is_allowed()
        if allowed:
            try:
                token = self.current_token()
            except crypto.DecryptionError as error:
                self._refuse_undecryptable(error)
                return gettext("No token could be sent to this phone. Please use another "
                               "method, or ask the site's administrators for help.")
        # An unsaved device has no row to hold its cooldown: it just sends.
        if allowed and (self.pk is None or self.cooldown_claim()):
            send = make_call if self.method == "call" else send_sms
            try:
                send(device=self, token=token, request=request)
            except Exception:
                self.cooldown_reset()  # nothing was sent: the user may ask again at once
                raise
            number = mask_phone_number(self.number)
            if self.method == "call":
                return gettext("We are calling %(number)s: answer, and listen for the token.") % {
                    "number": number}
            return gettext("A text message with a token is on its way to %(number)s.") % {
                "number": number}
        return self._cooldown_message(info)

    def _cooldown_message(self, info: dict[str, Any] | None) -> str:
        next_at = info.get("next_generation_at") if info else None
        if next_at is None:  # another request is sending it right now
            return gettext("A token was sent moments ago. Please wait for it.")
        return gettext("A token was sent moments ago. Please use it, or ask for a new one at "
                       "%(time)s.") % {"time": time_format(localtime(next_at), "H:i:s")}

    def verify_token(self, token: Any) -> bool:
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        value = parse_numeric_token(token, self.digits)
        try:
            totp = self._totp()
        except crypto.DecryptionError as error:
            return self._refuse_undecryptable(error)
        except ValueError:  # a key that is not hex (edited by hand): it verifies nothing
            totp = None
        if totp is not None and value is not None and self._match_step(totp, value):
            matched_t = totp.t()
            # Claim the step: a concurrent request with the same token updates no row.
            return self._claim(models.Q(last_t__lt=matched_t), last_t=matched_t)
        self._record_failure()
        return False
