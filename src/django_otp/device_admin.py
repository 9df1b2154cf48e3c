"""Building blocks of the device admins that the plugins register on Django's admin site.

``DeviceAdmin`` is the common list and form of a device; when ``OTP_ADMIN_HIDE_SENSITIVE_DATA``
is true (which it is by default when ``OTP_ENCRYPTION_KEYS`` is set: see ``django_otp.conf``)
the change form of a device leaves out the secret fields named in ``sensitive_fields``. The add
form keeps them, as in django-otp: a device being created has no secret yet to protect, and the
one the form proposes (a random default) is what the person adding it may need to copy.

``DeviceConfigAdminMixin`` adds, for devices with a ``config_url``, a page with the device's QR
code and the SVG image itself, at ``<int:pk>/config/`` and ``<int:pk>/qrcode/`` as in
django-otp (URL names ``<app>_<model>_config`` and ``<app>_<model>_qrcode``), and a
``qrcode_link`` to the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django.contrib import admin
from django.contrib.admin.exceptions import AlreadyRegistered
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, IntegerField, Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .admin import user_model_search_fields
from .conf import settings
from .models import Device
from .qr import write_qrcode_image

__all__ = ["DeviceAdmin", "DeviceConfigAdminMixin", "device_fieldsets", "hide_sensitive_data",
           "hides_secrets_of", "register"]

IDENTITY_FIELDS = ("user", "name", "confirmed")
THROTTLING_FIELDS = ("throttling_failure_timestamp", "throttling_failure_count")
TIMESTAMP_FIELDS = ("created_at", "last_used_at")


def hide_sensitive_data() -> bool:
    return bool(settings.OTP_ADMIN_HIDE_SENSITIVE_DATA)


def hides_secrets_of(obj: Model | None) -> bool:
    """Whether the admin form of ``obj`` leaves its secrets out: never on the add form."""
    return obj is not None and hide_sensitive_data()


def device_fieldsets(config: Sequence[str] = (), state: Sequence[str] = ()) -> list[Any]:
    """Who owns the device, how it is configured, its state (with throttling and timestamps)."""
    fieldsets: list[Any] = [(None, {"fields": IDENTITY_FIELDS})]
    if config:
        fieldsets.append((_("Configuration"), {"fields": tuple(config)}))
    fieldsets.append((_("State"), {"fields": (*state, *THROTTLING_FIELDS, *TIMESTAMP_FIELDS)}))
    return fieldsets


class DeviceAdmin(admin.ModelAdmin):
    """The admin of a device model: who owns it, its name, whether it is confirmed."""

    # Lists, as django-otp had them (a subclass may add to them: list_display + [...]), or
    # tuples, as ModelAdmin types them.
    list_display: list[Any] | tuple[Any, ...] = ["user", "name", "confirmed"]
    list_filter: ClassVar[list[Any] | tuple[Any, ...]] = ["confirmed"]
    list_select_related = ("user",)
    raw_id_fields = ["user"]
    #: Searched in addition to the owner's username and email and the device name.
    search_fields: ClassVar[list[str] | tuple[str, ...]] = []
    #: Secret fields, left out of the change form when ``OTP_ADMIN_HIDE_SENSITIVE_DATA`` is set.
    sensitive_fields: Sequence[str] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # A device's text names its owner: the change form's title and its delete page.
        return super().get_queryset(request).select_related("user")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        owner = user_model_search_fields(dict.fromkeys([get_user_model().USERNAME_FIELD, "email"]))
        return (*owner, "name", *self.search_fields)

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        return [(title, {**options, "fields": self._shown(options["fields"], obj)})
                for title, options in super().get_fieldsets(request, obj)]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        # Set by the device itself (``TimestampMixin``), not by hand.
        readonly += [name for name in TIMESTAMP_FIELDS
                     if name not in readonly and _has_field(self.model, name)]
        return self._shown(readonly, obj)

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        # A filter on a hidden secret (``?token__startswith=4``) would read it back from the
        # list's counts, a character at a time.
        if hide_sensitive_data() and lookup.split(LOOKUP_SEP, 1)[0] in self.sensitive_fields:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_exclude(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        excluded = list(super().get_exclude(request, obj) or ())
        return excluded + list(self.sensitive_fields) if hides_secrets_of(obj) else excluded

    def _shown(self, names: Iterable[Any], obj: Model | None) -> list[Any]:
        """``names`` without the sensitive fields, when those of ``obj`` are hidden.

        A name may be a tuple of names that the admin shows on one line.
        """
        if not hides_secrets_of(obj):
            return list(names)
        shown = []
        for name in names:
            if isinstance(name, list | tuple):
                name = tuple(self._shown(name, obj)) or None
            elif name in self.sensitive_fields:
                name = None
            if name is not None:
                shown.append(name)
        return shown


if TYPE_CHECKING:
    # The mixin comes before DeviceAdmin, and extends it through super(): checked as one.
    _ConfigAdminBase = DeviceAdmin
else:
    _ConfigAdminBase = object


class DeviceConfigAdminMixin(_ConfigAdminBase):
    """Config page and QR code of a device with a ``config_url``; mix in before ``DeviceAdmin``.

    The URLs are django-otp's: ``<int:pk>/config/`` and ``<int:pk>/qrcode/`` (``<path:pk>`` for
    a model whose key is not an integer), reversed with ``args=[pk]`` or ``kwargs={"pk": pk}``.
    Both views need the view or change permission on the device (as in django-otp) and answer
    404 when the device does not exist. When ``OTP_ADMIN_HIDE_SENSITIVE_DATA`` is set they
    answer 403 to everyone, as django-otp did (the QR code holds the secret), and the
    ``qrcode_link`` to the config page (a list column, and a read-only field of the change form)
    is left out.
    """

    config_template = "otp/admin/config.html"

    admin_site: admin.AdminSite
    opts: Any
    sensitive_fields: Sequence[str]

    def get_urls(self) -> list[URLPattern]:
        # Before the inherited URLs, whose "<path:object_id>/" would swallow ours.
        converter = "int" if _has_integer_pk(self.opts.model) else "path"
        urls = []
        for name, view in (("config", self.config_view), ("qrcode", self.qrcode_view)):
            wrapped = self.admin_site.admin_view(view)
            urls.append(path(f"<{converter}:pk>/{name}/", wrapped, name=self._url_name(name)))
            if converter == "int":  # any other id: a 404 (or 403), not the admin's redirect
                urls.append(path(f"<path:pk>/{name}/", wrapped))
        return [*urls, *super().get_urls()]

    def get_list_display(self, request: HttpRequest) -> list[Any] | tuple[Any, ...]:
        shown = super().get_list_display(request)
        if not self.shows_qrcode_link(request):
            return shown
        return [*shown, "qrcode_link"]

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and self.shows_qrcode_link(request, obj) and "qrcode_link" not in readonly:
            readonly.append("qrcode_link")
        return readonly

    def get_fieldsets(self, request: HttpRequest, obj: Model | None = None) -> list[Any]:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.shows_qrcode_link(request, obj):
            return fieldsets
        return _with_field(fieldsets, "qrcode_link", after=self.sensitive_fields)

    def shows_qrcode_link(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Whether the link to the config page is shown (to someone who may open it)."""
        return (not hide_sensitive_data()
                and self.has_view_or_change_permission(request, obj))

    @admin.display(description=_("QR Code"))
    def qrcode_link(self, device: Device) -> str:
        if device is None or device.pk is None or hide_sensitive_data():
            return ""
        return format_html('<a href="{}">{}</a>', self._url(device, "config"), _("QR code"))

    config_link = qrcode_link  # its earlier name here

    def config_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        device = self.get_config_device(request, pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Configuration of %(device)s") % {"device": device.name},
            "opts": self.opts,
            "original": device,
            "device": device,
            "config_url": device.config_url,  # type: ignore[attr-defined]
            "qrcode_url": self._url(device, "qrcode"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.config_template, context)

    def qrcode_view(self, request: HttpRequest, pk: Any) -> HttpResponse:
        device = self.get_config_device(request, pk)
        response = HttpResponse(content_type="image/svg+xml")
        write_qrcode_image(device.config_url, response)  # type: ignore[attr-defined]
        return response

    def get_config_device(self, request: HttpRequest, pk: Any) -> Device:
        """The device whose configuration may be shown, or an Http404/PermissionDenied."""
        if hide_sensitive_data():
            raise PermissionDenied
        device = self.get_object(request, unquote(str(pk)))
        # Like the admin's own views: the permission first, so that 404s tell no one else.
        if not self.has_view_or_change_permission(request, device):
            raise PermissionDenied
        if device is None:
            raise Http404
        return device

    def _url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def _url(self, device: Device, view: str) -> str:
        return reverse(f"{self.admin_site.name}:{self._url_name(view)}", kwargs={"pk": device.pk},
                       current_app=self.admin_site.name)


def _has_integer_pk(model: type[Model]) -> bool:
    field = model._meta.pk
    while field.is_relation:  # a child of multi-table inheritance: its parent's key
        # A key that is a relation is a ForeignKey (a OneToOneField to the parent, usually).
        field = cast(ForeignKey, field).target_field
    return isinstance(field, IntegerField)


def _with_field(fieldsets: list[Any] | tuple[Any, ...], name: str, after: Sequence[str]) -> list[Any]:
    """``fieldsets`` with ``name`` after the first of ``after`` (else in a fieldset of its own),
    unless it is there already."""
    if name in flatten_fieldsets(fieldsets):
        return list(fieldsets)
    result = []
    placed = False
    for title, options in fieldsets:
        fields = list(options["fields"])
        anchor = next((i for i, field in enumerate(fields) if field in after), None)
        if not placed and anchor is not None:
            fields.insert(anchor + 1, name)
            placed = True
        result.append((title, {**options, "fields": tuple(fields)}))
    if not placed:
        result.append((None, {"fields": (name,)}))
    return result


def _has_field(model: type[Model], name: str) -> bool:
    return any(field.name == name for field in model._meta.get_fields())


def register(model: type[Model], admin_class: type[admin.ModelAdmin],
             site: admin.AdminSite | None = None) -> None:
    """Register ``admin_class`` for ``model`` unless the project has registered its own."""
    try:
        (site or admin.site).register(model, admin_class)
    except AlreadyRegistered:
        pass
