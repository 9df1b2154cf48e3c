"""Admin of HOTP devices, with a QR code page for authenticator apps."""

from typing import Any

from django_otp import device_admin as base

from .models import HOTPDevice


class HOTPDeviceAdmin(base.DeviceConfigAdminMixin, base.DeviceAdmin):
    config_template = "otp_hotp/admin/config.html"
    list_display = ["user", "name", "confirmed", "counter", "last_used_at"]
    sensitive_fields = ("key",)
    fieldsets = base.device_fieldsets(config=("key", "digits", "tolerance"), state=("counter",))

    def formfield_for_dbfield(self, db_field: Any, request: Any, **kwargs: Any) -> Any:
        if db_field.name == "counter":
            kwargs.setdefault("min_value", 0)  # no counter below 0 exists (the column allows it)
        return super().formfield_for_dbfield(db_field, request, **kwargs)


base.register(HOTPDevice, HOTPDeviceAdmin)
