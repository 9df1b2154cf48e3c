"""AdminSiteOTPRequired admits verified staff only; patch_admin() changes the admin login pages only."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.admin import AdminSite
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.shortcuts import resolve_url
from django.test import RequestFactory, override_settings
from django.urls import include, path, reverse

from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.admin import (
    AdminSiteOTPRequired,
    AdminSiteOTPRequiredMixin,
    is_admin_patched,
    patch_admin,
    unpatch_admin,
)
from two_factor.urls import urlpatterns as tf_urls

from .conftest import login_password_only, login_verified

ADMIN = "/otp-admin/"
CHANGELIST = "/otp-admin/auth/user/"


@pytest.fixture(autouse=True)
def admin_urls(settings):
    settings.ROOT_URLCONF = "tests.two_factor.urls_admin"
    settings.LOGIN_URL = "two_factor:login"


@pytest.fixture
def staff(make_user):
    user = make_user("staff", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=user, name="default")
    return user


@pytest.fixture
def staff_device(staff):
    return TOTPDevice.objects.get(user=staff)


def sign_in_url():
    return reverse("two_factor:login")


def leave_admin(client, url, method="get", **data):
    """Follow redirects while they stay inside the admin; return the first one that leaves it."""
    response = getattr(client, method)(url, data)
    for _hop in range(5):
        assert response.status_code == 302, response.status_code
        location = response["Location"]
        if not urlsplit(location).path.startswith(ADMIN):
            return location
        response = client.get(location)
    raise AssertionError("redirect loop inside the admin")


def assert_sent_to_sign_in(location, next_url):
    parts = urlsplit(location)
    assert parts.path == sign_in_url()
    assert parse_qs(parts.query) == {"next": [next_url]}


# Who gets in


@pytest.mark.parametrize("url", [ADMIN, CHANGELIST, "/otp-admin/auth/user/add/"])
def test_anonymous_goes_to_the_sign_in_with_next(client, db, url):
    assert_sent_to_sign_in(leave_admin(client, url), url)


def test_password_only_staff_is_refused(client, staff, staff_device):
    login_password_only(client, staff)
    for url in (ADMIN, CHANGELIST):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] != ADMIN
        assert_sent_to_sign_in(leave_admin(client, url), url)


def test_password_only_staff_on_the_login_page_is_not_sent_to_the_index(client, staff, staff_device,
                                                                      settings):
    login_password_only(client, staff)
    response = client.get(ADMIN + "login/")
    # Without a next, the sign-in goes on to LOGIN_REDIRECT_URL, as django-two-factor-auth's.
    assert_sent_to_sign_in(response["Location"], resolve_url(settings.LOGIN_REDIRECT_URL))


def test_staff_without_device_is_sent_to_setup(client, make_user):
    user = make_user("newstaff", is_staff=True)
    login_password_only(client, user)
    # To the setup's own address, as django-two-factor-auth sent them (its tests compare the
    # URL); the way back to the admin is in the session, and the setup's last page links to it.
    assert leave_admin(client, ADMIN) == reverse("two_factor:setup")
    assert client.session["next"] == ADMIN
    assert client.get(reverse("two_factor:setup")).status_code == 200
    assert client.session["next"] == ADMIN  # a GET of the setup without next keeps it


def test_staff_without_device_find_the_way_back_to_the_admin_after_setup(client, make_user):
    from .test_setup import SECRET_SESSION_KEY, post_step, totp_token

    user = make_user("newstaff", is_staff=True, is_superuser=True)
    login_password_only(client, user)
    setup = client.get(leave_admin(client, CHANGELIST))
    post_step(client, "welcome")
    key = client.session[SECRET_SESSION_KEY]
    response = post_step(client, "generator", {"token": totp_token(key)})
    complete = client.get(response["Location"])
    assert setup.status_code == 200 and complete.status_code == 200
    assert f'href="{CHANGELIST}"' in complete.content.decode()
    assert client.get(CHANGELIST).status_code == 200


def test_staff_with_unconfirmed_device_only_is_refused(client, make_user):
    user = make_user("halfway", is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    login_verified(client, user, device)
    assert client.get(ADMIN).status_code == 302
    assert urlsplit(leave_admin(client, ADMIN)).path == reverse("two_factor:setup")


def test_verified_non_staff_is_refused(client, user_with_totp, default_totp):
    login_verified(client, user_with_totp, default_totp)
    assert_sent_to_sign_in(leave_admin(client, ADMIN), ADMIN)
    assert client.get(CHANGELIST).status_code == 302


def test_verified_inactive_staff_is_refused(client, staff, staff_device):
    login_verified(client, staff, staff_device)
    staff.is_active = False
    staff.save()
    assert client.get(ADMIN).status_code == 302


def test_verified_staff_gets_in(client, staff, staff_device):
    login_verified(client, staff, staff_device)
    assert client.get(ADMIN).status_code == 200
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"staff" in response.content
    assert client.get("/otp-admin/auth/user/add/").status_code == 200
    assert client.get("/otp-admin/auth/group/").status_code == 200


def test_verification_ends_with_the_device(client, staff, staff_device):
    login_verified(client, staff, staff_device)
    assert client.get(ADMIN).status_code == 200
    staff_device.delete()
    assert client.get(ADMIN).status_code == 302


def test_verified_staff_on_the_login_page_goes_on(client, staff, staff_device):
    login_verified(client, staff, staff_device)
    assert client.get(ADMIN + "login/")["Location"] == ADMIN
    assert client.get(ADMIN + "login/", {"next": CHANGELIST})["Location"] == CHANGELIST
    assert client.get(ADMIN + "login/", {"next": "https://evil.example.com/"})["Location"] == ADMIN


# next


def test_a_local_next_is_passed_along(client, db):
    response = client.get(ADMIN + "login/", {"next": CHANGELIST})
    assert_sent_to_sign_in(response["Location"], CHANGELIST)


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x",
                                    "http://testserver.evil.example.com/", "javascript:alert(1)"])
def test_an_external_next_is_dropped(client, db, target, settings):
    response = client.get(ADMIN + "login/", {"next": target})
    assert "evil" not in response["Location"] and "javascript" not in response["Location"]
    assert_sent_to_sign_in(response["Location"], resolve_url(settings.LOGIN_REDIRECT_URL))


def test_posting_credentials_to_the_admin_login_signs_nobody_in(client, staff):
    response = client.post(ADMIN + "login/", {"username": "staff", "password": "secret-password",
                                              "next": CHANGELIST})
    assert_sent_to_sign_in(response["Location"], CHANGELIST)
    assert "_auth_user_id" not in client.session


def test_login_url_pointing_at_the_admin_login_does_not_loop(client, db, settings):
    settings.LOGIN_URL = ADMIN + "login/"
    assert_sent_to_sign_in(leave_admin(client, ADMIN), ADMIN)


# The mixin on a site of one's own


class MySite(AdminSiteOTPRequiredMixin, AdminSite):
    pass


def request_as(user, verified=None):
    request = RequestFactory().get("/")
    request.user = user
    if verified is not None:
        user.is_verified = lambda: verified
    return request


def test_mixin_has_permission(staff):
    site = MySite(name="mine")
    assert site.has_permission(request_as(staff, verified=True))
    assert not site.has_permission(request_as(staff, verified=False))
    assert not site.has_permission(request_as(AnonymousUser(), verified=True))


def test_without_otp_middleware_the_error_says_so(staff):
    with pytest.raises(ImproperlyConfigured, match="OTPMiddleware"):
        AdminSiteOTPRequired().has_permission(request_as(staff))


def test_default_site_name_is_admin():
    assert AdminSiteOTPRequired().name == "admin"
    assert AdminSiteOTPRequired("other").name == "other"


# TWO_FACTOR_PATCH_ADMIN


ORIGINAL_LOGIN = AdminSite.login


def original_login(site):
    return site.login.__func__ is ORIGINAL_LOGIN


class PatchedUrls:
    """A urlconf built now, so that the admins' URLs see the login patched or not."""

    def __init__(self):
        self.urlpatterns = [path("admin/", admin.site.urls),
                            path("otheradmin/", AdminSite("other").urls), path("", include(tf_urls))]


