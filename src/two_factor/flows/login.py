"""The work of signing in, as plain functions that ``two_factor.views.LoginView`` calls.

Between the password step and the token step the session keeps only a small dict (the wizard's
``extra_data``): the user's session auth hash (it changes with the password) and the persistent
id of the device asked for a token. The user's pk and backend are kept by ``LoginStorage``, and
the time of the password step as ``authentication_time`` in the wizard's data (int seconds),
where django-two-factor-auth kept them. Nothing else: no form data, no password. (A session
kept by the browser also names the attempt, so that it can finish once: ``finish_attempt``.)
"""

from __future__ import annotations

import logging
import secrets
from typing import Any, cast

from django.conf import settings as django_settings
from django.core.signing import BadSignature, SignatureExpired
from django.utils.crypto import constant_time_compare
from django.utils.dateformat import time_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

import django_otp
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.util import generate_challenge

from ..conf import settings
from ..events import VERIFIED, emit
from ..plugins.registry import registry
from ..signals import user_verified
from ..utils import default_device, is_verified
from . import backup, once, reauth
from .remember import (
    of_no_format,
    remember_cookie_items,
    validate_remember_device_cookie,
    well_formed,
)
from .session import client_side, renew_session_key
from .session import login as session_login
from .setup import claim_setup_send, release_setup_send
from .summary import SummaryRow, cached_device_summary, device_summary, has_device
from .trusted import accept_cookie

logger = logging.getLogger("two_factor")

#: What the user is told when the sign-in cannot go on as asked.
MESSAGES = {
    # django-two-factor-auth's wording, which tests written for it compare.
    "timeout": _("Your session has timed out. Please login again."),
    "changed": _("Your account changed during sign-in, please start again."),
    "start_again": _("Your sign-in was not found or has expired, please start again."),
    "not_your_device": _("This device cannot be used to sign in to your account."),
    "no_backup_tokens": _("You have no backup tokens left."),
    # ``send_challenge`` when the device (its gateway, say) failed.
    "not_sent": _("The token could not be sent. Please try again or use another method."),
    # ``send_challenge`` to a device being set up, when the user's setups sent a token (to this
    # or another number or address) less than a cooldown ago.
    "setup_wait": _("A token was sent moments ago. You can ask for a new one at %(time)s."),
}


class NothingSent(str):
    """A message of ``send_challenge`` that says that no token went out: a page shows it, and
    must not also say that one is on its way (a method's ``verbose_action``)."""


#: Logged (at INFO) when a sign-in times out; django-two-factor-auth's wording.
TIMEOUT_LOG_MESSAGE = ("User's authentication flow has timed out. The user has been redirected "
                       "to the initial auth form.")


def _old_view_module() -> Any:
    """``two_factor.views.core``, where django-two-factor-auth's login view lived and where tests
    written for it patch ``time`` and ``logger``: the old patch point of the sign-in timeout.

    Looked up on each call, not imported at the top: that module imports the login view, which
    imports this one.
    """
    from ..views import core

    return core


def now() -> float:
    """The clock of the sign-in timeout: ``time.time()`` as ``two_factor.views.core`` sees it."""
    return _old_view_module().time.time()


# Devices


def sign_in_device(user: Any) -> Device | None:
    """The device asked for a token: the default one, else a confirmed one a method knows."""
    device = default_device(user)
    if device is not None:
        return device
    for method in registry.get_methods():
        devices = method.get_devices(user)
        if devices:
            return devices[0]
    return None


def other_devices(user: Any, main_device: Device | None) -> list[Device]:
    """The devices the user may pick instead of ``main_device``, from every method.

    Without a query (no method asked) when this request's device summary shows nothing to
    offer: no confirmed device but ``main_device`` and static devices no method knows.
    """
    summary = cached_device_summary(user)
    if summary is not None and all(_never_offered(user, row) for row in summary.others(main_device)):
        return []
    return [device for method in registry.get_methods()
            for device in method.get_other_authentication_devices(user, main_device)]


def _never_offered(user: Any, row: SummaryRow) -> bool:
    """Whether no method could offer the summarised device as a way to sign in.

    The sign-in takes a picked device only if it is a confirmed device of the user that a
    method recognises (``find_user_device(..., require_method=True)``), and every such device
    is in the summary. A StaticDevice (the backup tokens, which have their own button) is
    recognised by no method of ours (generator, phones, email, YubiKey, WebAuthn all check for
    their own models): asking the methods would list nothing for it. A method of a site's own
    could differ, so the device is put to the methods as it is summarised; recognised by one,
    it is not skipped and the methods are asked as usual.
    """
    if row.model is not StaticDevice:
        return False
    probe = StaticDevice(pk=row.pk, user_id=user.pk, name=row.name, confirmed=True)
    return registry.method_from_device(probe) is None


