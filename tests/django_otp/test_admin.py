"""The OTP admin site and its login form, and the device admins with their config and QR views."""

import inspect
import io
import re

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite, user_model_search_fields
from django_otp.device_admin import DeviceAdmin, register
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.admin import StaticDeviceAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.qr import write_qrcode_image

from ..conftest import totp_now

PASSWORD = "staff-password"
OTP_LOGIN = "/otpadmin/login/"
OTP_INDEX = "/otpadmin/"


@pytest.fixture
def superuser(make_user):
    return make_user("root", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def superuser_totp(superuser):
    return TOTPDevice.objects.create(user=superuser, name="phone")


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


def otp_login(client, **data):
    """POST the OTP admin login form as the superuser."""
    return client.post(OTP_LOGIN, {"username": "root", "password": PASSWORD,
                                   "next": OTP_INDEX, **data})


# The OTP admin site and its login form.

def test_site_defaults():
    site = OTPAdminSite()
    assert site.name == "otpadmin"
    assert site.login_form is OTPAdminAuthenticationForm
    assert set(OTPAdminAuthenticationForm.base_fields) >= {
        "username", "password", "otp_device", "otp_token", "otp_challenge"}
    assert not OTPAdminAuthenticationForm.base_fields["otp_device"].required


def test_login_page_uses_django_otps_template_name(client, db):
    assert OTPAdminSite.login_template == "otp/admin111/login.html"
    response = client.get(OTP_LOGIN)
    assert response.status_code == 200
    assert "otp/admin111/login.html" in [template.name for template in response.templates]


def test_unverified_staff_is_sent_to_login(superuser_client):
    response = superuser_client.get(OTP_INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith(OTP_LOGIN)


def test_login_page_asks_for_a_token(client, db):
    response = client.get(OTP_LOGIN)
    assert response.status_code == 200
    assert 'name="otp_token"' in response.content.decode()


def test_unverified_staff_is_told_why(superuser_client):
    response = superuser_client.get(OTP_LOGIN)
    assert "also asks for a one-time token" in response.content.decode()


def test_login_with_totp_token_verifies_the_session(client, superuser_totp):
    response = otp_login(client, otp_device=superuser_totp.persistent_id,
                         otp_token=totp_now(superuser_totp))
    assert response.status_code == 302
    assert response["Location"] == OTP_INDEX
    assert client.session[DEVICE_ID_SESSION_KEY] == superuser_totp.persistent_id
    assert client.get(OTP_INDEX).status_code == 200


def test_signed_in_staff_is_admitted_after_giving_a_token(superuser_client, superuser_totp):
    assert superuser_client.get(OTP_INDEX).status_code == 302
    password_only_key = superuser_client.cookies[django_settings.SESSION_COOKIE_NAME].value
    response = otp_login(superuser_client, otp_device=superuser_totp.persistent_id,
                         otp_token=totp_now(superuser_totp))
    assert response.status_code == 302
    assert superuser_client.get(OTP_INDEX).status_code == 200
    # The session gained a verification: a new key, though auth.login keeps a same-user session's.
    assert superuser_client.cookies[django_settings.SESSION_COOKIE_NAME].value != password_only_key


def test_verified_user_is_sent_from_login_to_index(client, superuser_totp):
    otp_login(client, otp_token=totp_now(superuser_totp))
    response = client.get(OTP_LOGIN)
    assert response.status_code == 302
    assert response["Location"] == OTP_INDEX


def test_login_with_token_alone_finds_the_device(client, superuser_totp):
    response = otp_login(client, otp_token=totp_now(superuser_totp))
    assert response.status_code == 302
    assert client.get(OTP_INDEX).status_code == 200


def test_password_alone_lists_the_devices(client, superuser_totp):
    response = otp_login(client)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Please enter your OTP token." in content
    assert f'value="{superuser_totp.persistent_id}"' in content
    assert 'name="otp_challenge"' in content
    assert client.get(OTP_INDEX).status_code == 302
    assert f'value="{PASSWORD}"' in content  # kept for the token, as django-otp did


def test_a_form_may_keep_the_password_out_of_the_page(client, superuser_totp, monkeypatch):
    monkeypatch.setattr(OTPAdminAuthenticationForm, "otp_keep_password", False)
    content = otp_login(client).content.decode()
    assert "Please enter your OTP token." in content and PASSWORD not in content


def test_wrong_token_is_a_form_error(client, superuser_totp, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # else the error says that verification is locked
    token = f"{(int(totp_now(superuser_totp)) + 1) % 1000000:06d}"
    response = otp_login(client, otp_device=superuser_totp.persistent_id, otp_token=token)
    assert response.status_code == 200
    assert "Invalid token" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(OTP_INDEX).status_code == 302


def test_device_of_another_user_is_a_form_error(client, superuser, totp_device):
    response = otp_login(client, otp_device=totp_device.persistent_id,
                         otp_token=totp_now(totp_device))
    assert response.status_code == 200
    assert "Please choose one of your devices." in response.content.decode()
    assert client.get(OTP_INDEX).status_code == 302


def test_non_staff_user_with_a_valid_token_is_refused(client, user, totp_device):
    response = client.post(OTP_LOGIN, {"username": user.username, "password": "secret-password",
                                       "otp_token": totp_now(totp_device), "next": OTP_INDEX})
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_challenge_button_emails_a_token(client, superuser):
    device = EmailDevice.objects.create(user=superuser, name="mail")
    response = otp_login(client, otp_device=device.persistent_id, otp_challenge="1")
    assert response.status_code == 200
    assert "sent by email" in response.content.decode()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [superuser.email]
    device.refresh_from_db()
    assert device.token in mail.outbox[0].body

    response = otp_login(client, otp_device=device.persistent_id, otp_token=device.token)
    assert response.status_code == 302
    assert client.get(OTP_INDEX).status_code == 200


def test_has_permission_needs_the_middleware(superuser):
    request = RequestFactory().get(OTP_INDEX)
    request.user = superuser
    with pytest.raises(ImproperlyConfigured, match="OTPMiddleware"):
        OTPAdminSite().has_permission(request)


# The device admins on Django's default site.

def admin_url(device, view, *args):
    opts = device._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture(params=["totp_device", "hotp_device"])
def keyed_device(request):
    return request.getfixturevalue(request.param)


@pytest.fixture(params=["totp_device", "hotp_device", "static_device", "email_device"])
def any_device(request):
    return request.getfixturevalue(request.param)


def svg_of(data):
    out = io.BytesIO()
    write_qrcode_image(data, out)
    return out.getvalue()


def test_config_page_shows_the_qr_code(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "config", keyed_device.pk))
    content = response.content.decode()
    assert response.status_code == 200
    assert f'src="{admin_url(keyed_device, "qrcode", keyed_device.pk)}"' in content
    assert keyed_device.name in content


def test_config_page_template_is_named_after_the_plugin(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "config", keyed_device.pk))
    names = [template.name for template in response.templates]
    assert names[0] == f"{keyed_device._meta.app_label}/admin/config.html"
    assert "otp/admin/config.html" in names  # the shared page it extends


def test_qrcode_is_an_svg_of_the_config_url(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "qrcode", keyed_device.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content
    assert response.content == svg_of(keyed_device.config_url)
    assert response.content != svg_of(keyed_device.config_url + "x")


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_missing_device_is_404(superuser_client, keyed_device, view):
    assert superuser_client.get(admin_url(keyed_device, view, 999999)).status_code == 404
    # Not a number, so the URL is not one of the named <int:pk> ones: still a 404.
    not_a_pk = f"{admin_url(keyed_device, 'changelist')}nope/{view}/"
    assert superuser_client.get(not_a_pk).status_code == 404


def _staff(make_user, device, *actions):
    staff = make_user("clerk", is_staff=True)
    opts = device._meta
    for action in actions:
        staff.user_permissions.add(Permission.objects.get(
            content_type__app_label=opts.app_label, codename=f"{action}_{opts.model_name}"))
    return staff


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_view_only_staff_may_open_the_config(client, make_user, keyed_device, view):
    # As in django-otp: the view permission is enough to see a device's configuration.
    client.force_login(_staff(make_user, keyed_device, "view"))
    assert client.get(admin_url(keyed_device, view, keyed_device.pk)).status_code == 200
    assert client.get(admin_url(keyed_device, view, 999999)).status_code == 404


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_staff_without_view_or_change_permission_is_denied(client, make_user, keyed_device, view):
    client.force_login(_staff(make_user, keyed_device))
    assert client.get(admin_url(keyed_device, view, keyed_device.pk)).status_code == 403
    assert client.get(admin_url(keyed_device, view, 999999)).status_code == 403


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_view_only_staff_gets_403_when_sensitive_data_is_hidden(client, make_user, keyed_device,
                                                                 settings, view):
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = True
    client.force_login(_staff(make_user, keyed_device, "view"))
    assert client.get(admin_url(keyed_device, view, keyed_device.pk)).status_code == 403


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_anonymous_is_sent_to_admin_login(client, keyed_device, view):
    response = client.get(admin_url(keyed_device, view, keyed_device.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_changelists_render(superuser_client, any_device):
    response = superuser_client.get(admin_url(any_device, "changelist"))
    assert response.status_code == 200
    assert any_device.name in response.content.decode()


def test_change_and_add_forms_render(superuser_client, any_device):
    assert superuser_client.get(admin_url(any_device, "change", any_device.pk)).status_code == 200
    assert superuser_client.get(admin_url(any_device, "add")).status_code == 200


def test_key_is_in_the_change_form(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "change", keyed_device.pk))
    assert f'value="{keyed_device.key}"' in response.content.decode()


def test_changelist_links_to_the_config_page(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "changelist"))
    assert admin_url(keyed_device, "config", keyed_device.pk) in response.content.decode()


def test_static_tokens_are_edited_inline(superuser_client, static_device):
    response = superuser_client.get(admin_url(static_device, "change", static_device.pk))
    assert "abcd2345" in response.content.decode()


def test_search_by_username(superuser_client, totp_device):
    response = superuser_client.get(admin_url(totp_device, "changelist"), {"q": "alice"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_search_by_the_owners_email(superuser_client, totp_device):
    response = superuser_client.get(admin_url(totp_device, "changelist"), {"q": "alice@example"})
    assert response.context["cl"].result_count == 1


def test_user_model_search_fields_skips_what_the_user_model_lacks():
    assert user_model_search_fields(["username", "nickname", "email", "groups"]) == [
        "user__username", "user__email"]
    assert user_model_search_fields([]) == []


# OTP_ADMIN_HIDE_SENSITIVE_DATA

@pytest.fixture
def hidden(settings):
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = True


def test_hidden_key_is_not_in_the_change_form(hidden, superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "change", keyed_device.pk))
    content = response.content.decode()
    assert response.status_code == 200
    assert keyed_device.key not in content
    assert 'name="key"' not in content


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_hidden_config_and_qrcode_are_403(hidden, superuser_client, keyed_device, view):
    # As in django-otp: forbidden to everyone, whether or not the device exists.
    assert superuser_client.get(admin_url(keyed_device, view, keyed_device.pk)).status_code == 403
    assert superuser_client.get(admin_url(keyed_device, view, 999999)).status_code == 403


def test_hidden_changelist_has_no_config_link(hidden, superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "changelist"))
    assert response.status_code == 200
    assert admin_url(keyed_device, "config", keyed_device.pk) not in response.content.decode()


def test_hidden_static_tokens_and_email_token(hidden, superuser_client, static_device,
                                              email_device):
    email_device.generate_token()
    response = superuser_client.get(admin_url(static_device, "change", static_device.pk))
    assert "abcd2345" not in response.content.decode()
    response = superuser_client.get(admin_url(email_device, "change", email_device.pk))
    assert response.status_code == 200
    assert 'name="token"' not in response.content.decode()


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice])
def test_hidden_add_form_keeps_the_key(hidden, superuser_client, user, model):
    # As in django-otp: only an existing device's secret is hidden; the add form proposes a
    # random key, which the person adding the device may need to copy.
    page = superuser_client.get(admin_url(model(), "add")).content.decode()
    assert 'name="key"' in page
    proposed = re.search(r'name="key"[^>]*value="([0-9a-f]{40})"', page)
    assert proposed is not None
    response = superuser_client.post(admin_url(model(), "add"), {
        "user": user.pk, "name": "added", "confirmed": "on", "key": proposed.group(1),
        "step": 30, "t0": 0, "digits": 6, "tolerance": 1, "drift": 0, "last_t": -1,
        "counter": 0, "throttling_failure_count": 0})
    assert response.status_code == 302
    device = model.objects.get(name="added")
    assert device.key == proposed.group(1)
    change = superuser_client.get(admin_url(device, "change", device.pk)).content.decode()
    assert device.key not in change and 'name="key"' not in change


