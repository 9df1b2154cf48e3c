"""A stand-in for a YubiKey validation server (the protocol of Yubico's API 2.0), so that the
real client code of ``yubiotp`` runs without the network.

``ValidationStandIn.urlopen`` replaces ``yubiotp.client.urlopen``: it checks the request's
signature, decrypts the OTP with the AES key of the simulated key that the public id names,
refuses a replay (a session/counter not above the last one seen) and signs its answer.
"""

from __future__ import annotations

import io
import time
from base64 import b64decode, b64encode
from binascii import unhexlify
from urllib.parse import parse_qsl, urlsplit

from yubiotp.client import param_signature
from yubiotp.modhex import modhex
from yubiotp.otp import YubiKey, decode_otp, encode_otp

API_ID = 4711
API_KEY = b"stand-in api key, 20"  # raw; the ValidationService stores it base64-encoded
BASE_URL = "https://validation.yubikey.test/wsapi/2.0/verify"


class SimulatedKey:
    """A YubiKey: its public id (modhex), private uid and AES key; ``otp()`` is a button press."""

    def __init__(self, public_id: bytes = b"\x01\x02\x03\x04\x05\x06",
                 uid: str = "5dc30490956b", aes_key: str = "fb362a0853be5e5306d5cc2483f279cb",
                 session: int = 5, counter: int = 0) -> None:
        self.public_id = modhex(public_id).decode()
        self.aes_key = unhexlify(aes_key)
        self.key = YubiKey(unhexlify(uid), session, counter)

    def otp(self) -> str:
        return encode_otp(self.key.generate(), self.aes_key, self.public_id.encode()).decode()


class ValidationStandIn:
    def __init__(self, api_key: bytes = API_KEY, base_url: str = BASE_URL) -> None:
        self.api_key = api_key
        self.base_url = base_url
        self.keys: dict[str, SimulatedKey] = {}
        self.last_seen: dict[str, tuple[int, int]] = {}
        self.requests: list[dict[str, str]] = []

    def add(self, key: SimulatedKey) -> SimulatedKey:
        self.keys[key.public_id] = key
        return key

    def urlopen(self, url: str, *args, **kwargs) -> io.BytesIO:
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == self.base_url, url
        params = dict(parse_qsl(parts.query))
        self.requests.append(params)
        fields = {"otp": params.get("otp", ""), "nonce": params.get("nonce", ""),
                  "t": time.strftime("%Y-%m-%dT%H:%M:%SZ0000", time.gmtime()),
                  "status": self.status(params)}
        signature = b64encode(param_signature(fields.items(), self.api_key)).decode()
        body = "\r\n".join(f"{name}={value}" for name, value in fields.items())
        return io.BytesIO(f"h={signature}\r\n{body}\r\n\r\n".encode())

    def status(self, params: dict[str, str]) -> str:
        signed = [(name, value) for name, value in params.items() if name != "h"]
        if b64decode(params.get("h", "")) != param_signature(signed, self.api_key):
            return "BAD_SIGNATURE"
        otp = params.get("otp", "")
        key = self.keys.get(otp[:-32])
        if key is None or len(otp) - len(key.public_id) != 32:
            return "BAD_OTP"
        try:
            _public_id, decoded = decode_otp(otp.encode(), key.aes_key)
        except Exception:
            return "BAD_OTP"
        if decoded.uid != key.key.uid:
            return "BAD_OTP"
        position = (decoded.session, decoded.counter)
        if position <= self.last_seen.get(key.public_id, (-1, -1)):
            return "REPLAYED_OTP"
        self.last_seen[key.public_id] = position
        return "OK"
