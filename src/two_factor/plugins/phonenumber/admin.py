"""``PhoneDevice`` in the Django admin (the key is hidden with OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

from django.utils.translation import gettext_lazy as _

from django_otp import device_admin as base

from .models import PhoneDevice


class PhoneDeviceAdmin(base.DeviceAdmin):
    list_display = ["user", "name", "method", "number", "confirmed"]
    list_filter = ["method", "confirmed"]
    search_fields = ["number"]
    sensitive_fields = ("key",)
    readonly_fields = ("last_t", "last_generated_timestamp")
    fieldsets = [
        (None, {"fields": base.IDENTITY_FIELDS}),
        (_("Configuration"), {"fields": ("number", "method", "key")}),
        (_("State"), {"fields": ("last_t", "last_generated_timestamp", *base.THROTTLING_FIELDS)}),
    ]


base.register(PhoneDevice, PhoneDeviceAdmin)