def test_hidden_add_form_of_static_device_has_the_tokens_inline(hidden, superuser_client):
    page = superuser_client.get(admin_url(StaticDevice(), "add")).content.decode()
    assert "token_set-TOTAL_FORMS" in page


def test_register_keeps_a_project_admin(db):
    site = admin.AdminSite(name="other")
    register(TOTPDevice, admin.ModelAdmin, site)
    project_admin = site._registry[TOTPDevice]
    register(TOTPDevice, admin.ModelAdmin, site)
    assert site._registry[TOTPDevice] is project_admin


def test_hidden_fields_of_a_plain_device_admin(hidden, superuser, totp_device):
    class Plain(DeviceAdmin):
        sensitive_fields = ("key",)
        fieldsets = [(None, {"fields": ("user", ("name", "key"), "digits")})]

    class Unfielded(DeviceAdmin):
        sensitive_fields = ("key",)

    request = RequestFactory().get("/")
    request.user = superuser
    for admin_class in (Plain, Unfielded):
        model_admin = admin_class(TOTPDevice, admin.site)
        assert "key" not in model_admin.get_form(request, totp_device).base_fields
        shown = flatten_fieldsets(model_admin.get_fieldsets(request, totp_device))
        assert "key" not in shown
        assert "name" in shown


# django-otp's names: <int:pk> URLs, config_view/qrcode_view(request, pk), qrcode_link

