"""Every two_factor view, at the import paths sites use (``two_factor.views.LoginView``, ...)."""

from .core import BackupTokensView, LoginView, QRGeneratorView, SetupCompleteView, SetupView
from .mixins import OTPRequiredMixin
from .profile import DisableView, ProfileView

__all__ = [
    "LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView", "BackupTokensView",
    "ProfileView", "DisableView", "OTPRequiredMixin",
]
