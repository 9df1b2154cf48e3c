from django.contrib import admin
from django.urls import include, path

from two_factor.urls import urlpatterns as tf_urls

urlpatterns = [
    path("", include(tf_urls)),
    path("admin/", admin.site.urls),
]