@pytest.mark.parametrize(("name", "url"), [
    ("otp_totp_totpdevice_config", "/admin/otp_totp/totpdevice/7/config/"),
    ("otp_totp_totpdevice_qrcode", "/admin/otp_totp/totpdevice/7/qrcode/"),
    ("otp_hotp_hotpdevice_config", "/admin/otp_hotp/hotpdevice/7/config/"),
    ("otp_hotp_hotpdevice_qrcode", "/admin/otp_hotp/hotpdevice/7/qrcode/"),
])
def test_config_urls_reverse_with_the_keyword_pk(name, url):
    assert reverse(f"admin:{name}", kwargs={"pk": 7}) == url
    assert reverse(f"admin:{name}", args=[7]) == url
    assert reverse(f"admin:{name}", args=["7"]) == url
    match = resolve(url)
    assert match.url_name == name
    assert match.kwargs == {"pk": 7}


@pytest.mark.parametrize("view", ["config", "qrcode"])
def test_config_views_by_the_keyword_pk(superuser_client, keyed_device, view):
    opts = keyed_device._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", kwargs={"pk": keyed_device.pk})
    assert superuser_client.get(url).status_code == 200


@pytest.mark.parametrize("model_name", ["totp_device", "hotp_device"])
def test_config_and_qrcode_views_take_request_and_pk(request, rf, superuser, model_name):
    device = request.getfixturevalue(model_name)
    model_admin = admin.site._registry[type(device)]
    for method in (model_admin.config_view, model_admin.qrcode_view):
        assert list(inspect.signature(method).parameters) == ["request", "pk"]
    get = rf.get("/")
    get.user = superuser
    assert model_admin.config_view(get, pk=device.pk).render().status_code == 200
    assert model_admin.qrcode_view(get, device.pk)["Content-Type"] == "image/svg+xml"


