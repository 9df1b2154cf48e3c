"""Admin of static (backup) token devices, their tokens edited inline."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import InlineModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from django_otp import device_admin as base

from . import hashing
from .models import StaticDevice, StaticToken, token_count


class StaticTokenForm(forms.ModelForm):
    """A token typed in the admin; stored hashed when ``OTP_STATIC_HASH_TOKENS`` is on.

    A hashed token is shown as an empty field (its hash is no code): left empty it stays as it
    is, and a code typed in replaces it.
    """

    token = forms.CharField(label=_("Token"), required=False,
                            max_length=hashing.MAX_PLAINTEXT_LENGTH)

    class Meta:
        model = StaticToken
        fields = ("token",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hashed = self.instance.pk is not None and self.instance.is_hashed
        if self.hashed:
            self.initial["token"] = ""
            self.fields["token"].widget.attrs["placeholder"] = _("(hashed)")

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if self.instance.pk is not None and not self.has_changed():
            return self.instance.token  # left as it is: not hashed again, nor hashed now
        if not token:
            if self.hashed:
                return self.instance.token
            raise forms.ValidationError(self.fields["token"].error_messages["required"],
                                        code="required")
        return hashing.stored_forms([token])[0]


class StaticTokenInline(admin.TabularInline):
    model = StaticToken
    form = StaticTokenForm
    extra = 0


class StaticDeviceAdmin(base.DeviceAdmin):
    list_display = ["user", "name", "confirmed", "token_count", "last_used_at"]
    inlines = [StaticTokenInline]
    fieldsets = base.device_fieldsets()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(_token_count=token_count())

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type[InlineModelAdmin]]:
        # The tokens are this device's secrets (a device being added has none yet).
        return [] if base.hides_secrets_of(obj) else list(super().get_inlines(request, obj))

    @admin.display(description=_("Tokens left"), ordering="_token_count")
    def token_count(self, device: StaticDevice) -> int:
        return device._token_count  # type: ignore[attr-defined]  # annotated by get_queryset()


base.register(StaticDevice, StaticDeviceAdmin)
