from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorEmailConfig(AppConfig):
    name = "two_factor.plugins.email"
    label = "two_factor_email"
    verbose_name = _("Django Two Factor Authentication – Email Method")

    def ready(self) -> None:
        from two_factor.plugins.registry import registry

        from .method import EmailMethod

        registry.register(EmailMethod())