def test_qrcode_link_is_a_link_to_the_config_page(keyed_device):
    model_admin = admin.site._registry[type(keyed_device)]
    link = model_admin.qrcode_link(keyed_device)
    assert f'href="{admin_url(keyed_device, "config", keyed_device.pk)}"' in link
    assert model_admin.qrcode_link.short_description == "QR Code"


def test_changelist_has_the_qrcode_link_column(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "changelist"))
    assert "qrcode_link" in response.context["cl"].list_display
    assert "QR Code" in response.content.decode()


def test_change_form_shows_the_qrcode_link_read_only(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "change", keyed_device.pk))
    content = response.content.decode()
    assert "qrcode_link" in response.context["adminform"].readonly_fields
    assert f'href="{admin_url(keyed_device, "config", keyed_device.pk)}"' in content
    assert "QR Code" in content


def test_add_form_has_no_qrcode_link(superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "add"))
    assert response.status_code == 200
    assert "qrcode_link" not in response.context["adminform"].readonly_fields


def test_hidden_change_form_has_no_qrcode_link(hidden, superuser_client, keyed_device):
    response = superuser_client.get(admin_url(keyed_device, "change", keyed_device.pk))
    assert response.status_code == 200
    assert "qrcode_link" not in response.context["adminform"].readonly_fields
    assert admin_url(keyed_device, "config", keyed_device.pk) not in response.content.decode()
    changelist = superuser_client.get(admin_url(keyed_device, "changelist"))
    assert "qrcode_link" not in changelist.context["cl"].list_display