def ready_with_patch_setting(value):
    with override_settings(TWO_FACTOR_PATCH_ADMIN=value):
        apps.get_app_config("two_factor").ready()


def test_the_test_settings_leave_the_admin_alone():
    assert not is_admin_patched()
    assert original_login(admin.site)


def test_patch_setting_true_patches_every_admin_login(client, staff, staff_device, settings):
    from tests.urls import otp_admin_site

    try:
        ready_with_patch_setting(True)
        assert is_admin_patched()
        # Every site's login page, as django-two-factor-auth patched AdminSite itself; a site
        # class with a login of its own keeps it, and nothing else of the sites changes.
        for site in (admin.site, otp_admin_site, AdminSite("another")):
            assert not original_login(site)
        assert AdminSiteOTPRequired.login is AdminSiteOTPRequiredMixin.login
        assert admin.site.has_permission(request_as(staff, verified=False))

        settings.ROOT_URLCONF = PatchedUrls()
        response = client.get("/admin/login/", {"next": "/admin/auth/"})
        assert_sent_to_sign_in(response["Location"], "/admin/auth/")
        # A second site too: its own password form would let a user with a device in
        # without a token.
        response = client.get("/otheradmin/login/", {"next": "/otheradmin/"})
        assert_sent_to_sign_in(response["Location"], "/otheradmin/")
        response = client.post("/otheradmin/login/", {"username": staff.username,
                                                      "password": "secret-password"})
        assert response.status_code == 302 and "_auth_user_id" not in client.session
        response = client.get("/admin/login/", {"next": "https://evil.example.com/"})
        assert_sent_to_sign_in(response["Location"], resolve_url(settings.LOGIN_REDIRECT_URL))
        response = client.get("/admin/")
        assert_sent_to_sign_in(client.get(response["Location"])["Location"], "/admin/")
        # The patch changes where one signs in, not who gets in: staff need no OTP here.
        login_password_only(client, staff)
        assert client.get("/admin/login/")["Location"] == "/admin/"
        assert client.get("/admin/").status_code == 200
    finally:
        unpatch_admin()
    assert not is_admin_patched() and original_login(admin.site)


def test_unpatch_restores_the_login_page(client, db, settings):
    try:
        ready_with_patch_setting(True)
        patch_admin()  # twice is once
    finally:
        unpatch_admin()
    assert original_login(admin.site)
    settings.ROOT_URLCONF = PatchedUrls()
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert b'name="password"' in response.content


def test_patch_setting_false_patches_nothing():
    try:
        ready_with_patch_setting(False)
        assert not is_admin_patched()
        assert original_login(admin.site)
    finally:
        unpatch_admin()


def test_without_the_admin_app_there_is_nothing_to_patch():
    installed = [name for name in apps.app_configs if name != "admin"]
    assert "admin" in apps.app_configs
    names = [config.name for label, config in apps.app_configs.items() if label in installed]
    with override_settings(INSTALLED_APPS=names):
        patch_admin()
        assert not is_admin_patched()
        unpatch_admin()
    assert original_login(admin.site)
