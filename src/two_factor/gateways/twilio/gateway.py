"""Text messages and voice calls through Twilio, with the official ``twilio`` package.

Settings: ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN`` (required), ``TWILIO_CALLER_ID`` (the
number calls and, without a messaging service, text messages come from) and
``TWILIO_MESSAGING_SERVICE_SID`` (when set, text messages go through that service).

Calls need the TwiML view in the site's URLs: ``path("", include(tf_twilio_urls))`` with
``from two_factor.gateways.twilio.urls import urlpatterns as tf_twilio_urls``.

Errors: a refusal by Twilio raises ``twilio.base.exceptions.TwilioRestException`` (a subclass of
``TwilioException``), a network failure raises a ``requests.RequestException``; callers that want
to show a message catch those.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from two_factor.conf import settings

from .views import CallToken


def e164(number: Any) -> str:
    """A phone number as Twilio wants it: ``+31612345678``."""
    return getattr(number, "as_e164", None) or str(number)


class Twilio:
    """Sends tokens through Twilio; enable it with the dotted path
    ``'two_factor.gateways.twilio.gateway.Twilio'`` in ``TWO_FACTOR_SMS_GATEWAY`` / ``TWO_FACTOR_CALL_GATEWAY``.

    Override in a subclass: ``api_base_url`` (send the API requests to another address, e.g. a
    proxy or a test double, instead of https://api.twilio.com), ``timeout`` (seconds per request),
    ``sms_template_name`` and ``call_url_name``.
    """

    api_base_url: str | None = None
    timeout: float = 10
    sms_template_name = "two_factor/twilio/sms_message.html"
    call_url_name = "two_factor_twilio:call_app"
    call_token = CallToken()

    @classmethod
    def missing_settings(cls, method: str) -> list[str]:
        """The settings this gateway lacks to send text messages (``method`` ``"sms"``) or to
        make calls (``"call"``), which the system check ``two_factor.W008`` reports. A subclass
        that finds its credentials elsewhere returns what it lacks instead (``[]``)."""
        needed = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"]
        if method == "call" or not settings.TWILIO_MESSAGING_SERVICE_SID:
            needed.append("TWILIO_CALLER_ID")
        return [name for name in needed if not getattr(settings, name)]

    def __init__(self) -> None:
        sid, auth_token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
        if not sid or not auth_token:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs the TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN settings."
            )
        self.client = Client(sid, auth_token)  # as the old gateway built it (test suites check)
        self.client.http_client = TwilioHttpClient(timeout=self.timeout)
        if self.api_base_url:
            self.client.api.base_url = self.api_base_url
            self.client.region = self.client.edge = None  # they would rewrite the host name

    def send_sms(self, device: Any, token: str, request: HttpRequest | None = None) -> None:
        body = render_to_string(self.sms_template_name, {"token": token}).strip()
        sender: dict[str, str] = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": self._caller_id()}
        )
        self.client.messages.create(to=e164(device.number), body=body, **sender)

    def make_call(self, device: Any, token: str, request: HttpRequest | None = None) -> None:
        if request is None:
            raise ImproperlyConfigured(
                f"{type(self).__name__}.make_call() needs the request, to build the address Twilio "
                "fetches the call's script from: call make_call(device, token, request=request) "
                "(two_factor.gateways.make_call passes it on)."
            )
        signed = self.call_token.dumps(token, translation.get_language())
        url = request.build_absolute_uri(reverse(self.call_url_name, kwargs={"token": signed}))
        self.client.calls.create(to=e164(device.number), from_=self._caller_id(), url=url, method="POST")

    def _caller_id(self) -> str:
        if not settings.TWILIO_CALLER_ID:
            raise ImproperlyConfigured(f"{type(self).__name__} needs the TWILIO_CALLER_ID setting.")
        return str(settings.TWILIO_CALLER_ID)