def test_view_only_staff_gets_the_qrcode_link(client, make_user, keyed_device):
    client.force_login(_staff(make_user, keyed_device, "view"))
    response = client.get(admin_url(keyed_device, "change", keyed_device.pk))
    assert response.status_code == 200
    assert admin_url(keyed_device, "config", keyed_device.pk) in response.content.decode()
    changelist = client.get(admin_url(keyed_device, "changelist"))
    assert "qrcode_link" in changelist.context["cl"].list_display


# A hidden secret cannot be read back through the admin's filters or its delete pages


def _matches(client, device, lookup, value):
    """How many devices the changelist lists for ``?lookup=value`` (None: filter refused)."""
    response = client.get(admin_url(device, "changelist"), {lookup: value})
    if response.status_code == 400:  # DisallowedModelAdminLookup: a filter the admin refuses
        return None
    if response.status_code == 302:  # a filter the model cannot run (a SecretField's, say)
        assert "e=1" in response["Location"]
        return None
    assert response.status_code == 200, response.status_code
    return response.context["cl"].result_count


@pytest.mark.parametrize("fixture, field", [
    ("totp_device", "key"), ("hotp_device", "key"), ("email_device", "token")])
def test_hidden_secrets_cannot_be_filtered_on(hidden, request, make_user, client, fixture, field):
    device = request.getfixturevalue(fixture)
    if fixture == "email_device":
        device.generate_token()  # a token is live: sent after the password
    client.force_login(_staff(make_user, device, "view"))
    secret = getattr(device, field)
    # One character at a time, the counts would spell the secret out.
    for lookup in (f"{field}__startswith", f"{field}__exact", field, f"{field}__regex"):
        assert _matches(client, device, lookup, secret[:1]) is None
    assert _matches(client, device, "name", device.name) == 1  # other filters still work


