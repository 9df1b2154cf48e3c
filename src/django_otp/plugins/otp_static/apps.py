from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OTPStaticConfig(AppConfig):
    name = "django_otp.plugins.otp_static"
    label = "otp_static"
    verbose_name = _("Static tokens")
    default_auto_field = "django.db.models.AutoField"
