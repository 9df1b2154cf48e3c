"""Signals of two_factor."""

from django.dispatch import Signal

#: Sent when a user is verified against an OTP device, with ``request``, ``user`` and ``device``.
user_verified = Signal()
