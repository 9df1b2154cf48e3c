"""The page's script (webauthn.js), run in node against the server's options and the tests'
authenticator: what it posts must be what the server accepts. Skipped without node."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.two_factor.conftest import login_password_only
from two_factor.plugins.webauthn.models import WebauthnDevice

from .authenticator import b64
from .conftest import PASSKEY_LOGIN, PASSKEY_OPTIONS, REGISTER_OPTIONS, fetch_options
from .test_login import LOGIN_OPTIONS, otp_status, post_key, post_password
from .test_setup import post_step, to_webauthn_step

NODE = shutil.which("node")
SCRIPT = (Path(__file__).resolve().parents[4] / "src" / "two_factor" / "plugins" / "webauthn" / "static"
          / "two_factor" / "js" / "webauthn.js")
HARNESS = Path(__file__).with_name("js_harness.js")

pytestmark = [pytest.mark.skipif(NODE is None, reason="node is not installed"), pytest.mark.django_db]


def run_page(kind, options, credential=None, **extra):
    payload = {"script": str(SCRIPT), "kind": kind, "options": options,
               "credential": json.loads(credential) if credential else None, **extra}
    result = subprocess.run([NODE, str(HARNESS)], input=json.dumps(payload), capture_output=True,
                            text=True, timeout=30, check=True)
    return json.loads(result.stdout)


def test_registration_through_the_script(client, user, authenticator):
    login_password_only(client, user)
    to_webauthn_step(client)
    options = fetch_options(client, REGISTER_OPTIONS)
    page = run_page("create", options, authenticator.create(options))
    assert page["enabledByInit"]  # the page sends the button disabled until the script runs
    assert page["checks"] == {"kind": "create", "challenge": True, "userId": True, "ids": []}
    assert page["fetches"][0]["headers"] == {"Accept": "application/json", "X-CSRFToken": "csrf-token"}
    assert page["submitted"] and page["message"] is None
    assert post_step(client, "webauthn", {"credential": page["value"]}).status_code == 302
    assert WebauthnDevice.objects.get(user=user).discoverable is True


def test_sign_in_through_the_script(client, user, authenticator, key_device):
    post_password(client)
    options = fetch_options(client, LOGIN_OPTIONS)
    page = run_page("get", options, authenticator.get(options))
    assert page["checks"]["ids"] == [b64(authenticator.credential_id)]
    assert page["submitted"]
    assert post_key(client, page["value"]).status_code == 302
    assert otp_status(client)["verified"] is True


def test_passkey_through_the_script(client, user, authenticator, key_device):
    options = fetch_options(client, PASSKEY_OPTIONS)
    page = run_page("passkey", options, authenticator.get(options))
    assert [fetch["url"] for fetch in page["fetches"]] == ["/options/", "/passkey/login/"]
    assert page["location"] == "/after/" and not page["submitted"]
    response = client.post(PASSKEY_LOGIN, {"credential": page["fetches"][1]["body"]["credential"]},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert otp_status(client)["verified"] is True


def test_a_cancelled_ceremony_shows_a_message(client):
    options = fetch_options(client, PASSKEY_OPTIONS)
    page = run_page("passkey", options, error="NotAllowedError")
    assert (page["message"], page["value"], page["buttonDisabled"]) == ("CANCELLED", "", False)
    assert page["buttonFocused"] is True  # disabled while it ran, it lost the focus: given back


def test_a_server_error_is_shown(client):
    options = fetch_options(client, PASSKEY_OPTIONS)
    page = run_page("passkey", options, optionsStatus=400)
    assert page["message"] == "FAILED"  # the stand-in answers without an error text


def test_a_refused_passkey_shows_the_servers_message(client, authenticator):
    options = fetch_options(client, PASSKEY_OPTIONS)
    page = run_page("passkey", options, authenticator.get(options), loginStatus=400,
                    loginBody={"error": "This passkey is not registered for any account here."})
    assert page["message"] == "This passkey is not registered for any account here."
    assert page["location"] is None
