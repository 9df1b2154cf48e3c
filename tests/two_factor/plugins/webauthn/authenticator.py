"""A software WebAuthn authenticator and the browser around it, for the tests.

``SoftAuthenticator`` holds one ES256 credential. ``create(options)`` answers the options of
``navigator.credentials.create()`` (attestation format ``none``), ``get(options)`` those of
``navigator.credentials.get()``; both return the JSON that the page's script posts, with the
same encoding (base64url without padding). Keyword arguments let a test break the response:
another origin, no user verification, a counter going backwards, a wrong challenge.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from fido2 import cbor

ORIGIN = "http://testserver"

FLAG_UP = 0x01
FLAG_UV = 0x04
FLAG_BE = 0x08
FLAG_BS = 0x10
FLAG_AT = 0x40


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CredentialExcluded(Exception):
    """What a browser reports as InvalidStateError: this authenticator is registered already."""


@dataclass
class SoftAuthenticator:
    """One credential on a software authenticator; ``counting=False`` keeps the counter at 0."""

    counting: bool = True
    resident: bool = True
    user_verifying: bool = True
    backed_up: bool = False
    sign_count: int = 0
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    rp_id: str | None = None
    user_handle: bytes | None = None

    # Keys and authenticator data

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        return cbor.encode({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def authenticator_data(self, rp_id: str, flags: int, counter: int, attested: bytes = b"") -> bytes:
        return hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + struct.pack(">I", counter) + attested

    def flags(self, uv: bool | None) -> int:
        flags = FLAG_UP
        if self.user_verifying if uv is None else uv:
            flags |= FLAG_UV
        if self.backed_up:
            flags |= FLAG_BE | FLAG_BS
        return flags

    @staticmethod
    def client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin,
                           "crossOrigin": False}).encode()

    # The two calls of the browser API

    def create(self, options: dict, origin: str = ORIGIN, uv: bool | None = None,
               challenge: str | None = None) -> str:
        """The JSON of a ``create()`` response to the server's ``options``."""
        if any(unb64(c["id"]) == self.credential_id for c in options.get("excludeCredentials", [])):
            raise CredentialExcluded
        self.rp_id = options["rp"]["id"]
        self.user_handle = unb64(options["user"]["id"])
        attested = (bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
                    + self.cose_public_key())
        auth_data = self.authenticator_data(self.rp_id, self.flags(uv) | FLAG_AT, self.sign_count,
                                            attested)
        attestation = cbor.encode({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self.client_data("webauthn.create", challenge or options["challenge"], origin)
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "attestationObject": b64(attestation),
                         "transports": ["usb"]},
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {"credProps": {"rk": self.resident}},
        })

    def get(self, options: dict, origin: str = ORIGIN, uv: bool | None = None,
            counter: int | None = None, challenge: str | None = None, rp_id: str | None = None,
            user_handle: bytes | None = None) -> str:
        """The JSON of a ``get()`` response to the server's ``options``, signed."""
        allowed = options.get("allowCredentials") or []
        if allowed and not any(unb64(c["id"]) == self.credential_id for c in allowed):
            raise LookupError("this authenticator holds none of the allowed credentials")
        if not allowed and not self.resident:
            raise LookupError("no discoverable credential on this authenticator")
        if counter is None:
            if self.counting:
                self.sign_count += 1
            counter = self.sign_count
        auth_data = self.authenticator_data(rp_id or options["rpId"], self.flags(uv), counter)
        client_data = self.client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.private_key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                          ec.ECDSA(hashes.SHA256()))
        handle = user_handle or (self.user_handle if self.resident else None)
        return json.dumps({
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                         "signature": b64(signature),
                         "userHandle": b64(handle) if handle else None},
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
        })
