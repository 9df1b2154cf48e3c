"""The TwiML view that Twilio fetches during a voice call: it asks for a key press, then reads the token.

The call's URL carries the token sealed by :class:`CallToken`: signed with a named salt and a short
``max_age`` (so a changed or old value is refused) and encrypted with a key derived from
``SECRET_KEY`` (so the token cannot be read back from a URL that ends up in a log). Every request
must carry Twilio's ``X-Twilio-Signature`` for ``TWILIO_AUTH_TOKEN``; without it the answer is 403.

Behind a proxy that terminates TLS, set ``SECURE_PROXY_SSL_HEADER`` (and ``USE_X_FORWARDED_HOST``
where needed) so that ``request.build_absolute_uri()`` gives the URL Twilio signed.
"""

from __future__ import annotations

import secrets

from django.conf import settings as django_settings
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseBase, HttpResponseForbidden
from django.shortcuts import render
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.decorators import method_decorator
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import RequestValidator

from two_factor.conf import settings

# Django language code (lower case) → the locale Twilio's <Say> speaks; a code that is not here is
# looked up by its base language ("pt-br" → "pt"), and English is the last resort.
TWILIO_LANGUAGES: dict[str, str] = {
    "ca": "ca-ES", "da": "da-DK", "de": "de-DE",
    "en": "en-US", "en-au": "en-AU", "en-ca": "en-CA", "en-gb": "en-GB", "en-in": "en-IN",
    "es": "es-ES", "es-mx": "es-MX", "fi": "fi-FI", "fr": "fr-FR", "fr-ca": "fr-CA",
    "it": "it-IT", "ja": "ja-JP", "ko": "ko-KR", "nb": "nb-NO", "no": "nb-NO", "nl": "nl-NL",
    "pl": "pl-PL", "pt": "pt-PT", "pt-br": "pt-BR", "ru": "ru-RU", "sv": "sv-SE",
    "zh": "zh-CN", "zh-hans": "zh-CN", "zh-cn": "zh-CN", "zh-hant": "zh-TW", "zh-tw": "zh-TW",
    "zh-hk": "zh-HK",
}
FALLBACK_LANGUAGE = "en-US"


def twilio_language(code: str | None) -> str:
    """The Twilio ``<Say language=...>`` for a Django language code."""
    code = (code or "").lower().replace("_", "-")
    return TWILIO_LANGUAGES.get(code) or TWILIO_LANGUAGES.get(code.split("-")[0]) or FALLBACK_LANGUAGE


def call_languages(code: str) -> tuple[str, str]:
    """The language of a call's words (a Django code) and of its voice (Twilio's), for a call
    placed in ``code``: that language when Twilio speaks it and the words are translated into it;
    else English, in English (Catalan has a voice but no catalog; Turkish a catalog but no
    voice), so that the words and the voice agree."""
    spoken = twilio_language(code)
    if code.lower().startswith("en") or (spoken != FALLBACK_LANGUAGE and _words_translated(code)):
        return code, spoken
    return "en", FALLBACK_LANGUAGE


def _words_translated(code: str) -> bool:
    probe = "Goodbye."  # said at the end of every call (two_factor/twilio/*.xml)
    with translation.override(code):
        return translation.gettext(probe) != probe


class CallToken:
    """Seals a token and a language into a URL-safe value, and opens it again.

    ``loads`` raises ``django.core.signing.BadSignature`` (``SignatureExpired`` after ``max_age``)
    for a value that was not made here, was changed, or is too old.
    """

    salt = "two_factor.gateways.twilio.CallToken"
    max_age = 300  # seconds: Twilio fetches the script as the call starts, the key press follows

    def _keystream(self, nonce: bytes, length: int) -> bytes:
        stream = b""
        counter = 0
        while len(stream) < length:
            block = nonce + counter.to_bytes(4, "big")
            stream += salted_hmac(self.salt + ".key", block, algorithm="sha256").digest()
            counter += 1
        return stream[:length]

    def _crypt(self, nonce: bytes, data: bytes) -> bytes:
        return bytes(a ^ b for a, b in zip(data, self._keystream(nonce, len(data)), strict=True))

    def dumps(self, token: str, language: str | None) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._crypt(nonce, str(token).encode())
        payload = {"n": urlsafe_base64_encode(nonce), "t": urlsafe_base64_encode(sealed),
                   "l": language or ""}
        return signing.dumps(payload, salt=self.salt)

    def loads(self, value: str) -> tuple[str, str]:
        """``(token, language)`` from a value made by ``dumps``."""
        payload = signing.loads(value, salt=self.salt, max_age=self.max_age)
        try:
            token = self._crypt(urlsafe_base64_decode(payload["n"]),
                                urlsafe_base64_decode(payload["t"])).decode()
            language = str(payload["l"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # signed by us: a bug
            raise signing.BadSignature("malformed call token") from exc
        return token, language


@method_decorator([csrf_exempt, never_cache], name="dispatch")
class TwilioCallApp(View):
    """TwiML for a call placed by :class:`two_factor.gateways.twilio.gateway.Twilio`.

    The first request (no ``Digits``) answers with ``prompt_template_name``: a ``<Gather>`` that
    posts the key press back to this URL. The request with ``Digits`` answers with
    ``token_template_name``, which reads the token out digit by digit.

    The templates get ``token`` (digits joined for speech), ``digits``, ``language`` (Twilio's
    ``<Say language=...>`` value; also as ``locale``, the name the old templates used),
    ``voice`` and ``gather_url``.
    """

    http_method_names = ["get", "post"]
    prompt_template_name = "two_factor/twilio/press_a_key.xml"
    token_template_name = "two_factor/twilio/token.xml"
    voice = "alice"
    call_token = CallToken()

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        method = (request.method or "").lower()  # None only on a bare HttpRequest
        if method in self.http_method_names and not self.signature_is_valid(request):
            return HttpResponseForbidden("This address answers signed requests from Twilio only.")
        return super().dispatch(request, *args, **kwargs)

    def signature_is_valid(self, request: HttpRequest) -> bool:
        signature = request.headers.get("X-Twilio-Signature", "")
        auth_token = settings.TWILIO_AUTH_TOKEN
        if not signature or not auth_token:
            return False
        params = request.POST if request.method == "POST" else {}
        try:
            return RequestValidator(auth_token).validate(request.build_absolute_uri(), params, signature)
        except ValueError:  # a URL twilio cannot parse (a Host with a port out of range): not Twilio's
            return False

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            plain, language = self.call_token.loads(token)
        except signing.BadSignature:
            return HttpResponseBadRequest("This call link is not valid or has expired.")
        language = language or django_settings.LANGUAGE_CODE
        pressed = "Digits" in (request.POST if request.method == "POST" else request.GET)
        language, spoken_language = call_languages(language)
        with translation.override(language):
            context = {
                "token": ". ".join(plain),  # spoken one digit at a time
                "digits": list(plain),
                "language": spoken_language,
                "locale": spoken_language,  # the name that older overridden templates use
                "voice": self.voice,
                "gather_url": request.build_absolute_uri(request.path),
            }
            template = self.token_template_name if pressed else self.prompt_template_name
            return render(request, template, context, content_type="text/xml")

    post = get
