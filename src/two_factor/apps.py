from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorConfig(AppConfig):
    name = "two_factor"
    label = "two_factor"
    verbose_name = _("Django Two Factor Authentication")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
        from .conf import settings

        # The one patch we make, and only because the setting asks for it (the default, as
        # in django-two-factor-auth): the default admin's login page sends users to ours.
        if settings.TWO_FACTOR_PATCH_ADMIN:
            from .admin import patch_admin

            patch_admin()
