from django.contrib import admin
from django.contrib.auth.views import LogoutView
from django.urls import include, path

from two_factor.urls import urlpatterns as tf_urls

urlpatterns = [
    path("", include(tf_urls)),
    path("account/logout/", LogoutView.as_view(next_page="two_factor:login"), name="logout"),
    path("admin/", admin.site.urls),
]