def test_secrets_can_be_filtered_on_where_the_admin_shows_them(superuser_client, email_device):
    email_device.generate_token()
    assert _matches(superuser_client, email_device, "token", email_device.token) == 1


def test_static_tokens_cannot_be_filtered_on(hidden, superuser_client, static_device):
    assert _matches(superuser_client, static_device, "token_set__token__startswith", "a") is None


@pytest.mark.parametrize("page", ["device", "bulk", "user"])
def test_delete_pages_do_not_list_backup_codes(superuser_client, static_device, page):
    if page == "device":
        response = superuser_client.get(admin_url(static_device, "delete", static_device.pk))
    elif page == "bulk":
        response = superuser_client.post(admin_url(static_device, "changelist"), {
            "action": "delete_selected", "_selected_action": [static_device.pk]})
    else:
        response = superuser_client.get(reverse("admin:auth_user_delete",
                                                args=[static_device.user_id]))
    content = response.content.decode()
    assert response.status_code == 200 and "static token" in content.lower()
    assert "abcd2345" not in content


@pytest.mark.parametrize("admin_path", [
    "django_otp.plugins.otp_totp.admin.TOTPDeviceAdmin",
    "django_otp.plugins.otp_hotp.admin.HOTPDeviceAdmin",
    "django_otp.plugins.otp_static.admin.StaticDeviceAdmin",
    "django_otp.plugins.otp_email.admin.EmailDeviceAdmin",
    "two_factor.plugins.phonenumber.admin.PhoneDeviceAdmin",
    "two_factor.plugins.webauthn.admin.WebauthnDeviceAdmin",
])
def test_a_subclass_adds_to_the_lists_as_with_django_otp(admin_path):
    """django-otp's admins had lists: ``list_display + ["extra"]`` in a site's subclass."""
    from django.utils.module_loading import import_string

    admin_class = import_string(admin_path)
    for name in ("list_display", "list_filter", "raw_id_fields", "search_fields"):
        assert isinstance(getattr(admin_class, name), list), name
        assert getattr(admin_class, name) + ["extra"]


def test_static_changelist_counts_tokens_without_grouping_the_table(superuser_client, make_user):
    owner = make_user("carol")
    for name, count in (("three", 3), ("none", 0), ("one", 1)):
        device = StaticDevice.objects.create(user=owner, name=name)
        for index in range(count):
            device.token_set.create(token=f"{name}{index}")
    with CaptureQueriesContext(connection) as queries:
        by_tokens_left = StaticDeviceAdmin.list_display.index("token_count") + 1
        response = superuser_client.get(reverse("admin:otp_static_staticdevice_changelist"),
                                        {"o": str(by_tokens_left)})
    assert [(device.name, device._token_count) for device in response.context["cl"].result_list] == [
        ("none", 0), ("one", 1), ("three", 3)]
    assert "<td class=\"field-token_count\">3</td>" in response.content.decode()
    # A count per row shown, not a GROUP BY over the join of every device and token.
    assert not any("GROUP BY" in query["sql"] for query in queries)


def test_the_change_form_loads_the_owner_with_the_device(superuser_client, totp_device):
    with CaptureQueriesContext(connection) as queries:
        response = superuser_client.get(admin_url(totp_device, "change", totp_device.pk))
    assert response.status_code == 200
    owner_reads = [query["sql"] for query in queries if query["sql"].startswith("SELECT")
                   and 'FROM "auth_user" WHERE' in query["sql"]
                   and f'"auth_user"."id" = {totp_device.user_id} ' in query["sql"]]
    assert len(owner_reads) == 1  # the raw-id widget's; the title's comes with the device
