"""Signals of two_factor.

``user_verified`` is the one django-two-factor-auth documents. ``security_event`` is ours: one
signal for every security event, sent through :func:`two_factor.events.emit`, with ``request``
(or None), ``user``, ``event`` (a name from ``two_factor.events.EVENTS``), ``device`` (or None) and
``extra`` (a dict of event-specific details). The audit log and the notification emails are
receivers of it; a site adds its own the same way.
"""

from django.dispatch import Signal

#: Sent when a user is verified against an OTP device, with exactly ``request``, ``user`` and
#: ``device`` (also when a remember cookie vouched for the device instead of a token).
user_verified = Signal()

#: Sent for every security event: ``request``, ``user``, ``event``, ``device``, ``extra``.
security_event = Signal()
