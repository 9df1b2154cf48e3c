"""Fixtures of the email plugin tests: users with an email device, and the tokens mailed."""

import re

import pytest
from django.core import mail

from django_otp.plugins.otp_email.models import EmailDevice

ADDRESS = "alice@example.com"  # the account address of the ``user`` fixture
MASKED = "a***e@example.com"
_TOKEN = re.compile(r"\b(\d{6})\b")


def mailed():
    """``[(recipient, token)]`` of the mails sent so far, oldest first."""
    return [(message.to[0], _TOKEN.search(message.body).group(1)) for message in mail.outbox]


@pytest.fixture
def email_default(user):
    """``user`` (alice) with an email device as default, sending to the account address."""
    return EmailDevice.objects.create(user=user, name="default")
