"""The ``yubikey`` method: a YubiKey's one-time passwords, through django-otp-yubikey.

The devices are the third-party ``otp_yubikey`` app's: ``RemoteYubikeyDevice`` (checked by a
validation service, what the setup wizard creates) and ``YubikeyDevice`` (checked locally with
the key's AES secret, created in the admin). Install that package with
``pip install --no-deps django-otp-yubikey YubiOTP`` (its declared dependency is the old
``django-otp``, which would replace ours) and add ``otp_yubikey`` to ``INSTALLED_APPS``.

The setup wizard checks a new key with the ``ValidationService`` named ``default``: the site
creates it in the admin (``otp_yubikey`` → YubiKey validation services), with its API id and key
from Yubico, or the URL of its own validation server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.utils.translation import gettext_lazy as _

from ..registry import MethodBase

if TYPE_CHECKING:
    from django.forms import Form

    from django_otp.models import Device

__all__ = ["YubikeyMethod", "otp_yubikey_installed"]


def otp_yubikey_installed() -> bool:
    """Whether the ``otp_yubikey`` app (django-otp-yubikey) is installed."""
    return apps.is_installed("otp_yubikey")


def _device_models() -> tuple[type[Device], ...]:
    from otp_yubikey.models import RemoteYubikeyDevice, YubikeyDevice

    return RemoteYubikeyDevice, YubikeyDevice


class YubikeyMethod(MethodBase):
    code = "yubikey"
    verbose_name = _("YubiKey")
    form_path = "two_factor.plugins.yubikey.forms.YubiKeyDeviceForm"

    def is_available(self) -> bool:
        return otp_yubikey_installed()

    def get_devices(self, user: Any) -> list[Device]:
        if not otp_yubikey_installed() or user is None or getattr(user, "pk", None) is None:
            return []
        return [device for model in _device_models()
                for device in model.objects.devices_for_user(user, confirmed=True).order_by("pk")]

    def recognize_device(self, device: Device) -> bool:
        return otp_yubikey_installed() and isinstance(device, _device_models())

    def get_setup_form_kwargs(self, wizard: Any, step: str) -> dict[str, Any]:
        return {"user": wizard.request.user}

    def get_device_from_setup_data(self, request: Any, setup_data: dict[str, Any],
                                   **kwargs: Any) -> Device | None:
        # The setup step's form checks the key's OTP and saves the device itself: there is no
        # token left to ask for in a validation step (touching the key again proves nothing new).
        return None

    def get_token_form_class(self) -> type[Form]:
        from .forms import YubiKeyAuthenticationForm

        return YubiKeyAuthenticationForm

    def get_action(self, device: Device) -> Any:
        return _("Use your YubiKey")

    def get_verbose_action(self, device: Device) -> Any:
        return _("Please insert your YubiKey and touch its button.")
