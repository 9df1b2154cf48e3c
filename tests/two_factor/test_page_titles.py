"""Each page's ``<title>`` names the wizard step (a tab and a screen reader show it first) and
starts with "Error:" when a form came back with errors (``page_title`` in two_factor_forms)."""

import html
import re

from django import forms

from two_factor.templatetags.two_factor_forms import page_title

from .conftest import PASSWORD, login_password_only
from .test_login import STEP, URL, post_password, post_token
from .test_setup import SETUP, post_step

SIGN_IN = "Sign in"
ENABLE = "Enable two-factor authentication"


def title(response):
    (found,) = re.findall(r"<title>(.*?)</title>", response.content.decode(), re.S)
    return html.unescape(found)


def test_the_sign_in_names_its_step(client, default_totp, backup_device):
    assert title(client.get(URL)) == SIGN_IN
    assert title(post_password(client)) == f"Token – {SIGN_IN}"
    assert title(post_token(client, "000000")) == f"Error: Token – {SIGN_IN}"
    assert title(client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})) == f"Backup token – {SIGN_IN}"


def test_a_wrong_password_is_an_error_title(client, user):
    response = client.post(URL, {STEP: "auth", "auth-username": "alice", "auth-password": "wrong"})
    assert title(response) == f"Error: {SIGN_IN}"


def test_an_empty_token_is_an_error_title(client, default_totp):
    post_password(client)
    assert title(post_token(client, "")) == f"Error: Token – {SIGN_IN}"


def test_the_setup_names_its_step(client, user):
    login_password_only(client, user)
    assert title(client.get(SETUP)) == ENABLE
    assert title(post_step(client, "welcome")) == f"Token generator – {ENABLE}"
    assert title(post_step(client, "generator", {"token": "000000"})) == f"Error: Token generator – {ENABLE}"


def test_the_titles_are_translated(client, default_totp, settings):
    settings.LANGUAGE_CODE = "de"
    response = client.post(URL, {STEP: "auth", "auth-username": "alice", "auth-password": "wrong"})
    assert title(response) == "Fehler: Anmelden"
    response = client.post(URL, {STEP: "auth", "auth-username": "alice", "auth-password": PASSWORD})
    assert title(response) == "Code – Anmelden"


def test_disable_says_error_only_for_a_form_with_errors(verified_client):
    page = "Disable two-factor authentication"
    assert title(verified_client.get("/account/two_factor/disable/")) == page
    assert title(verified_client.post("/account/two_factor/disable/", {})) == f"Error: {page}"


def test_a_formset_with_errors_is_an_error_title():
    class NameForm(forms.Form):
        name = forms.CharField()

    formset_class = forms.formset_factory(NameForm, min_num=1, validate_min=True)
    management = {"form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0"}
    assert page_title("Page", "Step", formset_class(management | {"form-0-name": "x"})) == "Step – Page"
    assert page_title("Page", "Step", formset_class(management)) == "Error: Step – Page"
    assert page_title("Page", "", formset_class()) == "Page"
