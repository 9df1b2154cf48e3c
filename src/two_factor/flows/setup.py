"""Setting up a second factor: who may, the secret in progress, and the finished device.

Plain functions; ``two_factor.views.setup`` calls them.
"""

from __future__ import annotations

import enum
import re
import secrets
from base64 import b32encode
from binascii import unhexlify
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import TYPE_CHECKING, Any

from django.contrib.sites.shortcuts import get_current_site
from django.utils.crypto import salted_hmac

import django_otp
from django_otp import crypto
from django_otp.conf import settings as otp_settings
from django_otp.util import random_hex

from ..utils import (
    default_device,
    forget_default_device,
    get_otpauth_url,
    is_verified,
    totp_digits,
)
from . import once
from .devices import device_added, password_only
from .locks import user_locked
from .session import client_side, renew_session_key

if TYPE_CHECKING:
    from django.contrib.sessions.backends.base import SessionBase
    from django.http import HttpRequest

    from django_otp.models import Device

#: The session key of the generator secret while the setup wizard runs (the QR view reads it).
SECRET_SESSION_KEY = "django_two_factor-qr_secret_key"
_SECRET_BYTES = 20
_HEX_SECRET = re.compile(rf"[0-9a-f]{{{2 * _SECRET_BYTES}}}")


class SetupAccess(enum.Enum):
    ALLOWED = "allowed"
    ANONYMOUS = "anonymous"
    #: Has a device, but this session was not verified with one: may not add or verify another.
    REFUSED = "refused"
    #: Verified, with a default device already: nothing left to set up.
    COMPLETE = "complete"


def setup_access(user: Any) -> SetupAccess:
    """May ``user`` run the setup wizard now?"""
    if user is None or not user.is_authenticated:
        return SetupAccess.ANONYMOUS
    if password_only(user):
        return SetupAccess.REFUSED
    if is_verified(user) and default_device(user) is not None:
        return SetupAccess.COMPLETE
    return SetupAccess.ALLOWED


#: How a session kept by the browser holds the secret in progress: a random seed after this
#: prefix, from which the secret is derived with ``SECRET_KEY`` (see ``get_or_create_secret``).
_SEED_PREFIX = "seed$"


def get_secret(session: SessionBase) -> str | None:
    """The hex secret of the generator being set up, or None (none, or not one of ours)."""
    stored = session.get(SECRET_SESSION_KEY)
    if not isinstance(stored, str):
        return None
    if stored.startswith(_SEED_PREFIX):
        return _secret_from_seed(stored[len(_SEED_PREFIX):])
    if crypto.is_encrypted(stored):
        try:
            stored = crypto.decrypt(stored, SECRET_SESSION_KEY)
        except crypto.DecryptionError:  # a key since removed: the setup starts a new secret
            return None
    return stored if _HEX_SECRET.fullmatch(stored) else None


def get_or_create_secret(session: SessionBase) -> str:
    """The secret in progress; a new random one when there is none.

    With ``OTP_ENCRYPTION_KEYS`` set, the session holds it encrypted, as the device table will:
    a dump of the session table taken during a setup holds no usable secret either. Without
    them, a session that the browser keeps (``signed_cookies``: signed, not encrypted) holds a
    random seed, and the secret is derived from it with ``SECRET_KEY``: a copy of the cookie
    must not give the second factor along with the session it is.
    """
    secret = get_secret(session)
    if secret is not None:
        return secret
    if crypto.configured_keys():
        secret = random_hex(_SECRET_BYTES)
        session[SECRET_SESSION_KEY] = crypto.encrypt(secret, SECRET_SESSION_KEY)
    elif client_side(session):
        seed = secrets.token_urlsafe(16)
        session[SECRET_SESSION_KEY] = _SEED_PREFIX + seed
        secret = _secret_from_seed(seed)
    else:
        secret = session[SECRET_SESSION_KEY] = random_hex(_SECRET_BYTES)
    return secret


def _secret_from_seed(seed: str) -> str:
    return salted_hmac("two_factor.setup.secret", seed,
                       algorithm="sha256").hexdigest()[:2 * _SECRET_BYTES]


def drop_secret(session: SessionBase) -> None:
    session.pop(SECRET_SESSION_KEY, None)


