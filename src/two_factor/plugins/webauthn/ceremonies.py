"""The two WebAuthn ceremonies: options for the browser, and the checks of its responses.

``registration_options``/``verify_registration`` add a credential; ``authentication_options``
and ``login_assertion``/``passkey_assertion`` prepare what ``WebauthnDevice.verify_token``
checks. Every challenge comes from ``challenges`` (session-bound, single use). A response that
cannot be checked raises ``CeremonyError`` with a message for the user.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.http.request import split_domain_port
from django.utils.translation import gettext_lazy as _
from webauthn import generate_authentication_options, generate_registration_options, verify_registration_response
from webauthn.helpers import options_to_json
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorAttachment,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from ...conf import settings
from . import challenges
from .encoding import b64decode, b64encode
from .models import Assertion, WebauthnDevice

#: The browser's timeout (ms): a little less than a challenge lives.
TIMEOUT_MS = (challenges.MAX_AGE - 60) * 1000
#: The longest response accepted (an attestation with a certificate chain fits easily).
MAX_RESPONSE_LENGTH = 64 * 1024

MESSAGES = {
    "no_challenge": _("This request has expired or was already used. Please try again."),
    "invalid": _("The response of your security key could not be verified. Please try again."),
    "registered": _("This security key is registered already."),
    "unknown_credential": _("This passkey is not registered for any account here."),
    "throttled": _("Too many failed attempts with this passkey. Please try again later."),
    "inactive": _("This account cannot sign in."),
    "no_sign_in": _("No sign-in is in progress. Please start again."),
    "not_allowed": _("You cannot add a security key now."),
    # Adding a key is a sensitive action: it needs a recent verification
    # (TWO_FACTOR_REAUTHENTICATION_AGE), as the pages that offer it do.
    "reauthenticate": _("For your security, please confirm it is you again: reload the page."),
}


class CeremonyError(Exception):
    """A response that was refused; ``message`` tells the user why, ``status`` is the HTTP one."""

    def __init__(self, code: str, status: int = 400) -> None:
        super().__init__(code)
        self.code = code
        self.status = status
        self.message = MESSAGES[code]


@dataclass(frozen=True)
class RegisteredCredential:
    key_handle: str
    public_key: str
    sign_count: int
    user_handle: str | None
    discoverable: bool | None


# The relying party


def rp_id(request: Any) -> str:
    """``TWO_FACTOR_WEBAUTHN_RP_ID``, or the host of the request (without its port)."""
    return settings.TWO_FACTOR_WEBAUTHN_RP_ID or split_domain_port(request.get_host())[0]


def origin(request: Any) -> str:
    """The origin the browser reports for this site: scheme and host (with port)."""
    return f"{request.scheme}://{request.get_host()}"


def uv_requirement() -> UserVerificationRequirement:
    return UserVerificationRequirement(settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT)


def preferred_transports() -> list[AuthenticatorTransport]:
    """``TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS``; a single string is one transport, and a
    name WebAuthn does not know is left out (the check two_factor_webauthn.E004 reports it)."""
    value = settings.TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS or ()
    names = (value,) if isinstance(value, str) else value
    known = {transport.value: transport for transport in AuthenticatorTransport}
    return [known[name] for name in names if name in known]


def _descriptors(user: Any) -> list[PublicKeyCredentialDescriptor]:
    transports = preferred_transports() or None
    descriptors = []
    for key_handle in WebauthnDevice.objects.filter(user=user).values_list("key_handle", flat=True):
        try:
            descriptors.append(PublicKeyCredentialDescriptor(id=b64decode(key_handle),
                                                             transports=transports))
        except ValueError:  # a damaged row: not offered
            continue
    return descriptors


def user_handle_for(user: Any) -> str:
    """The user's WebAuthn user handle: the one of their credentials, or a new random one."""
    handles = (WebauthnDevice.objects.filter(user=user, user_handle__isnull=False)
               .exclude(user_handle="").values_list("user_handle", flat=True))
    for handle in handles:
        try:
            if handle and len(b64decode(handle)) <= 64:  # WebAuthn's limit for a user handle
                return handle
        except ValueError:  # a damaged row: not used
            continue
    return b64encode(secrets.token_bytes(32))


# Registration


