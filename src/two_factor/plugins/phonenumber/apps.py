from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TwoFactorPhoneNumberConfig(AppConfig):
    name = "two_factor.plugins.phonenumber"
    label = "phonenumber"
    verbose_name = _("Django Two Factor Authentication – Phone Method")
    default_auto_field = "django.db.models.AutoField"
    url_prefix = "phone"

    def ready(self) -> None:
        from two_factor.plugins.registry import registry

        from .method import PhoneCallMethod, SMSMethod

        registry.register(PhoneCallMethod())
        registry.register(SMSMethod())
