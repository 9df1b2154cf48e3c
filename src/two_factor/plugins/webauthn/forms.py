"""The setup step that registers a security key, and the sign-in step that uses one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from django_otp.models import Device

from ...flows.setup import one_setup_at_a_time
from ...forms import AuthenticationTokenForm
from . import challenges
from .ceremonies import MAX_RESPONSE_LENGTH, CeremonyError, login_assertion, response_fields, verify_registration
from .models import Assertion, WebauthnDevice


class WebauthnWidget(forms.Widget):
    """A hidden input that the page's script fills with the browser's response, a button that
    starts the ceremony, and a place for its errors. ``ceremony`` is ``create`` or ``get``."""

    template_name = "two_factor/webauthn/widget.html"
    # A group named by its legend: a label would name the hidden input, or (for the button)
    # replace the button's own words.
    use_fieldset = True
    labels = {"create": _("Register your security key"), "get": _("Use your security key")}
    options_urls = {"create": "two_factor:webauthn_register_options",
                    "get": "two_factor:webauthn_login_options"}

    def __init__(self, ceremony: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.ceremony = ceremony

    def id_for_label(self, id_: str) -> str:
        return ""  # no one element to point at: the legend names the group

    def format_value(self, value: Any) -> str:
        return ""  # a response works once: never send it back to the page

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"].update(ceremony=self.ceremony, button_label=self.labels[self.ceremony],
                                 options_url=reverse(self.options_urls[self.ceremony]))
        return context


def _response_field(ceremony: str, help_text: Any = "") -> forms.CharField:
    return forms.CharField(label=_("Security key"), max_length=MAX_RESPONSE_LENGTH,
                           widget=WebauthnWidget(ceremony), help_text=help_text,
                           error_messages={"required": _("Please use your security key first.")})


class WebauthnDeviceForm(forms.Form):
    """The setup step: the browser's ``create()`` response, checked against the challenge of
    this session; ``save()`` keeps the credential as the user's default device."""

    credential = _response_field("create", _(
        "Press the button, then touch your security key or confirm with the screen lock of "
        "your device."))
    idempotent = False  # the challenge is used up by the check
    device_name = "default"

    def __init__(self, request: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.request = request
        self.user = user

    def clean_credential(self) -> str:
        response = self.cleaned_data["credential"]
        try:
            registered = verify_registration(self.request, self.user, response)
        except CeremonyError as error:
            raise forms.ValidationError(error.message, code=error.code) from error
        self.cleaned_data.update(
            key_handle=registered.key_handle, public_key=registered.public_key,
            sign_count=registered.sign_count, user_handle=registered.user_handle,
            discoverable=registered.discoverable)
        return ""  # the response is not needed again: only what it registers is kept

    #: Whether ``save()`` stored a new device (False: a racing request had stored it first).
    created = False

    def save(self) -> WebauthnDevice:
        """The new device; or, when a request racing with this one registered the same
        credential for the user first, that device (the credential is never stored twice).

        ``clean`` checked that the credential is new, but two requests can replay the same
        response at once, each with its own copy of the session's challenge. The user's row is
        locked (where the database can) around the last check and the INSERT, which makes the
        second of them find the first one's device.
        """
        data = self.cleaned_data
        with one_setup_at_a_time(self.user):
            # (Another user cannot race for the credential: the response answers a challenge
            # of this user's session.)
            existing = WebauthnDevice.objects.filter(user=self.user, key_handle=data["key_handle"]).first()
            if existing is not None:
                return existing
            self.created = True
            return WebauthnDevice.objects.create(
                user=self.user, name=self.device_name, confirmed=True,
                public_key=data["public_key"], key_handle=data["key_handle"],
                sign_count=data["sign_count"], user_handle=data["user_handle"],
                discoverable=data["discoverable"])


class WebauthnKeyForm(WebauthnDeviceForm):
    """Another security key or passkey of a verified user, under a name of their choice."""

    name = forms.CharField(label=_("Name"), max_length=64, initial=_("Security key"),
                           help_text=_("To tell your keys apart, e.g. \"Blue key\" or \"Laptop\"."))
    field_order = ["name", "credential"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if name in ("default", "backup"):  # names with a meaning of their own
            raise forms.ValidationError(_("Please choose another name."), code="reserved")
        return name

    def save(self) -> WebauthnDevice:
        self.device_name = self.cleaned_data["name"]
        return super().save()


class WebauthnTokenForm(AuthenticationTokenForm):
    """The sign-in's token step: a ``get()`` response of one of the user's security keys.

    Showing the form lets this session ask for authentication options for ``user`` (the
    ``webauthn_login_options`` view); the response is checked against the challenge issued then.
    """

    otp_token = _response_field("get")

    def __init__(self, user: Any, initial_device: Device | None, request: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(user, initial_device, **kwargs)
        self.request = request
        if request is not None and user is not None:
            challenges.bind(request.session, "login", user)

    def clean(self) -> dict[str, Any]:
        try:
            response = self.cleaned_data.get("otp_token")
            if response and self.user is not None:
                self.cleaned_data["otp_token"] = self.get_assertion(response)
            return super().clean()
        finally:
            self.allow_retry()

    def get_assertion(self, response: str) -> Assertion:
        """The response with what it must answer: the challenge this session was given."""
        try:
            if self.request is None:
                raise CeremonyError("no_challenge")
            return login_assertion(self.request, self.user, response)
        except CeremonyError as error:
            raise forms.ValidationError(error.message, code=error.code) from error

    def allow_retry(self) -> None:
        """After a failure the challenge is gone: let the page ask for another one."""
        if self.request is not None and self.user is not None \
                and getattr(self.user, "otp_device", None) is None:
            challenges.bind(self.request.session, "login", self.user)

    def _chosen_device(self, user: Any) -> Device | None:
        """The user's key that produced the response (any of their keys may be used)."""
        token = self.cleaned_data.get("otp_token")
        fields = response_fields(getattr(token, "response", None))
        if fields is not None:
            device = WebauthnDevice.objects.filter(user=user, confirmed=True,
                                                   key_handle=fields[0]).first()
            if device is not None:
                return device
        return self.initial_device
