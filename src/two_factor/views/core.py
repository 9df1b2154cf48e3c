"""The sign-in, setup and backup-token views (``two_factor.views.core``); each lives in a
module of its own."""

from .backup import BackupTokensView
from .login import LoginView
from .setup import QRGeneratorView, SetupCompleteView, SetupView

__all__ = ["LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView", "BackupTokensView"]
