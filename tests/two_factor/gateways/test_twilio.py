"""The Twilio gateway with the real ``twilio`` client against a local stand-in for Twilio's API,
and the TwiML view that Twilio fetches during a call."""

import base64
import json
import time
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse
from django.utils import translation
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.request_validator import RequestValidator

from two_factor.gateways.twilio.gateway import Twilio
from two_factor.gateways.twilio.urls import urlpatterns as tf_twilio_urls
from two_factor.gateways.twilio.views import CallToken, TwilioCallApp, call_languages, twilio_language
from two_factor.plugins.phonenumber.models import PhoneDevice

from . import twilio_stand_in

pytestmark = pytest.mark.urls("tests.two_factor.gateways.urls")

SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "twilio-auth-token-for-tests"
CALLER_ID = "+15005550006"
SERVICE_SID = "MG" + "fedcba9876543210" * 2
NUMBER = "+31612345678"
TOKEN = "493817"


@pytest.fixture
def twilio_api(monkeypatch):
    """The stand-in for https://api.twilio.com, on a free port of 127.0.0.1 for one test."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "TWILIO_REGION", "TWILIO_EDGE"):
        monkeypatch.delenv(name, raising=False)
    stand_in, server, thread = twilio_stand_in.start()
    yield stand_in
    twilio_stand_in.stop(server, thread)
    assert not thread.is_alive()


@pytest.fixture
def twilio_settings(settings):
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = AUTH_TOKEN
    settings.TWILIO_CALLER_ID = CALLER_ID
    settings.TWILIO_MESSAGING_SERVICE_SID = None
    return settings


@pytest.fixture
def gateway(twilio_api, twilio_settings):
    local = type("LocalTwilio", (Twilio,), {"api_base_url": twilio_api.base_url, "timeout": 5})
    return local()


@pytest.fixture
def device(user, monkeypatch):
    """A text-message phone whose token steps stand still, so that the token a test reads
    back is the one that was sent, even across a step boundary."""
    now = time.time()
    monkeypatch.setattr(PhoneDevice, "_now", lambda self: now)
    return PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms")


def basic_auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def the_one_request(twilio_api, resource):
    assert len(twilio_api.requests) == 1, twilio_api.requests
    sent = twilio_api.requests[0]
    assert sent.method == "POST"
    assert sent.path == f"/2010-04-01/Accounts/{SID}/{resource}.json"
    assert sent.authorization == basic_auth(SID, AUTH_TOKEN)
    return {key: values[0] for key, values in sent.form.items()}


# Text messages

def test_send_sms_posts_a_message_from_the_caller_id(gateway, twilio_api, device):
    gateway.send_sms(device, TOKEN)
    form = the_one_request(twilio_api, "Messages")
    assert form["To"] == NUMBER
    assert form["From"] == CALLER_ID
    assert "MessagingServiceSid" not in form
    assert TOKEN in form["Body"]
    assert form["Body"] == form["Body"].strip()


def test_send_sms_goes_through_the_messaging_service_when_set(gateway, twilio_api, device, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = SERVICE_SID
    gateway.send_sms(device, TOKEN, request=None)
    form = the_one_request(twilio_api, "Messages")
    assert form["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in form
    assert form["To"] == NUMBER


def test_numbers_go_out_in_e164_whatever_the_display_format(gateway, twilio_api, device, settings):
    settings.PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"
    assert str(device.number) != NUMBER
    gateway.send_sms(device, TOKEN)
    assert the_one_request(twilio_api, "Messages")["To"] == NUMBER


def test_the_message_text_comes_from_the_template(gateway, twilio_api, device, settings, tmp_path):
    (tmp_path / "two_factor" / "twilio").mkdir(parents=True)
    (tmp_path / "two_factor" / "twilio" / "sms_message.html").write_text("Code: {{ token }}\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    gateway.send_sms(device, TOKEN)
    assert the_one_request(twilio_api, "Messages")["Body"] == f"Code: {TOKEN}"


@pytest.mark.parametrize("send", ["send_sms", "make_call"])
def test_a_refusal_by_twilio_raises_a_rest_exception(gateway, twilio_api, device, rf, send):
    twilio_api.fail_with(400, {"code": 21211, "message": "The 'To' number is not a valid phone number.",
                               "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400})
    with pytest.raises(TwilioRestException) as raised:
        getattr(gateway, send)(device, TOKEN, request=rf.post("/"))
    assert raised.value.status == 400
    assert raised.value.code == 21211
    assert isinstance(raised.value, TwilioException)  # what a caller catches


def test_missing_credentials_are_a_configuration_error(twilio_settings):
    twilio_settings.TWILIO_AUTH_TOKEN = None
    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN"):
        Twilio()


def test_a_missing_caller_id_is_a_configuration_error(gateway, twilio_api, device, settings):
    settings.TWILIO_CALLER_ID = None
    with pytest.raises(ImproperlyConfigured, match="TWILIO_CALLER_ID"):
        gateway.send_sms(device, TOKEN)
    assert twilio_api.requests == []


def test_the_real_client_talks_to_api_twilio_com_by_default(twilio_settings):
    assert Twilio().client.api.base_url == "https://api.twilio.com"


def test_the_client_is_built_from_the_two_settings_with_a_timeout(twilio_settings, monkeypatch):
    """``Client(sid, auth_token)``, as the old gateway built it (old test suites assert that
    call), and then an HTTP client that gives up after ``timeout`` seconds."""
    built = []
    real = Twilio.__init__.__globals__["Client"]

    def client(*args, **kwargs):
        built.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr("two_factor.gateways.twilio.gateway.Client", client)
    gateway = type("SlowTwilio", (Twilio,), {"timeout": 7})()
    assert built == [((SID, AUTH_TOKEN), {})]
    assert gateway.client.http_client.timeout == 7


# Voice calls

def signed_part(url):
    path = urlsplit(url).path
    prefix = "/twilio/inbound/two_factor/"
    assert path.startswith(prefix) and path.endswith("/"), path
    return path[len(prefix):-1]


def test_make_call_posts_a_call_whose_script_url_seals_the_token(gateway, twilio_api, device, rf):
    gateway.make_call(device, TOKEN, request=rf.post("/account/two_factor/setup/"))
    form = the_one_request(twilio_api, "Calls")
    assert form["To"] == NUMBER
    assert form["From"] == CALLER_ID
    assert form["Method"] == "POST"
    url = form["Url"]
    assert url.startswith("http://testserver/twilio/inbound/two_factor/")
    assert TOKEN not in url
    sealed = signed_part(url)
    payload = signing.loads(sealed, salt=CallToken.salt)  # signed, and readable only with the key:
    assert TOKEN not in json.dumps(payload)
    assert CallToken().loads(sealed) == (TOKEN, translation.get_language())


def test_the_call_url_follows_the_request_scheme_and_host(gateway, twilio_api, device, rf, settings):
    settings.ALLOWED_HOSTS = ["example.com"]
    gateway.make_call(device, TOKEN, request=rf.get("/", secure=True, HTTP_HOST="example.com"))
    assert the_one_request(twilio_api, "Calls")["Url"].startswith("https://example.com/twilio/inbound/two_factor/")


def test_make_call_without_the_request_says_what_is_missing(gateway, twilio_api, device):
    with pytest.raises(ImproperlyConfigured, match="needs the request"):
        gateway.make_call(device, TOKEN)
    assert twilio_api.requests == []


# The URLs, included as the old package's docs said (tests/two_factor/gateways/urls.py):
# path("", include(tf_twilio_urls)) with tf_twilio_urls imported from two_factor.gateways.twilio.urls

def test_urlpatterns_is_a_pair_that_names_the_namespace():
    patterns, app_name = tf_twilio_urls
    assert app_name == "two_factor_twilio"
    assert [pattern.name for pattern in patterns] == ["call_app"]


def test_the_include_of_urlpatterns_gives_the_namespace():
    path = reverse("two_factor_twilio:call_app", kwargs={"token": "abc"})
    assert path == "/twilio/inbound/two_factor/abc/"
    match = resolve(path)
    assert (match.namespace, match.url_name, match.func.view_class) == ("two_factor_twilio", "call_app",
                                                                       TwilioCallApp)


def test_a_call_through_the_gateway_builds_its_url_in_the_namespace(gateway, twilio_api, device, rf, settings):
    settings.TWO_FACTOR_CALL_GATEWAY = type(gateway)
    device.method = "call"
    device.generate_challenge(request=rf.post("/account/login/"))
    url = the_one_request(twilio_api, "Calls")["Url"]
    sealed = signed_part(url)
    assert url == "http://testserver" + reverse("two_factor_twilio:call_app", kwargs={"token": sealed})
    assert CallToken().loads(sealed)[0] == device.current_token()


def test_sealing_the_same_token_twice_gives_different_values():
    assert CallToken().dumps(TOKEN, "en") != CallToken().dumps(TOKEN, "en")


# Through the phone plugin: the device asks the configured gateway, which gets the request

def test_a_phone_device_texts_its_token_through_twilio(gateway, twilio_api, device, settings, rf):
    settings.TWO_FACTOR_SMS_GATEWAY = type(gateway)
    device.generate_challenge(request=rf.post("/"))
    body = the_one_request(twilio_api, "Messages")["Body"]
    assert device.current_token() in body
    assert device.verify_token(device.current_token())


def test_a_phone_device_calls_through_twilio_and_the_script_reads_its_token(
        gateway, twilio_api, device, settings, rf, client):
    settings.TWO_FACTOR_CALL_GATEWAY = type(gateway)
    device.method = "call"
    device.save()
    device.generate_challenge(request=rf.post("/account/login/"))
    url = the_one_request(twilio_api, "Calls")["Url"]
    params = {**CALL_PARAMS, "Digits": "1"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    root = twiml(client.post(urlsplit(url).path, params, HTTP_X_TWILIO_SIGNATURE=signature))
    assert spoken(root).count(". ".join(device.current_token())) == 2


# The TwiML view

CALL_PARAMS = {"CallSid": "CA" + "1" * 32, "AccountSid": SID, "From": CALLER_ID, "To": NUMBER,
               "CallStatus": "in-progress", "Direction": "outbound-api"}


def call_path(token=TOKEN, language="en"):
    return reverse("two_factor_twilio:call_app", kwargs={"token": CallToken().dumps(token, language)})


def twilio_post(client, path, params, auth_token=AUTH_TOKEN, signature=None):
    if signature is None:
        signature = RequestValidator(auth_token).compute_signature("http://testserver" + path, params)
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def twiml(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == "text/xml"
    root = ET.fromstring(response.content)
    assert root.tag == "Response"
    return root


def spoken(root):
    return " ".join(say.text or "" for say in root.iter("Say"))


def test_the_first_answer_asks_for_a_key_press(client, twilio_settings):
    path = call_path()
    root = twiml(twilio_post(client, path, CALL_PARAMS))
    gather = root.find("Gather")
    assert gather is not None
    assert gather.get("action") == "http://testserver" + path
    assert gather.get("method") == "POST"
    assert gather.get("numDigits") == "1"
    assert "key" in gather.find("Say").text
    assert "4" not in spoken(root)  # no digit of the token before the key press


def test_after_the_key_press_the_token_is_read_digit_by_digit_twice(client, twilio_settings):
    root = twiml(twilio_post(client, call_path(), {**CALL_PARAMS, "Digits": "5"}))
    assert root.find("Gather") is None
    assert spoken(root).count("4. 9. 3. 8. 1. 7") == 2
    assert all(say.get("language") == "en-US" for say in root.iter("Say"))


def test_twilio_may_fetch_the_script_with_get(client, twilio_settings):
    path = call_path() + "?CallSid=CA1&Digits=1"
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + path, {})
    root = twiml(client.get(path, HTTP_X_TWILIO_SIGNATURE=signature))
    assert "4. 9. 3. 8. 1. 7" in spoken(root)


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_a_request_without_a_valid_signature_is_forbidden(client, twilio_settings, signature):
    response = twilio_post(client, call_path(), {**CALL_PARAMS, "Digits": "1"}, signature=signature)
    assert response.status_code == 403
    assert b"4" not in response.content


def test_a_signature_made_with_another_auth_token_is_forbidden(client, twilio_settings):
    response = twilio_post(client, call_path(), {**CALL_PARAMS, "Digits": "1"}, auth_token="another-token")
    assert response.status_code == 403


def test_a_signature_for_other_parameters_is_forbidden(client, twilio_settings):
    path = call_path()
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + path, CALL_PARAMS)
    response = client.post(path, {**CALL_PARAMS, "Digits": "1"}, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def test_a_signature_for_another_url_is_forbidden(client, twilio_settings):
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + call_path(), CALL_PARAMS)
    response = client.post(call_path(), CALL_PARAMS, HTTP_X_TWILIO_SIGNATURE=signature)
    assert response.status_code == 403


def test_without_an_auth_token_setting_every_request_is_forbidden(client, twilio_settings):
    path = call_path()
    signature = RequestValidator(AUTH_TOKEN).compute_signature("http://testserver" + path, CALL_PARAMS)
    twilio_settings.TWILIO_AUTH_TOKEN = None
    assert client.post(path, CALL_PARAMS, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


def tampered(sealed):
    value, _, signature = sealed.rpartition(":")
    flipped = "B" if value[0] != "B" else "C"
    return f"{flipped}{value[1:]}:{signature}"


@pytest.mark.parametrize("make", [
    lambda: tampered(CallToken().dumps(TOKEN, "en")),
    lambda: signing.dumps({"n": "", "t": "", "l": "en"}),  # signed, but not for this purpose
    lambda: "not-a-call-token",
])
def test_a_bad_call_token_is_a_bad_request(client, twilio_settings, make):
    path = reverse("two_factor_twilio:call_app", kwargs={"token": make()})
    response = twilio_post(client, path, {**CALL_PARAMS, "Digits": "1"})
    assert response.status_code == 400
    assert b"4. 9" not in response.content


def test_an_expired_call_token_is_a_bad_request(client, twilio_settings, monkeypatch):
    earlier = time.time() - CallToken.max_age - 1
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: earlier))
    path = call_path()
    monkeypatch.undo()
    assert twilio_post(client, path, {**CALL_PARAMS, "Digits": "1"}).status_code == 400


def test_a_call_token_is_good_within_its_max_age(client, twilio_settings, monkeypatch):
    earlier = time.time() - CallToken.max_age + 30
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: earlier))
    path = call_path()
    monkeypatch.undo()
    twiml(twilio_post(client, path, {**CALL_PARAMS, "Digits": "1"}))


@pytest.mark.parametrize(("age", "status"), [(120, 200), (15 * 60, 400)])
def test_a_call_token_outlives_a_ringing_phone_but_not_much_more(client, twilio_settings, monkeypatch, age, status):
    earlier = time.time() - age
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: earlier))
    path = call_path()
    monkeypatch.undo()
    assert twilio_post(client, path, {**CALL_PARAMS, "Digits": "1"}).status_code == status


def test_other_methods_are_not_allowed(client, twilio_settings):
    assert client.put(call_path()).status_code == 405


def test_spoken_text_is_escaped_for_xml(client, twilio_settings):
    root = twiml(twilio_post(client, call_path(token="<&>"), {**CALL_PARAMS, "Digits": "1"}))
    assert spoken(root).count("<. &. >") == 2


# Language

@pytest.mark.parametrize(("code", "languages"), [
    ("nl", ("nl", "nl-NL")), ("de-at", ("de-at", "de-DE")), ("pt-br", ("pt-br", "pt-BR")),
    ("en-gb", ("en-gb", "en-GB")), ("en", ("en", "en-US")), ("tr", ("en", "en-US")),
    ("zh-hant", ("zh-hant", "zh-TW")), ("ca", ("en", "en-US")), ("xx", ("en", "en-US")),
])
def test_call_languages(code, languages):
    assert call_languages(code) == languages


@pytest.mark.parametrize(("django_code", "twilio_code"), [
    ("nl", "nl-NL"), ("de", "de-DE"), ("de-at", "de-DE"), ("pt-br", "pt-BR"), ("pt", "pt-PT"),
    ("en-gb", "en-GB"), ("zh-hans", "zh-CN"), ("zh-hant", "zh-TW"), ("nb", "nb-NO"),
    ("en", "en-US"), ("en-us", "en-US"), ("xx", "en-US"), ("", "en-US"), (None, "en-US"),
])
def test_twilio_language(django_code, twilio_code):
    assert twilio_language(django_code) == twilio_code


def test_the_call_speaks_the_language_active_when_it_was_placed(client, gateway, twilio_api, device, rf):
    with translation.override("nl"):
        gateway.make_call(device, TOKEN, request=rf.post("/"))
    url = the_one_request(twilio_api, "Calls")["Url"]
    path = urlsplit(url).path
    for params in (CALL_PARAMS, {**CALL_PARAMS, "Digits": "0"}):
        signature = RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        root = twiml(client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature))
        assert {say.get("language") for say in root.iter("Say")} == {"nl-NL"}
    assert spoken(root).count("4. 9. 3. 8. 1. 7") == 2


@pytest.mark.parametrize(("language", "greeting", "code_is"), [
    ("nl", "Hallo. Je hebt een verificatiecode aangevraagd.", "Je verificatiecode is:"),
    ("de", "Hallo. Sie haben einen Bestätigungscode angefordert.", "Ihr Bestätigungscode lautet:"),
    ("fr", "Bonjour. Vous avez demandé un code de vérification.", "Votre code de vérification est"),
    ("es", "Hola. Ha solicitado un código de verificación.", "Su código de verificación es:"),
])
def test_the_words_of_the_call_are_in_its_language(client, twilio_settings, language, greeting,
                                                   code_is):
    asking = spoken(twiml(twilio_post(client, call_path(language=language), CALL_PARAMS)))
    telling = spoken(twiml(twilio_post(client, call_path(language=language),
                                       {**CALL_PARAMS, "Digits": "1"})))
    assert greeting in asking and "Hello" not in asking
    assert code_is in telling and "Your verification code" not in telling


@pytest.mark.parametrize("language", ["it", "pt-br", "pl", "ru", "ja", "zh-hans", "sv", "da", "fi",
                                      "nb", "ko", "zh-hant", "pt"])
def test_every_shipped_language_that_twilio_speaks_is_spoken(client, twilio_settings, language):
    with translation.override(language):
        greeting = translation.gettext(
            "Hello. You asked for a verification code. Press any key to hear it.")
    assert not greeting.startswith("Hello")
    root = twiml(twilio_post(client, call_path(language=language), CALL_PARAMS))
    assert greeting in spoken(root)
    assert {say.get("language") for say in root.iter("Say")} == {twilio_language(language)} != {"en-US"}


@pytest.mark.parametrize("language", ["tr", "cs", "uk", "he", "ar", "hu", "ro", "sk", "el", "id",
                                      "vi"])
def test_a_language_without_a_twilio_voice_is_read_in_english(client, twilio_settings, language):
    with translation.override(language):  # shipped, but the default voice does not speak it
        assert not translation.gettext("Goodbye.").startswith("Goodbye")
    for params in (CALL_PARAMS, {**CALL_PARAMS, "Digits": "1"}):
        root = twiml(twilio_post(client, call_path(language=language), params))
        assert {say.get("language") for say in root.iter("Say")} == {"en-US"}
        assert "Goodbye." in spoken(root)


@pytest.mark.parametrize("language", ["ca", "zh-hk"])
def test_a_voice_without_our_words_is_english_too(client, twilio_settings, language):
    # Twilio speaks these; the package has no catalog for them: English words, English voice.
    for params in (CALL_PARAMS, {**CALL_PARAMS, "Digits": "1"}):
        root = twiml(twilio_post(client, call_path(language=language), params))
        assert {say.get("language") for say in root.iter("Say")} == {"en-US"}
        assert "Goodbye." in spoken(root)


def test_the_templates_get_the_language_as_locale_too(client, twilio_settings):
    for params in (CALL_PARAMS, {**CALL_PARAMS, "Digits": "1"}):
        response = twilio_post(client, call_path(language="nl"), params)
        assert response.context["locale"] == response.context["language"] == "nl-NL"
        assert response.context["voice"] == "alice" and response.context["digits"] == list(TOKEN)


def test_an_old_template_that_says_locale_speaks_the_language(client, twilio_settings, settings, tmp_path):
    folder = tmp_path / "two_factor" / "twilio"
    folder.mkdir(parents=True)
    (folder / "token.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Response><Say language="{{ locale }}">{{ token }}</Say><Say language="{{ locale }}">{{ token }}</Say>'
        '</Response>\n')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    root = twiml(twilio_post(client, call_path(language="de"), {**CALL_PARAMS, "Digits": "1"}))
    assert [say.get("language") for say in root.iter("Say")] == ["de-DE", "de-DE"]
    assert spoken(root).count("4. 9. 3. 8. 1. 7") == 2
