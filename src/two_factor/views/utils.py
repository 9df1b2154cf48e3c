"""Wizard base classes and the remember-device cookie, at their documented import path."""

from two_factor.flows.remember import get_remember_device_cookie, validate_remember_device_cookie
from two_factor.wizard.storage import ExtraSessionStorage, LoginStorage
from two_factor.wizard.views import IdempotentSessionWizardView

__all__ = [
    "ExtraSessionStorage", "LoginStorage", "IdempotentSessionWizardView",
    "get_remember_device_cookie", "validate_remember_device_cookie",
]