def step_context(user: Any, device: Device | None, step: str, notice: Any = None) -> dict[str, Any]:
    """What the token and backup steps show: the device, the others to pick, backup tokens.

    ``notice`` is what the page tells besides; after a challenge that failed, the device's
    ``verbose_action`` (which says that a token was sent) is left out."""
    if user is None or step == "auth":
        return {"device": None, "verbose_action": None, "other_devices": [],
                "other_device_actions": [], "backup_tokens": 0}
    method = registry.method_from_device(device) if device is not None else None
    if step == "token":
        # The backup token count needs a query either way: the summary is that query, and it
        # spares the methods' queries when there is no other device to offer.
        device_summary(user)
    others = other_devices(user, device)
    return {
        "device": device,
        # A method is only found for a device.
        "verbose_action": (method.get_verbose_action(cast(Device, device))
                           if method and not challenge_failed(notice) else None),
        "other_devices": others,
        "other_device_actions": [(other, other_method.get_action(other)) for other in others
                                 if (other_method := registry.method_from_device(other))],
        "backup_tokens": backup.backup_token_count(user) if step == "token" else 0,
    }


def signed_in_already(user: Any) -> bool:
    """Whether ``user`` needs no sign-in: verified, or signed in and without a device."""
    if not user.is_authenticated:
        return False
    return is_verified(user) or not has_device(user)


def find_user_device(user: Any, persistent_id: Any, require_method: bool = False,
                     loaded: Device | None = None) -> Device | None:
    """``user``'s confirmed device named by ``persistent_id`` (any value), or None.

    ``loaded``: a device this request has loaded already, taken if it is the one named.
    """
    if loaded is not None and isinstance(persistent_id, str) and loaded.persistent_id == persistent_id:
        device: Device | None = loaded
    else:
        device = Device.from_persistent_id(persistent_id) if isinstance(persistent_id, str) else None
    if device is None or device.user_id != user.pk or not device.confirmed:
        return None
    if require_method and registry.method_from_device(device) is None:
        return None
    return device


def backup_device(user: Any) -> StaticDevice | None:
    """The user's confirmed backup device (their backup tokens), or None."""
    return backup.backup_device(user, create=False, confirmed=True)


def send_challenge(device: Device, request: Any = None) -> str | None:
    """Ask an interactive device for a challenge (a text message, a call, ...), through its
    method (which may hand ``request`` to a gateway).

    Returns the message for the user, also when the device fails (a gateway that is down): a
    ``NothingSent`` when no token went out. A device being set up (unconfirmed) keeps to the
    user's limit on setup tokens (``flows.setup.claim_setup_send``).
    """
    method = registry.method_from_device(device)
    next_at = None if device.confirmed else claim_setup_send(device)
    if next_at is not None:
        return NothingSent(MESSAGES["setup_wait"] % {"time": time_format(localtime(next_at), "H:i:s")})
    try:
        message = (method.send_challenge(device, request) if method is not None
                   else generate_challenge(device, request))
    except Exception:  # the sign-in must go on with another method, not end in a 500
        logger.exception("Could not generate a challenge for %s", device.persistent_id)
        if not device.confirmed:
            release_setup_send(device)  # nothing was sent: the user may ask again at once
        return NothingSent(MESSAGES["not_sent"])
    if not message:
        return None
    return message if isinstance(message, NothingSent) else str(message)


def challenge_failed(message: Any) -> bool:
    """Whether ``message``, from ``send_challenge``, says that no token went out."""
    return isinstance(message, NothingSent)


# The state kept between the steps


def started_at() -> int:
    """The time of a password step, as the wizard keeps it (``authentication_time``)."""
    return int(now())


def begin(state: dict[str, Any], request: Any, user: Any) -> tuple[Device | None, list[str]]:
    """The password of ``user`` was right: record it in ``state`` (the wizard's extra data).

    Returns the device to ask for a token (or None), and the names of this browser's remember
    cookies found invalid, for the caller to delete. A device that a remember cookie vouches
    for is recorded as ``remembered``: the token step is skipped.
    """
    device = sign_in_device(user)
    state.clear()
    state.update(auth_hash=user.get_session_auth_hash(),
                 device=device.persistent_id if device is not None else None)
    if device is None:
        return None, []  # signed in now: auth.login renews the key
    remembered, rejected = check_remember_cookies(request, user)
    if remembered is not None:
        state.update(device=remembered.persistent_id, remembered=True)
        return remembered, rejected
    if request.session.session_key is not None:
        # A key from before the password (planted, say) must not name a session that has
        # passed it: whoever holds that key would then need the second factor alone. (The
        # sign-in page's GET makes no session, so a sign-in usually starts one here.)
        renew_session_key(request.session)
    if client_side(request.session):
        # The browser keeps this state, and can send it again once the sign-in is over:
        # whoever kept a copy would then need the second factor alone. The attempt is named,
        # and ``finish_attempt`` lets it finish once.
        state["attempt"] = secrets.token_urlsafe(16)
    return device, rejected


