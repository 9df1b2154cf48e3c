"""Every two_factor view, at the import paths sites use (``two_factor.views.LoginView``, ...)."""

from .core import BackupTokensView, LoginView, QRGeneratorView, SetupCompleteView, SetupView
from .devices import RemoveDeviceView
from .mixins import OTPRequiredMixin, ReauthenticationRequiredMixin
from .profile import (
    DisableView,
    LogoutEverywhereView,
    ProfileView,
    TrustedBrowserRevokeView,
    TrustedBrowsersRevokeAllView,
)
from .reauth import ReauthenticateView

__all__ = [
    "LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView", "BackupTokensView",
    "ProfileView", "DisableView", "OTPRequiredMixin",
    # Beyond django-two-factor-auth 1.18:
    "ReauthenticateView", "ReauthenticationRequiredMixin", "RemoveDeviceView",
    "TrustedBrowserRevokeView", "TrustedBrowsersRevokeAllView", "LogoutEverywhereView",
]
