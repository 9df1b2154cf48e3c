"""The ``email`` method: tokens sent through Django's mail framework.

The device is django_otp's ``EmailDevice``: it sets how long a token is valid
(``OTP_EMAIL_TOKEN_VALIDITY``), how soon another may be sent (``OTP_EMAIL_COOLDOWN_DURATION``),
and accepts each token once. The address is never shown in full, only masked (``mask_email``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

from ...flows.login import NothingSent
from ..registry import MethodBase
from .utils import account_email, mask_email

if TYPE_CHECKING:
    from django.forms import Form

    from django_otp.models import Device
    from django_otp.plugins.otp_email.models import EmailDevice

__all__ = ["EmailMethod"]


class EmailMethod(MethodBase):
    code = "email"
    verbose_name = _("Email")
    form_path = "two_factor.plugins.email.forms.EmailForm"

    messages = {
        "no_address": _("There is no email address to send a token to. Please use another "
                        "method."),
    }

    def is_available(self) -> bool:
        return apps.is_installed("django_otp.plugins.otp_email")

    def get_devices(self, user: Any) -> list[Device]:
        from django_otp.plugins.otp_email.models import EmailDevice

        if user is None or getattr(user, "pk", None) is None:
            return []
        return list(EmailDevice.objects.devices_for_user(user, confirmed=True).order_by("pk"))

    def recognize_device(self, device: Device) -> bool:
        from django_otp.plugins.otp_email.models import EmailDevice

        return isinstance(device, EmailDevice)

    def get_setup_forms(self, wizard: Any) -> dict[str, type[Form]]:
        """The address step only for an account without an address: the tokens go to the
        account's own, as in the old package, and the step is skipped."""
        return {} if account_email(wizard.request.user) else super().get_setup_forms(wizard)

    def get_setup_form_kwargs(self, wizard: Any, step: str) -> dict[str, Any]:
        return {"user": wizard.request.user}

    def get_device_from_setup_data(self, request: Any, setup_data: dict[str, Any],
                                   **kwargs: Any) -> Device | None:
        """An unsaved ``EmailDevice``: to the address entered at setup, else the account's."""
        from django_otp.plugins.otp_email.models import EmailDevice

        email = (setup_data.get("email") or {}).get("email") or None
        return EmailDevice(user=request.user, name="default", email=email)

    def setup_completed(self, request: Any, device: Device) -> None:
        """The address entered at setup (the account had none) becomes the account's, as in
        the old package, once a token sent to it has come back; the device then follows the
        account. A user model without an ``email`` field keeps it on the device."""
        email, user = cast("EmailDevice", device).email, request.user
        if email and _has_email_field(user) and not account_email(user):
            user.email = email
            user.save(update_fields=["email"])
            cast("EmailDevice", device).email = None
            device.save(update_fields=["email"])

    def send_challenge(self, device: Device, request: Any) -> str | None:
        """Mail a token (the device keeps to its cooldown). Once it is mailed there is nothing
        to add: the step's instructions say where it went (``get_verbose_action``), and
        django-otp's "sent by email" above them said less. Within the cooldown, the device's
        message says when to ask again."""
        # This method is handed the devices it recognizes: EmailDevices (here and below).
        email_device = cast("EmailDevice", device)
        if not email_device.recipient:
            return NothingSent(self.messages["no_address"])
        sent_before = email_device.valid_until
        message = device.generate_challenge()
        return None if email_device.valid_until != sent_before else message

    def get_action(self, device: Device) -> Any:
        return _("Send email to %s") % mask_email(cast("EmailDevice", device).recipient)

    def get_verbose_action(self, device: Device) -> Any:
        return _("We sent you an email at %(email)s, please enter the token we sent.") % {
            "email": mask_email(cast("EmailDevice", device).recipient)}


def _has_email_field(user: Any) -> bool:
    meta = getattr(user, "_meta", None)  # request.user is a lazy object: not type(user)
    try:
        return meta is not None and meta.get_field("email") is not None
    except FieldDoesNotExist:
        return False
