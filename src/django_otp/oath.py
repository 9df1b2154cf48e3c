"""HOTP (RFC 4226) and TOTP (RFC 6238). Pure Python, no Django."""

from __future__ import annotations

import hmac
import time as _time
from struct import pack

__all__ = ["hotp", "totp", "TOTP"]

#: HOTP's counter is 8 bytes: the counters and time steps that exist are 0 to this, less one.
COUNTER_LIMIT = 2**64


def time() -> float:
    """The current Unix time. A name of this module, as in django-otp, so that tests can
    replace it (``mock.patch("django_otp.oath.time")``); patching ``time.time`` works too."""
    return _time.time()


def hotp(key: bytes, counter: int, digits: int = 6, digest: str = "sha1") -> int:
    """The HOTP value of ``key`` at ``counter``, as an int of at most ``digits`` digits."""
    mac = hmac.digest(key, pack(">Q", counter), digest)
    offset = mac[-1] & 0x0F
    code = int.from_bytes(mac[offset:offset + 4], "big") & 0x7FFFFFFF
    return code % 10**digits


def totp(key: bytes, step: int = 30, t0: int = 0, digits: int = 6, drift: int = 0,
         digest: str = "sha1") -> int:
    """The TOTP value of ``key`` now."""
    return TOTP(key, step, t0, digits, drift, digest).token()


class TOTP:
    """TOTP state for one key: set ``time`` to fix the clock (tests, tolerance checks)."""

    def __init__(self, key: bytes, step: int = 30, t0: int = 0, digits: int = 6,
                 drift: int = 0, digest: str = "sha1") -> None:
        self.key = key
        self.step = step
        self.t0 = t0
        self.digits = digits
        self.drift = drift
        self.digest = digest
        self._time: float | None = None

    @property
    def time(self) -> float:
        """The Unix time used: the fixed one if set, else the current time."""
        return self._time if self._time is not None else time()  # the module's function

    @time.setter
    def time(self, value: float | None) -> None:
        self._time = value

    def t(self) -> int:
        """The time step number, drift included."""
        return int((self.time - self.t0) // self.step) + self.drift

    def token(self) -> int:
        return hotp(self.key, self.t(), self.digits, self.digest)

    def verify(self, token: int, tolerance: int = 0, min_t: int | None = None) -> bool:
        """Whether ``token`` matches a step within ``tolerance`` of now, at or above ``min_t``.

        On success ``drift`` is left at the matching offset, so ``t()`` is the matched step;
        on failure it is restored.
        """
        base_drift = self.drift
        for offset in range(-tolerance, tolerance + 1):
            self.drift = base_drift + offset
            t = self.t()
            if (min_t is not None and t < min_t) or not 0 <= t < COUNTER_LIMIT:
                continue  # used already, or a step no counter can hold (a row's odd t0)
            if hotp(self.key, t, self.digits, self.digest) == token:
                return True
        self.drift = base_drift
        return False
