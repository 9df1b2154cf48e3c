"""System checks of two_factor, with stable ids.

- ``two_factor.E001``: ``two_factor`` is listed after one of its plugins in INSTALLED_APPS.
- ``two_factor.E002``: ``TWO_FACTOR_LOGIN_TIMEOUT`` is not a number of seconds (0 or more).
- ``two_factor.E003``: a ``two_factor.plugins.*`` app is installed without ``two_factor``.
- ``two_factor.W001``: ``OTPMiddleware`` is not in MIDDLEWARE.
- ``two_factor.W007``: ``OTPMiddleware`` comes before ``AuthenticationMiddleware`` in MIDDLEWARE.
- ``two_factor.W002``: ``TWO_FACTOR_REMEMBER_COOKIE_AGE`` is neither None nor a positive integer.
- ``two_factor.W003``: ``TWO_FACTOR_SMS_GATEWAY`` or ``TWO_FACTOR_CALL_GATEWAY`` cannot be imported.
- ``two_factor.W008``: one of them lacks settings it needs, as its class's
  ``missing_settings(method)`` says: for the Twilio gateway, ``TWILIO_ACCOUNT_SID``,
  ``TWILIO_AUTH_TOKEN`` or ``TWILIO_CALLER_ID``.
- ``two_factor.E004``: ``RequireTwoFactorMiddleware`` comes before ``AuthenticationMiddleware`` or
  ``OTPMiddleware`` in MIDDLEWARE, or one of them is missing.
- ``two_factor.W004``: a ``TWO_FACTOR_ENFORCE_*`` setting covers users but
  ``RequireTwoFactorMiddleware`` is not in MIDDLEWARE, so nobody is held to it.
- ``two_factor.E005``: ``TWO_FACTOR_ENFORCE_CALLABLE`` is a dotted path that cannot be imported,
  or is not callable.
- ``two_factor.E006``: ``TWO_FACTOR_REAUTHENTICATION_AGE`` or ``TWO_FACTOR_ENFORCE_GRACE_PERIOD``
  is neither None nor a positive number of seconds.
- ``two_factor.E007``: an entry of ``TWO_FACTOR_ENFORCE_EXEMPT_URLS`` matches every path (``""``,
  ``"^"``, ``"/"``): it would exempt every page, and is left out.
- ``two_factor.W005`` (``check --deploy``): "remember this browser" is on and the session cookie
  is ``Secure``, but the remember cookie is not (``TWO_FACTOR_REMEMBER_COOKIE_SECURE``).
- ``two_factor.W006``: ``two_factor.plugins.email`` or ``two_factor.plugins.yubikey`` is installed
  without its device app (``django_otp.plugins.otp_email``, ``otp_yubikey``).
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings as django_settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.utils.module_loading import import_string
from django.utils.text import get_text_list

from .conf import settings

PLUGIN_PREFIX = "two_factor.plugins."
OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
ENFORCE_MIDDLEWARE = "two_factor.middleware.enforce.RequireTwoFactorMiddleware"


def _app_names() -> list[str]:
    """INSTALLED_APPS as app modules (``x.apps.SomeConfig`` counts as ``x``)."""
    return [entry.split(".apps.")[0] for entry in django_settings.INSTALLED_APPS]


@register(Tags.compatibility)
def check_app_order(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E001: plugins must come after ``two_factor`` in INSTALLED_APPS."""
    names = _app_names()
    if "two_factor" not in names:
        return []
    plugins = [name for name in names[:names.index("two_factor")] if name.startswith(PLUGIN_PREFIX)]
    if not plugins:
        return []
    return [Error(
        f"'two_factor' is listed after its plugin(s) {', '.join(plugins)} in INSTALLED_APPS.",
        hint="List 'two_factor' before every 'two_factor.plugins.*' app, so that its templates "
             "and methods come first.",
        id="two_factor.E001")]


