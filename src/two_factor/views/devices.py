"""``RemoveDeviceView``: remove one backup device (a second security key, an email, ...)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import View

from ..flows.removal import find_removable_device, remove_device
from .mixins import OTPRequiredMixin, ReauthenticationRequiredMixin

__all__ = ["RemoveDeviceView"]


@method_decorator(never_cache, name="dispatch")
class RemoveDeviceView(OTPRequiredMixin, ReauthenticationRequiredMixin, View):
    """POST ``device`` (a persistent id): remove that device of the user, then the profile.

    A verified session only. The default device, the backup tokens, another user's device or an
    unknown one is a 404 (see ``two_factor.flows.removal``).
    """

    http_method_names = ["post"]
    success_url = "two_factor:profile"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = find_removable_device(request.user, request.POST.get("device"))
        if device is None:
            raise Http404("No such device to remove")
        remove_device(request, device)
        return HttpResponseRedirect(resolve_url(self.success_url))
