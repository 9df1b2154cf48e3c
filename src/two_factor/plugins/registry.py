"""The method registry: each way of proving the second factor is a ``MethodBase``.

The core registers the ``generator`` method; plugins register theirs in ``AppConfig.ready()``.
The core never imports a plugin.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from django_otp.util import generate_challenge

if TYPE_CHECKING:
    from django.forms import Form

    from django_otp.models import Device


class MethodNotFoundError(Exception):
    pass


class MethodBase:
    """One way to verify: its code, its name, its setup forms and the devices it knows."""

    code: str = ""
    verbose_name: Any = ""
    form_path: str | None = None
    #: A template included on the sign-in page's password step (e.g. a passkey button), or None.
    auth_step_template: str | None = None

    def is_available(self) -> bool:
        """Whether the method can be used now; read at each request, so settings may change."""
        return True

    def get_devices(self, user: Any) -> list[Device]:
        """The user's confirmed devices of this method."""
        return []

    def recognize_device(self, device: Device) -> bool:
        return False

    def get_other_authentication_devices(self, user: Any, main_device: Device | None) -> list[Device]:
        """Devices of this method the user may pick at sign-in instead of ``main_device``."""
        return [device for device in self.get_devices(user) if not _same_device(device, main_device)]

    def get_setup_forms(self, wizard: Any) -> dict[str, type[Form]]:
        """The setup wizard's steps for this method, in order: ``{step: form class}``."""
        return {self.code: import_string(self.form_path)} if self.form_path else {}

    def get_setup_form_kwargs(self, wizard: Any, step: str) -> dict[str, Any]:
        """Extra keyword arguments for the form of this method's setup ``step``."""
        return {}

    def get_device_from_setup_data(self, request: Any, setup_data: dict[str, Any],
                                   **kwargs: Any) -> Device | None:
        """The (unsaved) device described by the setup wizard's cleaned data."""
        return None

    def send_challenge(self, device: Device, request: Any) -> str | None:
        """Ask ``device`` for a challenge (send a token); returns a message for the user.

        The request goes to a device whose ``generate_challenge`` declares a ``request``
        parameter (a gateway that builds URLs needs it).
        """
        return generate_challenge(device, request)

    def get_token_form_class(self) -> type[Form]:
        from two_factor.forms import AuthenticationTokenForm

        return AuthenticationTokenForm

    def get_token_form_kwargs(self, request: Any, device: Device) -> dict[str, Any]:
        """Extra keyword arguments for the token form of ``device`` at sign-in."""
        return {}

    def get_action(self, device: Device) -> Any:
        """A short label for a button that picks ``device`` at sign-in."""
        return None

    def get_verbose_action(self, device: Device) -> Any:
        """A sentence that tells the user what to do with ``device``."""
        return None

    def setup_completed(self, request: Any, device: Device) -> None:
        """Called once the setup wizard has confirmed ``device``, this method's new default
        device (after its first token was checked): what the method keeps beyond the device."""

    def get_add_device_link(self) -> tuple[Any, str] | None:
        """``(label, URL)`` of a page of this method's own where a user who has two-factor
        authentication adds one more device (the profile page lists these links), or None."""
        return None


def _same_device(device: Device, other: Device | None) -> bool:
    return other is not None and device.persistent_id == other.persistent_id


class GeneratorMethod(MethodBase):
    """An authenticator app: a TOTP device named ``default``, set up with a QR code."""

    code = "generator"
    verbose_name = _("Token generator")
    form_path = "two_factor.forms.TOTPDeviceForm"

    def get_devices(self, user: Any) -> list[Device]:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return list(TOTPDevice.objects.devices_for_user(user, confirmed=True))

    def recognize_device(self, device: Device) -> bool:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        return isinstance(device, TOTPDevice)

    def get_setup_form_kwargs(self, wizard: Any, step: str) -> dict[str, Any]:
        # The secret stays in the session while the wizard runs (see two_factor.flows.setup).
        return {"key": wizard.get_secret_key(), "user": wizard.request.user, "metadata": {}}

    def get_device_from_setup_data(self, request: Any, setup_data: dict[str, Any],
                                   **kwargs: Any) -> Device | None:
        # The generator step's form creates the device itself (it alone knows the drift).
        return None

    def get_action(self, device: Device) -> Any:
        return _("Use your authenticator app")

    def get_verbose_action(self, device: Device) -> Any:
        return _("Please enter the token shown by your authenticator app.")


class MethodRegistry:
    """The registered methods, in registration order."""

    def __init__(self) -> None:
        self._methods: list[MethodBase] = []

    def register(self, method: MethodBase) -> None:
        self.unregister(method.code)
        self._methods.append(method)

    def unregister(self, code: str) -> None:
        self._methods = [method for method in self._methods if method.code != code]

    def get_method(self, code: str) -> MethodBase:
        """The method of ``code`` while it is available; else ``MethodNotFoundError``, as for
        a phone method without its gateway (the old registry held only those that were)."""
        for method in self._methods:
            if method.code == code and method.is_available():
                return method
        raise MethodNotFoundError(code)

    def get_methods(self) -> list[MethodBase]:
        """The methods a user can choose now (``is_available()``: e.g. a gateway is set)."""
        return [method for method in self._methods if method.is_available()]

    def method_from_device(self, device: Device) -> MethodBase | None:
        return next((method for method in self._methods if method.recognize_device(device)), None)


registry = MethodRegistry()
registry.register(GeneratorMethod())
