from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorWebauthnConfig(AppConfig):
    name = "two_factor.plugins.webauthn"
    label = "two_factor_webauthn"
    verbose_name = _("Django Two Factor Authentication – WebAuthn Method")
    default_auto_field = "django.db.models.AutoField"
    url_prefix = "webauthn"

    def ready(self) -> None:
        from two_factor.plugins.registry import registry

        from . import checks  # noqa: F401  (registers the settings checks)
        from .method import WebauthnMethod

        registry.register(WebauthnMethod())
