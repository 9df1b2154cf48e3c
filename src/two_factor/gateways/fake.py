"""``Fake``: a gateway that sends nothing and logs the token (for development and tests)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("two_factor")


def _number(device: Any) -> str:
    number = device.number
    return getattr(number, "as_e164", None) or str(number)


class Fake:
    """Logs each call and text message to the ``two_factor`` logger at INFO level:

    ``Fake call to +31612345678: "Your token is: 123456"``

    Both are static methods: ``Fake.send_sms(device, token)`` works on the class as well as on
    an instance.
    """

    @staticmethod
    def make_call(device: Any, token: str) -> None:
        logger.info('Fake call to %s: "Your token is: %s"', _number(device), token)

    @staticmethod
    def send_sms(device: Any, token: str) -> None:
        logger.info('Fake SMS to %s: "Your token is: %s"', _number(device), token)
