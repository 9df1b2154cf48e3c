"""Forms of the YubiKey method: the sign-in token step, and the setup step that adds a key.

A YubiKey types a one-time password (OTP) in modhex: its public id (12 characters as shipped,
none to 32 when reprogrammed) followed by 32 characters of encrypted data, 44 characters in all
as shipped.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ...forms import AuthenticationTokenForm

__all__ = ["YubiKeyAuthenticationForm", "YubiKeyDeviceForm", "parse_yubikey_otp"]

logger = logging.getLogger("two_factor")

MODHEX = "cbdefghijklnrtuv"
#: The encrypted part of every OTP; the public id before it is 0 to 16 bytes (0 to 32 modhex).
ENCRYPTED_LENGTH = 32
MAX_OTP_LENGTH = ENCRYPTED_LENGTH + 32
#: The name of the ValidationService (made by the site in the admin) that checks new keys.
SERVICE_NAME = "default"


def parse_yubikey_otp(value: Any) -> str | None:
    """``value`` as a YubiKey OTP (lowercase modhex, whitespace removed), or None."""
    if not isinstance(value, str):
        return None
    otp = "".join(value.split()).lower()
    if not ENCRYPTED_LENGTH <= len(otp) <= MAX_OTP_LENGTH or len(otp) % 2:
        return None
    return otp if all(char in MODHEX for char in otp) else None


def _otp_field() -> forms.CharField:
    # A modhex string, not a number: no numeric input mode, room for the longest OTP.
    return forms.CharField(
        label=_("YubiKey"), max_length=MAX_OTP_LENGTH + 8,  # the label django-two-factor-auth gave
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": "autofocus",
                                      "spellcheck": "false", "autocapitalize": "off"}))


class YubiKeyAuthenticationForm(AuthenticationTokenForm):
    """The token step for a YubiKey: touch the key, and it types its OTP here."""

    otp_token = _otp_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["otp_token"].help_text = _("Insert your YubiKey and touch its button.")

    def clean_otp_token(self) -> str:
        # As typed by the key, or pasted with spaces; anything else is left to be refused.
        token = self.cleaned_data.get("otp_token") or ""
        return parse_yubikey_otp(token) or token.strip()


class YubiKeyDeviceForm(forms.Form):
    """The setup step: one OTP from the key names it (its public id) and proves it works.

    The OTP is checked by the ``ValidationService`` named ``default``; ``save()`` then keeps
    the key as the user's ``RemoteYubikeyDevice`` named ``default``.
    """

    token = _otp_field()
    idempotent = False  # the service accepts an OTP once: never check it twice

    error_messages = {
        "invalid_token": _("This is not a one-time password of a YubiKey. Touch the button of "
                           "your key while the cursor is in the field."),
        "no_service": _("YubiKeys cannot be set up on this site yet: no validation service is "
                        "configured. Please contact the site's administrators."),
        "service_error": _("The YubiKey validation service could not be reached. Please try "
                           "again later."),
        "not_verified": _("The validation service did not accept this one-time password. "
                          "Please touch the button of your key again."),
    }

    def __init__(self, user: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.device: Any = None
        self.fields["token"].help_text = _("Insert your YubiKey and touch its button.")

    def clean_token(self) -> str:
        from otp_yubikey.models import RemoteYubikeyDevice, ValidationService

        otp = parse_yubikey_otp(self.cleaned_data["token"])
        if otp is None:
            raise forms.ValidationError(self.error_messages["invalid_token"], code="invalid_token")
        service = ValidationService.objects.filter(name=SERVICE_NAME).order_by("pk").first()
        if service is None:
            raise forms.ValidationError(self.error_messages["no_service"], code="no_service")
        device = RemoteYubikeyDevice(user=self.user, name="default", service=service,
                                     public_id=otp[:-ENCRYPTED_LENGTH])
        try:
            verified = device.verify_token(otp)
        except Exception:  # the network, or an answer that is not the protocol's
            logger.exception("The YubiKey validation service %r failed", service.name)
            raise forms.ValidationError(self.error_messages["service_error"],
                                        code="service_error") from None
        if not verified:
            raise forms.ValidationError(self.error_messages["not_verified"], code="not_verified")
        self.device = device
        return otp

    def save(self) -> Any:
        """Keep the verified key as the user's confirmed default device."""
        self.device.user = self.user
        self.device.confirmed = True
        self.device.save()
        return self.device
