"""Admin of email devices."""

from django_otp import device_admin as base

from .models import EmailDevice


class EmailDeviceAdmin(base.DeviceAdmin):
    list_display = ["user", "name", "confirmed", "email", "last_used_at"]
    search_fields = ["email"]
    sensitive_fields = ("token",)
    fieldsets = base.device_fieldsets(
        config=("email",), state=("token", "valid_until", "last_generated_timestamp"))


base.register(EmailDevice, EmailDeviceAdmin)
