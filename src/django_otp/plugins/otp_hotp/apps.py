from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OTPHOTPConfig(AppConfig):
    name = "django_otp.plugins.otp_hotp"
    label = "otp_hotp"
    verbose_name = _("HOTP")
    default_auto_field = "django.db.models.AutoField"
