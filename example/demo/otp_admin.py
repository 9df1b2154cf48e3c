from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    """The admin, as an OTPAdminSite: every page needs a verified staff session."""

    default_site = "django_otp.admin.OTPAdminSite"
