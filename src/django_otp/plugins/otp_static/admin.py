"""Admin of static (backup) token devices, their tokens edited inline."""

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_otp import device_admin as base

from .models import StaticDevice, StaticToken


class StaticTokenInline(admin.TabularInline):
    model = StaticToken
    extra = 0


class StaticDeviceAdmin(base.DeviceAdmin):
    list_display = ("user", "name", "confirmed", "token_count", "last_used_at")
    inlines = [StaticTokenInline]
    fieldsets = base.device_fieldsets()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_token_count=Count("token_set"))

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type[admin.TabularInline]]:
        # The tokens are this device's secrets.
        return [] if base.hide_sensitive_data() else list(super().get_inlines(request, obj))

    @admin.display(description=_("Tokens left"), ordering="_token_count")
    def token_count(self, device: StaticDevice) -> int:
        return device._token_count


base.register(StaticDevice, StaticDeviceAdmin)
