"""The sign-in, setup and backup-token views (``two_factor.views.core``); each lives in a
module of its own."""

import logging
import time as time  # old tests patch ``two_factor.views.core.time``: the sign-in timeout's clock

from .. import signals as signals  # old tests patch ``two_factor.views.core.signals.user_verified``
from .backup import BackupTokensView
from .login import LoginView
from .setup import QRGeneratorView, SetupCompleteView, SetupView

#: The sign-in timeout is logged here (``two_factor.flows.login.cancel_reason``), where old tests
#: patch it.
logger = logging.getLogger(__name__)

__all__ = ["LoginView", "SetupView", "QRGeneratorView", "SetupCompleteView", "BackupTokensView"]
