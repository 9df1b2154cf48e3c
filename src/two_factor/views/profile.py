"""``ProfileView`` (your two-factor settings) and ``DisableView`` (remove every device)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from ..flows.devices import forget_verification, profile_context, remove_all_devices
from ..forms import DisableForm
from ..utils import safe_next_url
from .mixins import OTPRequiredMixin


@method_decorator(never_cache, name="dispatch")
class ProfileView(LoginRequiredMixin, TemplateView):
    """Whether two-factor authentication is on, the primary method and the backup methods."""

    template_name = "two_factor/profile/profile.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(profile_context(self.request.user))
        return context


@method_decorator(never_cache, name="dispatch")
class DisableView(OTPRequiredMixin, FormView):
    """Turn two-factor authentication off: after a confirmation, remove every device."""

    form_class = DisableForm
    template_name = "two_factor/profile/disable.html"
    success_url = "two_factor:profile"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["redirect_field_name"] = self.redirect_field_name
        context["redirect_to"] = self._safe_next() or ""
        return context

    def form_valid(self, form: DisableForm) -> HttpResponse:
        remove_all_devices(self.request.user)
        forget_verification(self.request)
        return HttpResponseRedirect(self.get_success_url())

    def get_success_url(self) -> str:
        return self._safe_next() or str(resolve_url(self.success_url))

    def _safe_next(self) -> str | None:
        return safe_next_url(self.request, self.redirect_field_name)
