"""Wizard base classes, the remember-device cookie and ``class_view_decorator``, at their
documented import path."""

from collections.abc import Callable
from typing import Any

from django.utils.decorators import method_decorator

from two_factor.flows.remember import get_remember_device_cookie, validate_remember_device_cookie
from two_factor.wizard.storage import ExtraSessionStorage, LoginStorage
from two_factor.wizard.views import IdempotentSessionWizardView

__all__ = [
    "ExtraSessionStorage", "LoginStorage", "IdempotentSessionWizardView",
    "get_remember_device_cookie", "validate_remember_device_cookie", "class_view_decorator",
]


def class_view_decorator(function_decorator: Callable[..., Any]) -> Callable[[type], type]:
    """Turn a decorator of function views into a decorator of class-based views: it decorates
    the class's ``dispatch``, as ``method_decorator(function_decorator, name="dispatch")`` does.

    ``@class_view_decorator(login_required)`` above ``class MyView(View)``.
    """
    return method_decorator(function_decorator, name="dispatch")
