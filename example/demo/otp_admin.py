from django.contrib.admin.apps import AdminConfig


class OTPAdminConfig(AdminConfig):
    """The admin as an AdminSiteOTPRequired: every page needs a verified staff session."""

    default_site = "two_factor.admin.AdminSiteOTPRequired"
