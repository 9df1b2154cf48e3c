from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path, reverse_lazy

from two_factor.urls import urlpatterns as tf_urls

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/signup/", views.SignupView.as_view(), name="signup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(
        template_name="demo/password_change.html", success_url=reverse_lazy("password_change_done"),
    ), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="demo/password_change_done.html",
    ), name="password_change_done"),
    path("secret/", views.secret, name="secret"),
    path("admin/", admin.site.urls),
    path("", include(tf_urls)),
    # The stylesheet and scripts, with DEBUG on or off (runserver serves them itself when
    # DEBUG is on or with --insecure; this route covers every other case). A local demo only.
    re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
]
