from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OTPEmailConfig(AppConfig):
    name = "django_otp.plugins.otp_email"
    label = "otp_email"
    verbose_name = _("Email")
    default_auto_field = "django.db.models.AutoField"
