"""``RemoveDeviceView``: remove one backup device (a second security key, an email, ...)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import View

from ..flows.removal import find_removable_device, remove_device
from .mixins import OTPRequiredMixin, ReauthenticationRequiredMixin

__all__ = ["RemoveDeviceView", "render_removal_confirmation"]

CONFIRM_TEMPLATE = "two_factor/profile/confirm_removal.html"


def render_removal_confirmation(request: HttpRequest, device: Any, fields: dict[str, str]) -> HttpResponse:
    """The page that asks before a device is removed: its form posts ``fields`` back to the
    URL it was asked at. Removing is not undone by a click: the device must be set up again."""
    return render(request, CONFIRM_TEMPLATE, {"device": device, "fields": fields,
                                              "cancel_url": reverse("two_factor:profile")})


@method_decorator(never_cache, name="dispatch")
class RemoveDeviceView(OTPRequiredMixin, ReauthenticationRequiredMixin, View):
    """GET ``?device=`` (a persistent id): ask; POST ``device``: remove that device of the user,
    then the profile.

    A verified session only. The default device, the backup tokens, another user's device or an
    unknown one is a 404 (see ``two_factor.flows.removal``).
    """

    success_url = "two_factor:profile"

    def get_reauthentication_next_url(self) -> str:
        # A refused POST comes back to the question, for the device it named.
        device = self.request.POST.get("device") if self.request.method == "POST" else None
        if device:
            return f"{self.request.path}?{urlencode({'device': device})}"
        return super().get_reauthentication_next_url()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        device = self.removable(request.GET.get("device"))
        return render_removal_confirmation(request, device, {"device": device.persistent_id})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        remove_device(request, self.removable(request.POST.get("device")))
        return HttpResponseRedirect(resolve_url(self.success_url))

    def removable(self, persistent_id: Any) -> Any:
        device = find_removable_device(self.request.user, persistent_id)
        if device is None:
            raise Http404("No such device to remove")
        return device
