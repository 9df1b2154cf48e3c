"""Registering a security key in the setup wizard, through the test client."""

import json
import re

import pytest
from django.urls import reverse
from webauthn.helpers.structs import AttestationFormat

from tests.two_factor.conftest import login_password_only, login_verified
from two_factor.plugins.registry import registry
from two_factor.plugins.webauthn import challenges
from two_factor.plugins.webauthn.ceremonies import user_handle_for
from two_factor.plugins.webauthn.encoding import b64decode, b64encode
from two_factor.plugins.webauthn.models import WebauthnDevice

from .authenticator import CredentialExcluded, SoftAuthenticator, b64, unb64
from .conftest import JSON, REGISTER_OPTIONS, SETUP, SETUP_STEP, fetch_options, register_key


def post_step(client, step, data=None):
    payload = {SETUP_STEP: step, **{f"{step}-{name}": value for name, value in (data or {}).items()}}
    return client.post(SETUP, payload)


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def to_webauthn_step(client):
    """Start the wizard and choose the webauthn method."""
    assert current_step(client.get(SETUP)) == "welcome"
    response = post_step(client, "welcome")
    if current_step(response) == "method":
        response = post_step(client, "method", {"method": "webauthn"})
    assert current_step(response) == "webauthn"
    return response


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


@pytest.fixture
def setup_client(client, user):
    login_password_only(client, user)
    return client


def test_register_a_security_key(setup_client, user, authenticator):
    page = to_webauthn_step(setup_client).content.decode()
    assert REGISTER_OPTIONS in page and "two_factor/js/webauthn.js" in page
    assert "data-webauthn-start disabled>" in page  # until the script has run
    response = authenticator.create(fetch_options(setup_client, REGISTER_OPTIONS))

    done = post_step(setup_client, "webauthn", {"credential": response})

    assert done.status_code == 302 and done.url == reverse("two_factor:setup_complete")
    device = WebauthnDevice.objects.get(user=user)
    assert (device.name, device.confirmed, device.discoverable) == ("default", True, True)
    assert device.key_handle == b64(authenticator.credential_id)
    assert device.user_handle == b64(authenticator.user_handle)
    assert otp_status(setup_client) == {"authenticated": True, "verified": True,
                                        "device": device.persistent_id}
    assert challenges.SESSION_KEY not in setup_client.session


def test_the_key_is_a_fieldset_named_by_its_legend(setup_client):
    """A label would name the hidden input (or, pointed at the button, replace its words)."""
    page = to_webauthn_step(setup_client).content.decode()
    assert re.search(r'<fieldset class="field" aria-describedby="id_webauthn-credential_helptext '
                     r'two-factor-instructions">'
                     r'\s*<legend>Security key:</legend>', page)
    assert "<label" not in page.split("<fieldset", 1)[1].split("</fieldset>", 1)[0]
    refused = post_step(setup_client, "webauthn").content.decode()  # nothing sent: required
    assert ('aria-describedby="id_webauthn-credential_helptext id_webauthn-credential_error '
            'two-factor-instructions"'
            in refused)
    assert 'id="id_webauthn-credential_error"' in refused


def test_registration_options(setup_client, user):
    to_webauthn_step(setup_client)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    assert options["rp"] == {"id": "testserver", "name": "django-twofold tests"}
    assert options["user"]["name"] == "alice" and len(unb64(options["user"]["id"])) == 32
    assert len(unb64(options["challenge"])) >= 16
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "discouraged"
    assert options["excludeCredentials"] == []
    assert options["extensions"] == {"credProps": True}
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]


def test_registration_options_follow_the_settings(setup_client, settings):
    settings.TWO_FACTOR_WEBAUTHN_RP_ID = "example.com"
    settings.TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT = "cross-platform"
    settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT = "required"
    settings.TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE = "direct"
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    assert options["rp"]["id"] == "example.com"
    assert options["attestation"] == "direct"
    assert options["authenticatorSelection"] == {
        "authenticatorAttachment": "cross-platform", "residentKey": "preferred",
        "requireResidentKey": False, "userVerification": "required"}


def test_registration_trusts_the_configured_root_certificates(setup_client, user, authenticator,
                                                              settings, monkeypatch):
    from two_factor.plugins.webauthn import ceremonies

    roots = {AttestationFormat.PACKED: [b"-----BEGIN CERTIFICATE-----..."]}
    settings.TWO_FACTOR_WEBAUTHN_PEM_ROOT_CERTS_BYTES_BY_FMT = roots
    seen = []
    real = ceremonies.verify_registration_response

    def recording(**kwargs):
        seen.append(kwargs["pem_root_certs_bytes_by_fmt"])
        return real(**kwargs)

    monkeypatch.setattr(ceremonies, "verify_registration_response", recording)
    to_webauthn_step(setup_client)
    response = authenticator.create(fetch_options(setup_client, REGISTER_OPTIONS))
    assert post_step(setup_client, "webauthn", {"credential": response}).status_code == 302
    assert seen == [roots]


def test_the_user_handle_is_stable(setup_client, user, authenticator):
    register_key(user, authenticator, name="other", confirmed=False)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    assert options["user"]["id"] == b64(authenticator.user_handle)
    assert options["excludeCredentials"][0]["id"] == b64(authenticator.credential_id)


