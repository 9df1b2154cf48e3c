from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OTPTOTPConfig(AppConfig):
    name = "django_otp.plugins.otp_totp"
    label = "otp_totp"
    verbose_name = _("TOTP")
    default_auto_field = "django.db.models.AutoField"