def setup_otpauth_url(request: HttpRequest, secret: str, issuer: str | None = None) -> str:
    """The ``otpauth://`` URL of the generator being set up: issuer (``issuer``, else
    ``setup_issuer()``), account (the username), the secret in base32 and the number of digits."""
    base32 = b32encode(unhexlify(secret)).decode()
    return get_otpauth_url(accountname=request.user.get_username(), secret=base32,
                           issuer=issuer if issuer is not None else setup_issuer(request),
                           digits=totp_digits())


def setup_issuer(request: HttpRequest) -> str:
    """The name an authenticator app shows: ``OTP_TOTP_ISSUER`` when it is a string (a callable
    expects a device, which does not exist yet), else the current site's name, as before."""
    issuer = otp_settings.OTP_TOTP_ISSUER
    return issuer if isinstance(issuer, str) and issuer else get_current_site(request).name


def save_pending_device(user: Any, device: Device) -> Device:
    """Store ``device`` unconfirmed (it counts for nothing yet) so it can check its first token."""
    device.user = user
    device.name = "default"
    device.confirmed = False
    device.save()
    return device


def get_pending_device(user: Any, persistent_id: Any) -> Device | None:
    """``user``'s unconfirmed device named by ``persistent_id``, or None."""
    from django_otp.models import Device

    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    if device is None or device.user_id != user.pk or device.confirmed:
        return None
    return device


def discard_pending_device(user: Any, persistent_id: Any) -> None:
    device = get_pending_device(user, persistent_id)
    if device is not None:
        device.delete()


#: The ends of two concurrent setups of one user (a double-clicked "Next") run one after the
#: other, under a lock of the user's row.
one_setup_at_a_time = user_locked


def claim_setup_send(device: Device) -> datetime | None:
    """Claim the one token per cooldown that a user's setups may send to devices of the kind of
    ``device`` (unconfirmed: being set up); None when claimed, else when the next may go.

    Each number or address typed into a setup wizard makes a new device, whose own cooldown
    starts afresh, and each session or restart of the wizard makes another: so the limit is the
    user's, claimed in the database for the cooldown (``flows.once``). Nothing is locked while
    the token is sent, and ``release_setup_send`` gives the claim back when nothing could be
    sent.
    """
    cooldown = _cooldown(device)
    if not cooldown:
        return None
    name = _setup_send_key(device)
    if once.claim(name, cooldown):
        return None
    claimed_at = once.claimed_at(name)
    if claimed_at is None:  # over since the claim was refused: claimed as by anyone
        if once.claim(name, cooldown):
            return None
        claimed_at = once.now()
    return datetime.fromtimestamp(claimed_at + cooldown, tz=dt_timezone.utc)


def release_setup_send(device: Device) -> None:
    """Give back the claim of ``claim_setup_send`` (nothing was sent)."""
    if _cooldown(device):
        once.release(_setup_send_key(device))


def _cooldown(device: Device) -> float:
    get_duration = getattr(device, "get_cooldown_duration", None)
    return get_duration() if get_duration is not None else 0


def _setup_send_key(device: Device) -> str:
    return f"two_factor:setup-send:{device._meta.label_lower}:{device.user_id}"


def has_default_device(user: Any) -> bool:
    """Whether ``user`` has a default device now (not as remembered earlier in the request)."""
    forget_default_device(user)
    return default_device(user) is not None


def complete_setup(request: HttpRequest, device: Device) -> Device:
    """Keep ``device`` as the user's confirmed default device and verify the session with it."""
    user = request.user
    if device.pk is None or not device.confirmed:
        # The setup views admit signed-in users only; django-stubs cannot narrow request.user.
        device.user = user  # type: ignore[assignment]
        device.name = "default"
        device.confirmed = True
        device.save()
    renew_session_key(request.session)  # the session gains a verification: a new key
    django_otp.login(request, device)
    device_added(request, device)
    return device


def confirm_pending_device(request: HttpRequest, device: Device) -> bool:
    """Confirm ``device``, a pending device of ``request.user`` whose first token was just
    checked (a backup phone, say), with one conditional UPDATE: of two concurrent requests one
    confirms it. Returns whether this request did (and so told of it)."""
    # A signed-in user (the phone views require one); django-stubs cannot narrow request.user.
    confirmed = bool(type(device)._default_manager.filter(
        pk=device.pk, user=request.user, confirmed=False).update(confirmed=True))  # type: ignore[misc]
    if confirmed:
        device.confirmed = True
    device_added(request, device, announce=confirmed)
    return confirmed
