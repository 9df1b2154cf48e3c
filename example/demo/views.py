"""The demo's own pages: the landing page, sign-up and a page that needs two-factor sign-in."""

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import CreateView

from django_otp import user_has_device
from django_otp.decorators import otp_required
from django_otp.plugins.otp_static.models import StaticDevice
from two_factor.plugins.registry import registry


def describe_device(device):
    """How the demo names a device: its method (and its own name when it has one)."""
    if device is None:
        return ""
    if isinstance(device, StaticDevice):
        return gettext("a backup token")
    method = registry.method_from_device(device)
    label = str(method.verbose_name) if method is not None else str(device._meta.verbose_name)
    if device.name and device.name != "default":
        label = f"{label} ({device.name})"
    return label


def home(request):
    user = request.user
    context = {}
    if user.is_authenticated:
        device = getattr(user, "otp_device", None)
        context.update(verified=user.is_verified(), device_label=describe_device(device),
                       has_device=user_has_device(user))
    return render(request, "demo/home.html", context)


@otp_required
def secret(request):
    return render(request, "demo/secret.html", {"device_label": describe_device(request.user.otp_device)})


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("Email address"), required=False,
        help_text=_("Optional. The email method can send your tokens here."))

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class SignupView(CreateView):
    """Create an account and sign in with it (password only): two-factor comes next."""

    form_class = SignupForm
    template_name = "demo/signup.html"
    success_url = reverse_lazy("two_factor:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        login(self.request, self.object, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, gettext(
            "Welcome, %(name)s! Your account is ready. Protect it now: set up two-factor "
            "authentication.") % {"name": self.object.get_username()})
        return response
