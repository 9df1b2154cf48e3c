"""The phone methods: tokens by text message (``sms``) or read out in a call (``call``).

Each is available when its gateway setting is set (``TWO_FACTOR_SMS_GATEWAY``,
``TWO_FACTOR_CALL_GATEWAY``), read at every call so that the setting may change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext_lazy as _

from ...conf import settings
from ..registry import MethodBase
from .utils import backup_phones, get_available_phone_methods, mask_phone_number

if TYPE_CHECKING:
    from django_otp.models import Device

    from .models import PhoneDevice

__all__ = ["PhoneMethodBase", "PhoneCallMethod", "SMSMethod"]

class PhoneMethodBase(MethodBase):
    """What the call and text-message methods share: a ``PhoneDevice`` with this ``code``."""

    #: The setting that names the gateway; the method is offered only when it is set.
    gateway_setting = ""
    form_path = "two_factor.plugins.phonenumber.forms.PhoneNumberForm"
    #: "Pick this device" (a button at sign-in), with the masked number.
    action: Any = ""
    #: What the user does at the token step.
    verbose_action: Any = ""

    def is_available(self) -> bool:
        return bool(getattr(settings, self.gateway_setting))

    def get_devices(self, user: Any) -> list[Device]:
        from .models import PhoneDevice

        if user is None or getattr(user, "pk", None) is None:
            return []
        return list(PhoneDevice.objects.devices_for_user(user, confirmed=True)
                    .filter(method=self.code).order_by("pk"))

    def recognize_device(self, device: Device) -> bool:
        from .models import PhoneDevice

        return isinstance(device, PhoneDevice) and device.method == self.code

    def get_device_from_setup_data(self, request: Any, setup_data: dict[str, Any],
                                   **kwargs: Any) -> Device | None:
        from .models import PhoneDevice

        number = (setup_data.get(self.code) or {}).get("number")
        if not number:
            return None
        return PhoneDevice(user=request.user, name="default", number=number, method=self.code)

    def get_action(self, device: Device) -> Any:
        # A method is asked about the devices it recognizes: a PhoneDevice.
        return self.action % mask_phone_number(cast("PhoneDevice", device).number)

    def get_verbose_action(self, device: Device) -> Any:
        return self.verbose_action

    def get_profile_context(self, user: Any) -> dict[str, Any]:
        """For the profile page: the backup phones (a QuerySet, as the old profile gave), and
        the phone methods on offer."""
        return {"backup_phones": backup_phones(user),
                "available_phone_methods": get_available_phone_methods()}


class PhoneCallMethod(PhoneMethodBase):
    code = "call"
    verbose_name = _("Phone call")
    gateway_setting = "TWO_FACTOR_CALL_GATEWAY"
    action = _("Call number %s")
    verbose_action = _("We are calling your phone right now, please enter the digits you hear.")


class SMSMethod(PhoneMethodBase):
    code = "sms"
    verbose_name = _("Text message")
    gateway_setting = "TWO_FACTOR_SMS_GATEWAY"
    action = _("Send text message to %s")
    verbose_action = _("We sent you a text message, please enter the token we sent.")
