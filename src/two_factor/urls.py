"""``path('', include(tf_urls))`` with ``from two_factor.urls import urlpatterns as tf_urls``."""

from django.apps import apps
from django.urls import include, path

from .views import (
    BackupTokensView,
    DisableView,
    LoginView,
    LogoutEverywhereView,
    ProfileView,
    QRGeneratorView,
    ReauthenticateView,
    RemoveDeviceView,
    SetupCompleteView,
    SetupView,
    TrustedBrowserRevokeView,
    TrustedBrowsersRevokeAllView,
)

app_name = "two_factor"

core = [
    path("account/login/", LoginView.as_view(), name="login"),
    path("account/two_factor/setup/", SetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path("account/two_factor/setup/complete/", SetupCompleteView.as_view(), name="setup_complete"),
    path("account/two_factor/backup/tokens/", BackupTokensView.as_view(), name="backup_tokens"),
    path("account/two_factor/reauthenticate/", ReauthenticateView.as_view(), name="reauthenticate"),
]

profile = [
    path("account/two_factor/", ProfileView.as_view(), name="profile"),
    path("account/two_factor/disable/", DisableView.as_view(), name="disable"),
    path("account/two_factor/device/remove/", RemoveDeviceView.as_view(), name="device_remove"),
    path("account/two_factor/trusted-browsers/<str:key>/revoke/",
         TrustedBrowserRevokeView.as_view(), name="trusted_browser_revoke"),
    path("account/two_factor/trusted-browsers/revoke-all/",
         TrustedBrowsersRevokeAllView.as_view(), name="trusted_browsers_revoke_all"),
    path("account/two_factor/logout-everywhere/", LogoutEverywhereView.as_view(),
         name="logout_everywhere"),
]

# A plugin app with a ``url_prefix`` brings its own urls module, e.g. the phone plugin's
# account/two_factor/phone/register/. Found through the app registry: no plugin is imported here.
plugin_urlpatterns = [
    # url_prefix: an attribute of some plugin configs only (the condition below checks it).
    path(f"account/two_factor/{config.url_prefix}/",  # type: ignore[attr-defined]
         include(f"{config.name}.urls"))
    for config in apps.get_app_configs()
    if config.name.startswith("two_factor.plugins.") and getattr(config, "url_prefix", None)
]

urlpatterns = ([*core, *profile, *plugin_urlpatterns], app_name)