def registration_options(request: Any, user: Any) -> dict[str, Any]:
    """Options for ``navigator.credentials.create()``; the challenge is kept in the session."""
    handle = user_handle_for(user)
    attachment = settings.TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT
    options = generate_registration_options(
        rp_id=rp_id(request), rp_name=str(settings.TWO_FACTOR_WEBAUTHN_RP_NAME),
        user_name=user.get_username(), user_id=b64decode(handle),
        user_display_name=(user.get_full_name() if hasattr(user, "get_full_name") else "")
        or user.get_username(),
        challenge=challenges.issue(request.session, "register", user=user, user_handle=handle),
        timeout=TIMEOUT_MS,
        attestation=AttestationConveyancePreference(
            settings.TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE),
        authenticator_selection=AuthenticatorSelectionCriteria(
            authenticator_attachment=AuthenticatorAttachment(attachment) if attachment else None,
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=uv_requirement()),
        exclude_credentials=_descriptors(user))
    data = json.loads(options_to_json(options))
    data["extensions"] = {"credProps": True}  # tells whether a passkey was created
    return data


def verify_registration(request: Any, user: Any, response: str) -> RegisteredCredential:
    """The credential that ``response`` (of ``create()``) registers for ``user``."""
    challenge = challenges.take(request.session, "register")
    if challenge is None or challenge.user != str(user.pk):
        raise CeremonyError("no_challenge")
    try:
        verified = verify_registration_response(
            credential=response, expected_challenge=challenge.value,
            expected_rp_id=rp_id(request), expected_origin=origin(request),
            require_user_verification=uv_requirement() == UserVerificationRequirement.REQUIRED,
            pem_root_certs_bytes_by_fmt=settings.TWO_FACTOR_WEBAUTHN_PEM_ROOT_CERTS_BYTES_BY_FMT)
    except Exception as exc:  # malformed input of any kind
        raise CeremonyError("invalid") from exc
    key_handle = b64encode(verified.credential_id)
    if WebauthnDevice.objects.filter(key_handle=key_handle).exists():
        raise CeremonyError("registered")
    return RegisteredCredential(
        key_handle=key_handle, public_key=b64encode(verified.credential_public_key),
        sign_count=verified.sign_count, user_handle=challenge.user_handle,
        discoverable=_discoverable(response))


def _discoverable(response: str) -> bool | None:
    """What the ``credProps`` extension says: is the new credential a passkey?"""
    try:
        rk = json.loads(response)["clientExtensionResults"]["credProps"]["rk"]
    except (ValueError, TypeError, KeyError):
        return None
    return rk if isinstance(rk, bool) else None


# Authentication


def authentication_options(request: Any, user: Any = None) -> dict[str, Any]:
    """Options for ``navigator.credentials.get()``: the second step of ``user``'s sign-in, or
    (without a user) a passkey sign-in, which lists no credentials and requires verification."""
    if user is None:
        challenge = challenges.issue(request.session, "passkey")
        allowed, verification = [], UserVerificationRequirement.REQUIRED
    else:
        challenge = challenges.issue(request.session, "login", user=user)
        allowed, verification = _descriptors(user), uv_requirement()
    options = generate_authentication_options(
        rp_id=rp_id(request), challenge=challenge, timeout=TIMEOUT_MS,
        allow_credentials=allowed, user_verification=verification)
    return json.loads(options_to_json(options))


def login_assertion(request: Any, user: Any, response: str) -> Assertion:
    """What ``user``'s device must verify in the sign-in's token step."""
    challenge = challenges.take(request.session, "login")
    if challenge is None or challenge.user != str(user.pk):
        raise CeremonyError("no_challenge")
    return Assertion(response, challenge.value, origin(request), rp_id(request),
                     uv_requirement() == UserVerificationRequirement.REQUIRED)


def passkey_assertion(request: Any, response: str) -> Assertion:
    """What a passkey must verify to sign in without a password: user verification included."""
    challenge = challenges.take(request.session, "passkey")
    if challenge is None:
        raise CeremonyError("no_challenge")
    return Assertion(response, challenge.value, origin(request), rp_id(request), True)


def response_fields(response: Any) -> tuple[str, str | None] | None:
    """The credential id and user handle (base64url) that a ``get()`` response names."""
    try:
        # Not a str: None, whose indexing raises the TypeError caught below.
        data: Any = json.loads(response) if isinstance(response, str) else None
        credential_id = b64encode(b64decode(data["id"]))
        handle = data["response"].get("userHandle")
        handle = b64encode(b64decode(handle)) if handle else None
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
    return (credential_id, handle) if credential_id else None
