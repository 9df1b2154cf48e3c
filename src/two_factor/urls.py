"""``path('', include(tf_urls))`` with ``from two_factor.urls import urlpatterns as tf_urls``."""

from django.apps import apps
from django.urls import include, path

from .views import (
    BackupTokensView,
    DisableView,
    LoginView,
    ProfileView,
    QRGeneratorView,
    SetupCompleteView,
    SetupView,
)

app_name = "two_factor"

core = [
    path("account/login/", LoginView.as_view(), name="login"),
    path("account/two_factor/setup/", SetupView.as_view(), name="setup"),
    path("account/two_factor/qrcode/", QRGeneratorView.as_view(), name="qr"),
    path("account/two_factor/setup/complete/", SetupCompleteView.as_view(), name="setup_complete"),
    path("account/two_factor/backup/tokens/", BackupTokensView.as_view(), name="backup_tokens"),
]

profile = [
    path("account/two_factor/", ProfileView.as_view(), name="profile"),
    path("account/two_factor/disable/", DisableView.as_view(), name="disable"),
]

# A plugin app with a ``url_prefix`` brings its own urls module, e.g. the phone plugin's
# account/two_factor/phone/register/. Found through the app registry: no plugin is imported here.
plugin_urlpatterns = [
    path(f"account/two_factor/{config.url_prefix}/", include(f"{config.name}.urls"))
    for config in apps.get_app_configs()
    if config.name.startswith("two_factor.plugins.") and getattr(config, "url_prefix", None)
]

urlpatterns = ([*core, *profile, *plugin_urlpatterns], app_name)
