"""URLs for the admin tests: an ``AdminSiteOTPRequired`` at otp-admin/, and two_factor's URLs."""

from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.urls import include, path

from two_factor.admin import AdminSiteOTPRequired
from two_factor.urls import urlpatterns as tf_urls

otp_admin_site = AdminSiteOTPRequired()
otp_admin_site.register(User, UserAdmin)
otp_admin_site.register(Group, GroupAdmin)

urlpatterns = [
    path("otp-admin/", otp_admin_site.urls),
    path("", include(tf_urls)),
]
