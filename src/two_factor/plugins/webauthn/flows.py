"""Signing in with a passkey (no password, one discoverable credential that verified its user),
and adding another key."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings as django_settings
from django.contrib.auth import load_backend
from django.utils.crypto import constant_time_compare

from django_otp.forms import otp_verification_failed

from ...events import THROTTLED, VERIFICATION_FAILED, emit
from ...flows.devices import device_added
from ...flows.login import complete_sign_in
from .ceremonies import CeremonyError, passkey_assertion, response_fields
from .models import WebauthnDevice

logger = logging.getLogger("two_factor.webauthn")


def find_passkey(response: Any) -> WebauthnDevice:
    """The confirmed device that ``response`` names, if its user handle agrees."""
    fields = response_fields(response)
    if fields is None:
        raise CeremonyError("invalid")
    credential_id, user_handle = fields
    devices = list(WebauthnDevice.objects.filter(key_handle=credential_id, confirmed=True)
                   .select_related("user")[:2])
    if len(devices) != 1:
        raise CeremonyError("unknown_credential")
    device = devices[0]
    if device.user_handle and not constant_time_compare(device.user_handle, user_handle or ""):
        raise CeremonyError("unknown_credential")
    return device


def backend_for(user: Any) -> str | None:
    """The first authentication backend that knows ``user`` and lets them sign in."""
    for path in django_settings.AUTHENTICATION_BACKENDS:
        backend = load_backend(path)
        can_authenticate = getattr(backend, "user_can_authenticate", None)
        if can_authenticate is not None and not can_authenticate(user):
            continue
        get_user = getattr(backend, "get_user", None)
        if get_user is not None and get_user(user.pk) is not None:
            return path
    return None


def passkey_sign_in(request: Any, response: Any) -> Any:
    """Verify a passkey's ``get()`` response and sign its user in, verified by the passkey.

    Raises ``CeremonyError`` (missing or used challenge, unknown credential, bad response).
    """
    assertion = passkey_assertion(request, response)  # the challenge is used up, whatever follows
    device = find_passkey(response)
    # The signature first: until it verifies, the request proves nothing, so it learns nothing
    # of the account (inactive, throttled) and counts nothing against the key. Otherwise anyone
    # who knows a credential id could lock its owner's key without the password.
    new_count = device.signed_count(assertion)
    if new_count is None:
        raise CeremonyError("invalid", status=403)
    user = device.user
    backend = backend_for(user)
    if backend is None:
        raise CeremonyError("inactive", status=403)
    if not device.verify_is_allowed()[0]:
        emit(request, THROTTLED, user=user, device=device, passkey=True)
        raise CeremonyError("throttled", status=429)
    if not device.claim_count(new_count):  # a replayed count: a cloned key, or a lost race
        otp_verification_failed.send(sender=passkey_sign_in, user=user, device=device)
        emit(request, VERIFICATION_FAILED, user=user, device=device, passkey=True)
        raise CeremonyError("invalid", status=403)
    user.backend = backend  # type: ignore[attr-defined]  # as authenticate() marks a user
    complete_sign_in(request, user, device)
    logger.info("Signed in with the passkey %s", device.persistent_id)
    return user


def add_key(request: Any, form: Any) -> WebauthnDevice:
    """Keep the key that ``form`` (a valid ``WebauthnKeyForm``) registered, as another device
    of ``request.user``; a request racing with this one may have kept it first."""
    device = form.save()
    device_added(request, device, announce=form.created)
    return device
