"""``RequireTwoFactorMiddleware``: users the policy covers must use two factors.

Add it to MIDDLEWARE after ``AuthenticationMiddleware`` and ``OTPMiddleware``. For a signed-in
user that ``two_factor.flows.policy`` covers and whose session is not verified, a page (GET or
HEAD) redirects to ``two_factor:setup`` (no device yet) or ``two_factor:reauthenticate`` (a
device, but this session signed in with a password only), then back; any other method gets a
403 page that says what to do, since a redirect would drop what was submitted. During the grace
period the user is warned once per session instead (with ``django.contrib.messages``).

Left alone: anonymous users, the pages needed to comply (``ALWAYS_EXEMPT``), the sign-out pages,
``STATIC_URL`` and ``MEDIA_URL``, and ``TWO_FACTOR_ENFORCE_EXEMPT_URLS``. Works in sync and
async stacks (the check runs in ``process_view``, which Django adapts).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext_lazy as _

from ..conf import settings
from ..flows import policy
from ..flows.summary import has_device

logger = logging.getLogger("two_factor")

__all__ = ["RequireTwoFactorMiddleware", "ALWAYS_EXEMPT", "is_exempt"]

#: URL names the policy never blocks: signing in and out, setting up, verifying again, and the
#: WebAuthn endpoints those pages call. Names of plugins that are not installed match nothing.
ALWAYS_EXEMPT = frozenset({
    "two_factor:login", "two_factor:setup", "two_factor:qr", "two_factor:setup_complete",
    "two_factor:reauthenticate", "two_factor:webauthn_register_options",
    "two_factor:webauthn_login_options", "two_factor:webauthn_passkey_options",
    "two_factor:webauthn_passkey_login", "logout", "admin:logout",
})

#: The session key set once the grace-period warning was shown.
GRACE_WARNED_SESSION_KEY = "two_factor_grace_warned"

MESSAGES = {
    "grace_setup": _("Your account must be protected by two-factor authentication. Please set "
                     "it up before %(date)s; after that date you must set it up before you can "
                     "go on."),
    "grace_verify": _("Your account must use two-factor authentication. From %(date)s you will "
                      "be asked for a token of your device whenever you sign in with your "
                      "password only."),
}


class RequireTwoFactorMiddleware(MiddlewareMixin):
    """Sends the users that the policy covers to set up (or use) their second factor."""

    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            # Django would run the sync process_view in a thread on every request; the
            # checks that need no query decide in the event loop, and the rest goes there.
            self.process_view = self._aprocess_view  # type: ignore[method-assign,assignment]

    async def _aprocess_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                             view_kwargs: Any) -> HttpResponse | None:
        if not policy.enforcement_configured() or is_exempt(request):
            return None
        return await sync_to_async(self.decide)(request)

    def process_view(self, request: HttpRequest, view_func: Any, view_args: Any,
                     view_kwargs: Any) -> HttpResponse | None:
        # Cheapest first: the settings, the URL, then the user (loaded by nearly every page).
        if not policy.enforcement_configured() or is_exempt(request):
            return None
        return self.decide(request)

    def decide(self, request: HttpRequest) -> HttpResponse | None:
        """For a request the policy may cover: None to let it through, else the refusal."""
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        grace = policy.in_grace_period(user)
        if grace and not may_warn(request):
            return None  # in the grace period, once warned: nothing left to decide, no query
        if not policy.must_comply_now(user):
            return None
        if grace:
            warn_once(request, user)
            return None
        return refuse(request, has_device(user))


def refuse(request: HttpRequest, has_device: bool) -> HttpResponse:
    """A redirect to comply, then come back; a 403 page for a request that submitted data."""
    url = reverse("two_factor:reauthenticate" if has_device else "two_factor:setup")
    if request.method in ("GET", "HEAD"):
        return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
    context = {"has_device": has_device, "setup_url": url, "login_url": url}
    return render(request, "two_factor/core/otp_required.html", context, status=403)


def may_warn(request: HttpRequest) -> bool:
    """Whether this request can show the grace-period warning: a page (GET or HEAD) of a
    session not warned yet, with ``django.contrib.messages`` running."""
    session = getattr(request, "session", None)
    return (session is not None and not session.get(GRACE_WARNED_SESSION_KEY)
            and request.method in ("GET", "HEAD") and hasattr(request, "_messages"))


def warn_once(request: HttpRequest, user: Any) -> None:
    """The grace-period warning, once per session (see ``may_warn``).

    Whether the user has a device is asked only when the warning is shown: during the grace
    period the other requests cost no query here.
    """
    if not may_warn(request):
        return
    session = request.session
    end = policy.grace_period_end(user)
    date = formats.date_format(timezone.localtime(end), "DATETIME_FORMAT") if end else ""
    text = MESSAGES["grace_verify" if has_device(user) else "grace_setup"] % {"date": date}
    messages.warning(request, text, fail_silently=True)
    session[GRACE_WARNED_SESSION_KEY] = True


# Exempt requests


def is_exempt(request: HttpRequest) -> bool:
    """Whether the policy leaves this request alone (see the module's docstring)."""
    if _is_static_or_media(request):
        return True
    names = _view_names(request)
    if names & ALWAYS_EXEMPT:
        return True
    exempt_names, patterns = _exempt_setting(exempt_entries())
    return bool(names & exempt_names) or any(p.match(request.path_info) for p in patterns)


def exempt_entries() -> tuple[str, ...]:
    """``TWO_FACTOR_ENFORCE_EXEMPT_URLS`` as a tuple; a single string is one entry (not one
    entry per character, of which ``"^"`` or ``"/"`` would exempt every page)."""
    value = settings.TWO_FACTOR_ENFORCE_EXEMPT_URLS or ()
    return (value,) if isinstance(value, str) else tuple(value)


#: Paths that no exemption meant for some pages matches: one that matches them all matches
#: every path.
_PROBE_PATHS = ("/", "/no-page-is-here-e007/", "/\uffff/x.y")


def matches_every_path(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` exempts every page (``""``, ``"^"``, ``"/"``, ``".*"``): a mistake,
    which must not turn the policy off (system check two_factor.E007). ``"^/$"``, the home page
    alone, is not one."""
    return all(pattern.match(path) for path in _PROBE_PATHS)


def _view_names(request: HttpRequest) -> set[str]:
    """The name of the matched URL with its instance namespace, and with its app namespace."""
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return set()
    names = {match.view_name}
    if match.app_name:
        names.add(f"{match.app_name}:{match.url_name}")
    return names


def _is_static_or_media(request: HttpRequest) -> bool:
    """Whether the request is for ``STATIC_URL`` or ``MEDIA_URL``, when they are paths of this
    site, in the part of the path that Django routes (``path_info``).

    Not by ``request.path`` alone: it begins with the script prefix, which a deployment may let
    the client choose (a proxy that trusts an ``X-Script-Name`` header); with the prefix
    ``/static``, ``/static/any/page/`` would be a protected page that looked like a static one.
    """
    script = request.path[:len(request.path) - len(request.path_info)].rstrip("/")
    for prefix in _local_prefixes():
        if script and not prefix.startswith(script + "/"):
            continue  # outside this mount: a request that reached Django is not for it
        local = prefix[len(script):]
        if local != "/" and request.path_info.startswith(local):
            return True
    return False


def _local_prefixes() -> list[str]:
    """``STATIC_URL`` and ``MEDIA_URL`` when they are paths of this site."""
    prefixes = (getattr(django_settings, "STATIC_URL", None), getattr(django_settings, "MEDIA_URL", None))
    return [prefix for prefix in prefixes if isinstance(prefix, str) and prefix.startswith("/")
            and prefix != "/"]


@functools.lru_cache(maxsize=8)
def _exempt_setting(entries: tuple[str, ...]) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """Each entry is both a URL name and, when it compiles, a regex matched at the start of
    ``request.path_info``; a regex that matches every path is left out (it is logged)."""
    patterns = []
    for entry in entries:
        try:
            pattern = re.compile(entry)
        except (re.error, TypeError):
            continue  # not a regex: a URL name only
        if matches_every_path(pattern):
            logger.error("TWO_FACTOR_ENFORCE_EXEMPT_URLS: %r would exempt every page; ignored", entry)
            continue
        patterns.append(pattern)
    return frozenset(entry for entry in entries if isinstance(entry, str)), tuple(patterns)
