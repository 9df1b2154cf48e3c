"""Wizard storage in the session: validated data per step, and the signed-in user."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import load_backend
from formtools.wizard.storage.session import SessionStorage

from django_otp.middleware import load_device_with_user
from django_otp.models import Device


class ExtraSessionStorage(SessionStorage):
    """``SessionStorage`` with ``validated_step_data``: cleaned data of steps validated once."""

    validated_step_data_key = "validated_step_data"

    def init_data(self) -> None:
        super().init_data()
        self.data[self.validated_step_data_key] = {}

    def reset(self) -> None:
        # A sign-in over another user's session empties the session (as ``auth.login`` does):
        # the wizard's data is gone with it, and there is nothing left to reset.
        if self.prefix in self.request.session:
            super().reset()

    @property
    def validated_step_data(self) -> dict[str, Any]:
        return self.data.setdefault(self.validated_step_data_key, {})

    @validated_step_data.setter
    def validated_step_data(self, value: dict[str, Any]) -> None:
        self.data[self.validated_step_data_key] = value


class LoginStorage(ExtraSessionStorage):
    """Adds ``authenticated_user``: kept as the user's pk and backend, never as credentials.

    In the wizard's session data as ``user_pk`` (the pk as a string) and ``user_backend`` (the
    dotted path of the backend that authenticated the user), the two keys that
    django-two-factor-auth keeps and that sites' tests read.

    While a device is asked for a token (``extra_data["device"]``), the user is loaded with that
    device in one query, when the backend's own lookup is the plain one; the device is then
    ``loaded_device``, for the view to check as it would check a device it loads itself.
    """

    user_pk_key = "user_pk"
    user_backend_key = "user_backend"
    loaded_device: Device | None = None

    @property
    def has_authenticated_user(self) -> bool:
        """Whether a user passed the password step (without loading them)."""
        return bool(self.data.get(self.user_pk_key))

    @property
    def authenticated_user(self) -> Any:
        pk, backend_path = self.data.get(self.user_pk_key), self.data.get(self.user_backend_key)
        if not isinstance(pk, str) or not pk or not isinstance(backend_path, str):
            return None
        user = self._user_with_device(pk, backend_path)
        if user is None:
            try:
                user = load_backend(backend_path).get_user(pk)
            except Exception:  # a backend removed from settings, a pk that no longer parses
                return None
        if user is not None:
            user.backend = backend_path
        return user

    @authenticated_user.setter
    def authenticated_user(self, user: Any) -> None:
        if user is None:
            self.data.pop(self.user_pk_key, None)
            self.data.pop(self.user_backend_key, None)
            return
        self.data[self.user_pk_key] = user._meta.pk.value_to_string(user)
        self.data[self.user_backend_key] = user.backend

    def _user_with_device(self, pk: str, backend_path: str) -> Any:
        """The user from the device's row, if that is what the backend would return; else None
        (then the backend looks the user up itself, and a user it refuses stays refused)."""
        loaded = load_device_with_user(self.extra_data.get("device"), backend_path)
        if loaded is None or not loaded.user_can_authenticate:
            return None
        user = cast(Device, loaded.device).user  # user_can_authenticate is False without one
        if user._meta.pk.value_to_string(user) != pk:
            return None
        self.loaded_device = loaded.device
        return user
