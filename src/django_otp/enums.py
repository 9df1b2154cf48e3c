"""Reasons why generation or verification is refused."""

from enum import Enum


class GenerateNotAllowed(Enum):
    COOLDOWN_DURATION_PENDING = "COOLDOWN_DURATION_PENDING"


class VerifyNotAllowed(Enum):
    N_FAILED_ATTEMPTS = "N_FAILED_ATTEMPTS"
