"""The ``webauthn`` method: a security key (or passkey) as the second step, set up in the wizard."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from two_factor.conf import settings
from two_factor.plugins.registry import MethodBase

if TYPE_CHECKING:
    from django.forms import Form

    from django_otp.models import Device


class WebauthnMethod(MethodBase):
    code = "webauthn"
    verbose_name = _("WebAuthn")
    form_path = "two_factor.plugins.webauthn.forms.WebauthnDeviceForm"
    #: Shown on the sign-in page's password step: the "Sign in with a passkey" button.
    auth_step_template = "two_factor/webauthn/passkey_login.html"

    def is_available(self) -> bool:
        return bool(settings.TWO_FACTOR_WEBAUTHN_RP_NAME)

    def get_add_device_link(self) -> tuple[Any, str]:
        return _("Add a security key or passkey"), reverse("two_factor:webauthn_add")

    def get_devices(self, user: Any) -> list[Device]:
        from .models import WebauthnDevice

        return list(WebauthnDevice.objects.devices_for_user(user, confirmed=True).order_by("pk"))

    def recognize_device(self, device: Device) -> bool:
        from .models import WebauthnDevice

        return isinstance(device, WebauthnDevice)

    def get_other_authentication_devices(self, user: Any, main_device: Device | None) -> list[Device]:
        # The token step of one key accepts every key of the user: offer one, and only
        # when another method's device is asked first.
        if main_device is not None and self.recognize_device(main_device):
            return []
        return self.get_devices(user)[:1]

    def get_setup_form_kwargs(self, wizard: Any, step: str) -> dict[str, Any]:
        return {"request": wizard.request, "user": wizard.request.user}

    def get_token_form_class(self) -> type[Form]:
        from .forms import WebauthnTokenForm

        return WebauthnTokenForm

    def get_token_form_kwargs(self, request: Any, device: Device) -> dict[str, Any]:
        return {"request": request}

    def get_action(self, device: Device) -> Any:
        return _("Use your security key")

    def get_verbose_action(self, device: Device) -> Any:
        return _("Use your security key or passkey: press the button below and follow the "
                 "instructions of your browser.")
