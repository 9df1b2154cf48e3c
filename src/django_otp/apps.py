from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OTPConfig(AppConfig):
    name = "django_otp"
    label = "otp"
    verbose_name = _("OTP")
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import _handle_auth_login, checks  # noqa: F401  (checks registers the system checks)

        user_logged_in.connect(_handle_auth_login, dispatch_uid="django_otp_handle_auth_login")
