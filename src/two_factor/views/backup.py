"""``BackupTokensView``: see your backup tokens, and replace them by new ones."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from ..flows.backup import backup_device, generate_backup_tokens
from .mixins import OTPRequiredMixin


@method_decorator(never_cache, name="dispatch")
class BackupTokensView(OTPRequiredMixin, FormView):
    """List the user's backup tokens; a POST replaces them by ``number_of_tokens`` new ones.

    Backup tokens let a user sign in when their phone is lost or flat; each works once. Only
    a verified session may see or renew them.
    """

    form_class = forms.Form
    success_url = "two_factor:backup_tokens"
    template_name = "two_factor/core/backup_tokens.html"
    number_of_tokens = 10

    def get_device(self):
        return backup_device(self.request.user)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        device = self.get_device()
        context["device"] = device
        context["tokens"] = list(device.token_set.order_by("pk"))
        return context

    def form_valid(self, form: forms.Form) -> HttpResponse:
        generate_backup_tokens(self.request.user, self.number_of_tokens)
        return redirect(self.success_url)