def test_a_key_registered_already_is_refused(client, user, authenticator):
    register_key(user, authenticator, name="other")
    login_verified(client, user, WebauthnDevice.objects.get(user=user))  # verified, no default
    to_webauthn_step(client)
    options = fetch_options(client, REGISTER_OPTIONS)
    with pytest.raises(CredentialExcluded):  # the browser refuses
        authenticator.create(options)
    options["excludeCredentials"] = []  # a browser that ignores the list
    response = post_step(client, "webauthn", {"credential": authenticator.create(options)})
    assert "registered already" in response.content.decode()
    assert WebauthnDevice.objects.filter(user=user).count() == 1


def test_missing_challenge_is_a_form_error(setup_client, user, authenticator):
    to_webauthn_step(setup_client)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    session = setup_client.session
    del session[challenges.SESSION_KEY]
    session.save()
    response = post_step(setup_client, "webauthn", {"credential": authenticator.create(options)})
    assert current_step(response) == "webauthn"
    assert "expired or was already used" in response.content.decode()
    assert not WebauthnDevice.objects.exists()


def test_a_registration_response_works_once(setup_client, user, authenticator):
    to_webauthn_step(setup_client)
    response = authenticator.create(fetch_options(setup_client, REGISTER_OPTIONS))
    failed = post_step(setup_client, "webauthn", {"credential": "{}"})  # uses up the challenge
    assert "could not be verified" in failed.content.decode()
    page = post_step(setup_client, "webauthn", {"credential": response})
    assert "expired or was already used" in page.content.decode()
    assert not WebauthnDevice.objects.exists()


@pytest.mark.parametrize("breakage", [
    {"origin": "http://evil.example"},
    {"challenge": b64(b"not the challenge at all")},
])
def test_a_broken_registration_is_a_form_error(setup_client, user, authenticator, breakage):
    to_webauthn_step(setup_client)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    response = post_step(setup_client, "webauthn", {"credential": authenticator.create(options, **breakage)})
    assert current_step(response) == "webauthn"
    assert "could not be verified" in response.content.decode()
    assert not WebauthnDevice.objects.exists()


def test_user_verification_required_at_registration(setup_client, settings, authenticator):
    settings.TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT = "required"
    to_webauthn_step(setup_client)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    response = post_step(setup_client, "webauthn", {"credential": authenticator.create(options, uv=False)})
    assert "could not be verified" in response.content.decode()
    assert not WebauthnDevice.objects.exists()


@pytest.mark.parametrize("value", ["", "not json", "[]", '{"id": 1}', "x" * 70000, '{"response": null}'])
def test_garbage_is_a_form_error(setup_client, value):
    to_webauthn_step(setup_client)
    fetch_options(setup_client, REGISTER_OPTIONS)
    response = post_step(setup_client, "webauthn", {"credential": value})
    assert current_step(response) == "webauthn"
    assert not WebauthnDevice.objects.exists()


def test_another_users_challenge_does_not_register(setup_client, user, other_user, authenticator):
    to_webauthn_step(setup_client)
    options = fetch_options(setup_client, REGISTER_OPTIONS)
    session = setup_client.session
    session[challenges.SESSION_KEY]["register"]["user"] = str(other_user.pk)
    session.save()
    response = post_step(setup_client, "webauthn", {"credential": authenticator.create(options)})
    assert "expired or was already used" in response.content.decode()
    assert not WebauthnDevice.objects.exists()


def test_register_options_need_setup_access(client, user, authenticator):
    assert client.post(REGISTER_OPTIONS, **JSON).status_code == 403  # anonymous
    register_key(user, authenticator)
    login_password_only(client, user)  # has a device, not verified with it
    response = client.post(REGISTER_OPTIONS, **JSON)
    assert response.status_code == 403 and "error" in response.json()
    assert client.get(REGISTER_OPTIONS).status_code == 405


def test_the_method_is_offered_only_with_a_relying_party_name(settings):
    assert "webauthn" in [method.code for method in registry.get_methods()]
    settings.TWO_FACTOR_WEBAUTHN_RP_NAME = None
    assert "webauthn" not in [method.code for method in registry.get_methods()]


def test_uncounted_authenticator_registers(setup_client, user):
    authenticator = SoftAuthenticator(counting=False, resident=False)
    to_webauthn_step(setup_client)
    response = authenticator.create(fetch_options(setup_client, REGISTER_OPTIONS))
    assert post_step(setup_client, "webauthn", {"credential": response}).status_code == 302
    device = WebauthnDevice.objects.get(user=user)
    assert (device.sign_count, device.discoverable) == (0, False)


@pytest.mark.parametrize(("length", "kept"), [(64, True), (65, False)])
def test_a_user_handle_longer_than_webauthn_allows_is_not_used(user, length, kept):
    handle = b64encode(bytes(range(length)))
    WebauthnDevice.objects.create(user=user, name="other", public_key="AAAA", key_handle="AAAA",
                                  user_handle=handle)
    assert (user_handle_for(user) == handle) is kept
    assert len(b64decode(user_handle_for(user))) <= 64
