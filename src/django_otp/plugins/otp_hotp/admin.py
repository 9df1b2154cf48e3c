"""Admin of HOTP devices, with a QR code page for authenticator apps."""

from django_otp import device_admin as base

from .models import HOTPDevice


class HOTPDeviceAdmin(base.DeviceConfigAdminMixin, base.DeviceAdmin):
    config_template = "otp_hotp/admin/config.html"
    list_display = ["user", "name", "confirmed", "counter", "last_used_at"]
    sensitive_fields = ("key",)
    fieldsets = base.device_fieldsets(config=("key", "digits", "tolerance"), state=("counter",))


base.register(HOTPDevice, HOTPDeviceAdmin)
