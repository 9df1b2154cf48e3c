from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorYubikeyConfig(AppConfig):
    name = "two_factor.plugins.yubikey"
    label = "two_factor_yubikey"
    verbose_name = _("Django Two Factor Authentication – YubiKey Method")

    def ready(self) -> None:
        from two_factor.plugins.registry import registry

        from .method import YubikeyMethod

        registry.register(YubikeyMethod())
