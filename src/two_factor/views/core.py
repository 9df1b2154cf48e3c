"""The sign-in, setup and backup-token views (``two_factor.views.core``); each lives in a
module of its own."""

from .. import signals as signals  # old tests patch ``two_factor.views.core.signals.user_verified``
from .backup import BackupTokensView
from .login import LoginView
from .setup import QRGeneratorView, SetupCompleteView, SetupView

__all__ = ["LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView", "BackupTokensView"]
