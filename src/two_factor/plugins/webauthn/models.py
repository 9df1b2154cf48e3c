"""``WebauthnDevice``: a security key or passkey, known by its credential id and public key."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from webauthn import verify_authentication_response

from django_otp.models import Device, ThrottlingMixin, TimestampMixin

from ...conf import settings
from .encoding import b64decode

logger = logging.getLogger("two_factor.webauthn")


@dataclass(frozen=True)
class Assertion:
    """What ``WebauthnDevice.verify_token`` checks: the browser's ``navigator.credentials.get()``
    result (JSON) and what the server expects of it, the challenge issued to this session first.
    """

    response: str
    challenge: bytes
    origin: str
    rp_id: str
    require_user_verification: bool = False


class WebauthnDevice(TimestampMixin, ThrottlingMixin, Device):
    """A WebAuthn credential of the user: the second step of a sign-in, or a passkey.

    ``verify_token`` takes an ``Assertion``; a typed code is never one, so it is refused without
    counting a failure. The signature counter is claimed with a conditional UPDATE.
    """

    public_key = models.TextField(help_text=_("The COSE public key of the credential (base64url)."))
    key_handle = models.TextField(db_index=True,
                                  help_text=_("The credential id (base64url)."))
    # A 32-bit unsigned counter: an IntegerField (as in the first migration) overflows at 2**31.
    sign_count = models.BigIntegerField(
        default=0, help_text=_("The signature counter the authenticator reported last."))
    user_handle = models.CharField(
        max_length=128, blank=True, null=True,
        help_text=_("The user handle stored in a passkey (base64url)."))
    discoverable = models.BooleanField(
        null=True, blank=True, default=None,
        help_text=_("Whether the credential is discoverable (a passkey); empty if unknown."))

    claims_tokens_atomically = True

    class Meta(Device.Meta):
        verbose_name = _("WebAuthn device")
        verbose_name_plural = _("WebAuthn devices")

    def get_throttle_factor(self) -> float:
        return settings.TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR

    def verify_token(self, token: Any) -> bool:
        if not isinstance(token, Assertion):
            return False
        allowed, _info = self.verify_is_allowed()
        if not allowed:
            return False
        new_count = self.signed_count(token)
        if new_count is None:
            self._record_failure()
            return False
        return self.claim_count(new_count)

    def signed_count(self, token: Assertion) -> int | None:
        """The signature count of the assertion if it is signed by this credential, for this
        challenge and site, else None. Counts no failure and claims nothing (``claim_count``)."""
        return self._check(token) if isinstance(token, Assertion) else None

    def claim_count(self, new_count: int) -> bool:
        """Claim a verified assertion's signature count; False for a replayed or cloned key.

        An authenticator that counts must show a higher count than any seen before (a lower one
        is a cloned key or a replay); one that does not count (0) relies on the challenge.
        """
        condition = models.Q(sign_count__lt=new_count) if new_count else models.Q(sign_count=0)
        return self._claim(condition, sign_count=new_count)

    def _check(self, token: Assertion) -> int | None:
        """The new signature count when the assertion is valid for this credential, else None."""
        try:
            verified = verify_authentication_response(
                credential=token.response, expected_challenge=token.challenge,
                expected_rp_id=token.rp_id, expected_origin=token.origin,
                credential_public_key=b64decode(self.public_key),
                credential_current_sign_count=self.sign_count,
                require_user_verification=token.require_user_verification)
        except Exception as exc:  # malformed input of any kind is a failed verification
            logger.info("WebAuthn assertion refused for %s: %s", self.persistent_id, exc)
            return None
        if verified.credential_id != b64decode(self.key_handle):
            return None
        return verified.new_sign_count