@register(Tags.compatibility)
def check_plugins_have_core(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E003: a plugin needs the ``two_factor`` app itself."""
    names = _app_names()
    plugins = [name for name in names if name.startswith(PLUGIN_PREFIX)]
    if not plugins or "two_factor" in names:
        return []
    return [Error(
        f"{', '.join(plugins)} is installed but 'two_factor' is not in INSTALLED_APPS.",
        hint="Add 'two_factor' to INSTALLED_APPS, before its plugins.",
        id="two_factor.E003")]


@register(Tags.security)
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W001: OTPMiddleware is needed to know who is verified. two_factor.W007: it
    comes after AuthenticationMiddleware, whose user it gives the device to (a warning like
    W001, which has the same effect)."""
    middleware = _middleware()
    if OTP_MIDDLEWARE not in middleware:
        return [Warning(
            f"'{OTP_MIDDLEWARE}' is not in MIDDLEWARE: no request will count as verified.",
            hint=f"Add it after '{AUTH_MIDDLEWARE}'.",
            id="two_factor.W001")]
    if AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > middleware.index(OTP_MIDDLEWARE):
        return [Warning(
            f"'{OTP_MIDDLEWARE}' comes before '{AUTH_MIDDLEWARE}' in MIDDLEWARE: no request will "
            "count as verified.",
            hint=f"Move it after '{AUTH_MIDDLEWARE}'.",
            id="two_factor.W007")]
    return []


#: Method plugins: the app without which their method is never offered, and how to add it.
PLUGIN_NEEDS = {
    "two_factor.plugins.email": ("django_otp.plugins.otp_email", "Add it to INSTALLED_APPS."),
    # Its package declares the old django-otp as a dependency, which would replace ours.
    "two_factor.plugins.yubikey": ("otp_yubikey", "Install it with 'pip install --no-deps "
                                   "django-otp-yubikey YubiOTP' and add it to INSTALLED_APPS."),
}


@register(Tags.compatibility)
def check_plugin_needs(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W006: a method plugin is installed without the device app its method needs, so
    the method is never offered."""
    names = _app_names()
    return [Warning(f"'{plugin}' is in INSTALLED_APPS but '{needed}' is not: its method is never "
                    "offered.", hint=hint, id="two_factor.W006")
            for plugin, (needed, hint) in PLUGIN_NEEDS.items() if plugin in names and needed not in names]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register(Tags.security)
def check_remember_cookie_age(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W002: the remember-device cookie lives a positive number of seconds, or is off."""
    age = settings.TWO_FACTOR_REMEMBER_COOKIE_AGE
    if age is None or (isinstance(age, int) and not isinstance(age, bool) and age > 0):
        return []
    return [Warning(
        f"TWO_FACTOR_REMEMBER_COOKIE_AGE is {age!r}; it must be None or a positive whole number of seconds.",
        hint="Set it to None to turn 'remember this browser' off, or to e.g. 30 * 24 * 3600.",
        id="two_factor.W002")]


@register(Tags.security, deploy=True)
def check_remember_cookie_secure(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W005: on a site whose session cookie is ``Secure`` (HTTPS), the remember cookie
    is too. With the password it signs in without a token: it must not travel over HTTP."""
    if (settings.TWO_FACTOR_REMEMBER_COOKIE_AGE is None or settings.TWO_FACTOR_REMEMBER_COOKIE_SECURE
            or not django_settings.SESSION_COOKIE_SECURE):
        return []
    return [Warning(
        "SESSION_COOKIE_SECURE is on but TWO_FACTOR_REMEMBER_COOKIE_SECURE is off: the cookie that "
        "lets a browser skip the token step would also be sent over plain HTTP.",
        hint="Set TWO_FACTOR_REMEMBER_COOKIE_SECURE = True.",
        id="two_factor.W005")]


@register(Tags.security)
def check_login_timeout(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E002: the time allowed between the password and the token, in seconds."""
    timeout = settings.TWO_FACTOR_LOGIN_TIMEOUT
    if _is_number(timeout) and timeout >= 0:
        return []
    return [Error(
        f"TWO_FACTOR_LOGIN_TIMEOUT is {timeout!r}; it must be a number of seconds, 0 or more.",
        hint="Use e.g. 600 (ten minutes), or 0 for no limit.",
        id="two_factor.E002")]


@register(Tags.compatibility)
def check_gateways(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W003: a gateway setting names a class that cannot be imported.
    two_factor.W008: it names a gateway whose ``missing_settings(method)`` names settings."""
    messages: list[CheckMessage] = []
    for name, method in (("TWO_FACTOR_SMS_GATEWAY", "sms"), ("TWO_FACTOR_CALL_GATEWAY", "call")):
        path = getattr(settings, name)
        if path is None:
            continue
        problem = _import_problem(path)
        if problem:
            messages.append(Warning(
                f"{name} is {path!r}, which cannot be imported: {problem}",
                hint="Give the dotted path of a gateway class, e.g. "
                     "'two_factor.gateways.fake.Fake', or None to turn the method off.",
                id="two_factor.W003"))
        elif missing := _missing_settings(import_string(path), method):
            messages.append(Warning(
                f"{name} is {path!r}, but {get_text_list(missing, 'and')} "
                f"{'is' if len(missing) == 1 else 'are'} not "
                "set: every token it sends fails.",
                hint="Set them (for Twilio: the account SID and auth token from its console, and "
                     "TWILIO_CALLER_ID, the number tokens come from; text messages may go through "
                     "TWILIO_MESSAGING_SERVICE_SID instead).",
                id="two_factor.W008"))
    return messages


def _missing_settings(gateway: Any, method: str) -> list[str]:
    """What the gateway class says it lacks (its ``missing_settings(method)``, as the Twilio
    gateway has), or nothing."""
    missing_settings = getattr(gateway, "missing_settings", None)
    return list(missing_settings(method)) if callable(missing_settings) else []


def _import_problem(path: Any) -> str | None:
    if not isinstance(path, str):
        return "it is not a dotted path"
    try:
        import_string(path)
    except Exception as error:  # noqa: BLE001 - any failure to import is what we report
        return str(error) or type(error).__name__
    return None


def _middleware() -> list[str]:
    return list(getattr(django_settings, "MIDDLEWARE", None) or [])


@register(Tags.security)
def check_enforcement_middleware_order(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E004: the policy needs to know who is signed in, and who is verified."""
    middleware = _middleware()
    if ENFORCE_MIDDLEWARE not in middleware:
        return []
    position = middleware.index(ENFORCE_MIDDLEWARE)
    misplaced = [name for name in (AUTH_MIDDLEWARE, OTP_MIDDLEWARE)
                 if name not in middleware or middleware.index(name) > position]
    if not misplaced:
        return []
    return [Error(
        f"'{ENFORCE_MIDDLEWARE}' must come after {', '.join(repr(name) for name in misplaced)} "
        "in MIDDLEWARE.",
        hint=f"List '{AUTH_MIDDLEWARE}', then '{OTP_MIDDLEWARE}', then '{ENFORCE_MIDDLEWARE}'.",
        id="two_factor.E004")]


@register(Tags.security)
def check_enforcement_middleware_installed(app_configs: Any = None,
                                           **kwargs: Any) -> list[CheckMessage]:
    """two_factor.W004: enforcement settings do nothing without the middleware."""
    from .flows.policy import enforcement_configured

    if ENFORCE_MIDDLEWARE in _middleware() or not enforcement_configured():
        return []
    return [Warning(
        "TWO_FACTOR_ENFORCE_* settings require two-factor authentication for some users, but "
        f"'{ENFORCE_MIDDLEWARE}' is not in MIDDLEWARE: nobody is held to it.",
        hint=f"Add '{ENFORCE_MIDDLEWARE}' after '{OTP_MIDDLEWARE}'.",
        id="two_factor.W004")]


@register(Tags.security)
def check_enforcement_callable(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E005: ``TWO_FACTOR_ENFORCE_CALLABLE`` must import and be callable."""
    value = settings.TWO_FACTOR_ENFORCE_CALLABLE
    if value is None or callable(value):
        return []
    problem = _import_problem(value)
    if problem is None and not callable(import_string(value)):
        problem = "it is not callable"
    if problem is None:
        return []
    return [Error(
        f"TWO_FACTOR_ENFORCE_CALLABLE is {value!r}, which cannot be used: {problem}",
        hint="Give a function that takes a user and returns True when that user must use two "
             "factors, or its dotted path, e.g. 'myproject.policy.needs_two_factor'.",
        id="two_factor.E005")]


@register(Tags.security)
def check_security_durations(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E006: the re-authentication age and the grace period are seconds, or None."""
    messages: list[CheckMessage] = []
    for name in ("TWO_FACTOR_REAUTHENTICATION_AGE", "TWO_FACTOR_ENFORCE_GRACE_PERIOD"):
        value = getattr(settings, name)
        if value is None or (_is_number(value) and value > 0):
            continue
        messages.append(Error(
            f"{name} is {value!r}; it must be None or a positive number of seconds.",
            hint="Use e.g. 15 * 60 for fifteen minutes, or None to turn it off.",
            id="two_factor.E006"))
    return messages


@register(Tags.security)
def check_enforcement_exempt_urls(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """two_factor.E007: no entry of ``TWO_FACTOR_ENFORCE_EXEMPT_URLS`` may match every path
    (``""``, ``"^"``, ``"/"``, ``".*"``): the policy would cover no page. Such an entry is left
    out at run time, and said here."""
    from .middleware.enforce import exempt_entries, matches_every_path

    messages: list[CheckMessage] = []
    for entry in exempt_entries():
        try:
            everything = isinstance(entry, str) and matches_every_path(re.compile(entry))
        except re.error:
            continue  # a URL name
        if everything:
            messages.append(Error(
                f"TWO_FACTOR_ENFORCE_EXEMPT_URLS has {entry!r}, which would exempt every page.",
                hint="List URL names ('app:name') or regular expressions for the start of the "
                     r"path, e.g. ['healthcheck', r'^/api/public/'].",
                id="two_factor.E007"))
    return messages
