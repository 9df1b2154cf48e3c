"""Admin of WebAuthn devices. The key material is public, but only the browser can create it."""

from django_otp import device_admin as base

from .models import WebauthnDevice


class WebauthnDeviceAdmin(base.DeviceAdmin):
    list_display = ["user", "name", "confirmed", "discoverable", "last_used_at"]
    search_fields = ["key_handle"]
    readonly_fields = ("public_key", "key_handle", "sign_count", "user_handle", "discoverable")
    fieldsets = base.device_fieldsets(config=("key_handle", "public_key", "user_handle", "discoverable"),
                                      state=("sign_count",))


base.register(WebauthnDevice, WebauthnDeviceAdmin)