def cancel_reason(state: dict[str, Any], user: Any, started: Any) -> str | None:
    """Why the sign-in in progress may not go on (a key of ``MESSAGES``), or None.

    ``user`` is the user loaded again from the session (None once deleted or deactivated);
    ``started`` the time of the password step (``started_at``), as the session kept it. A
    timeout is logged through ``two_factor.views.core.logger``.
    """
    if user is None or not getattr(user, "is_active", True):
        return "changed"
    if not constant_time_compare(str(state.get("auth_hash", "")), user.get_session_auth_hash()):
        return "changed"
    timeout = settings.TWO_FACTOR_LOGIN_TIMEOUT
    valid = isinstance(started, int | float) and not isinstance(started, bool)
    # In whole seconds, as ``started`` is kept: a float clock would end a sign-in up to a second early.
    if timeout and (not valid or int(now()) - started > int(timeout)):
        _old_view_module().logger.info(TIMEOUT_LOG_MESSAGE)
        return "timeout"
    attempt = state.get("attempt")
    if attempt is not None and once.claimed_at(_attempt_key(attempt)) is not None:
        return "start_again"  # a sign-in that finished, sent again
    return None


def finish_attempt(state: dict[str, Any]) -> bool:
    """Whether the sign-in in progress may finish now: once, for an attempt that ``begin``
    named (a session kept by the browser), claimed in the database (``flows.once``) for as
    long as the sign-in could go on."""
    attempt = state.get("attempt")
    if attempt is None:
        return True
    lasts = int(settings.TWO_FACTOR_LOGIN_TIMEOUT or 0) or django_settings.SESSION_COOKIE_AGE
    return once.claim(_attempt_key(attempt), lasts)


def _attempt_key(attempt: Any) -> str:
    return f"two_factor:sign-in-done:{attempt}"


# Remember-device cookies


def check_remember_cookies(request: Any, user: Any) -> tuple[Device | None, list[str]]:
    """The device that a valid remember cookie of this browser names for ``user`` (or None),
    and the names of the cookies found invalid, which the browser should be told to delete.

    Invalid: of no format at all, expired, forged (which also counts as a failed attempt on the
    device it claims to be for), or, with ``TWO_FACTOR_TRUSTED_BROWSERS`` on, of a revoked
    browser. A cookie that names none of the user's devices (another user's, say) is neither
    accepted nor invalid, and so is one of the format that the setting turns off. A throttled
    device is not accepted by cookie, and its cookies are left alone.
    """
    if not settings.TWO_FACTOR_REMEMBER_COOKIE_AGE:
        return None, []
    cookies = remember_cookie_items(request)
    rejected = [name for name, value in cookies if of_no_format(value)]
    cookies = [(name, value) for name, value in cookies if well_formed(value)]
    if not cookies:
        return None, rejected
    devices = [device for device in devices_for_user(user) if device.verify_is_allowed()[0]]
    for name, cookie in cookies:
        for device in devices:
            verdict = _cookie_verdict(cookie, user, device)
            if verdict is None:  # the cookie names another device
                continue
            if verdict and accept_cookie(cookie, user, device):
                return device, rejected
            rejected.append(name)
            break
    return None, rejected


def _cookie_verdict(cookie: str, user: Any, device: Device) -> bool | None:
    """True: the cookie is valid for ``device``; None: it names another device; False: it
    names ``device`` but is expired or forged."""
    try:
        return True if validate_remember_device_cookie(cookie, user, device.persistent_id) else None
    except SignatureExpired:
        return False
    except BadSignature:
        logger.info("A forged remember-device cookie for %s", device.persistent_id)
        throttle_increment = getattr(device, "throttle_increment", None)
        if throttle_increment is not None:
            throttle_increment()
        return False


# The end


# The documented sender of ``user_verified``: receivers connect with this string.
USER_VERIFIED_SENDER = "two_factor.views.core"


def complete_sign_in(request: Any, user: Any, device: Device | None,
                     sender: Any = USER_VERIFIED_SENDER, *, remembered: bool = False) -> None:
    """Sign ``user`` in (a new session key), verified by ``device`` when there is one.

    The key is renewed also when the session already belongs to ``user`` (signed in with a
    password only, say): a session that gains a verification gets a new key.
    ``user_verified`` is sent with ``request``, ``user`` and ``device``, nothing more, as
    django-two-factor-auth sends it. ``remembered``: a remember cookie vouched for ``device``
    (no token was checked): re-authentication is told directly that this sign-in is no recent
    proof of identity (its receiver of ``user_verified`` took it for a token).
    """
    session_login(request, user)
    if device is not None:
        django_otp.login(request, device)
        user_verified.send(sender=sender, request=request, user=user, device=device)
        if remembered:
            reauth.forget(request)
        emit(request, VERIFIED, user=user, device=device)
