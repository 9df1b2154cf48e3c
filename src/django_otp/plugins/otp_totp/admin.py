"""Admin of TOTP devices, with a QR code page for authenticator apps."""

from django_otp import device_admin as base

from .models import TOTPDevice


class TOTPDeviceAdmin(base.DeviceConfigAdminMixin, base.DeviceAdmin):
    config_template = "otp_totp/admin/config.html"
    list_display = ["user", "name", "confirmed", "digits", "last_used_at"]
    sensitive_fields = ("key",)
    fieldsets = base.device_fieldsets(config=("key", "step", "t0", "digits", "tolerance"),
                                      state=("drift", "last_t"))


base.register(TOTPDevice, TOTPDeviceAdmin)
