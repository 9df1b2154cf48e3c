"""Errors a screen reader reads with their field: the form's own errors (a wrong password or
token) are an alert region that the required fields point at (``two_factor_forms``)."""

import re

from django import forms
from django.urls import reverse

from django_otp.forms import OTPAuthenticationForm
from tests.conftest import totp_now
from two_factor.templatetags.two_factor_forms import fieldset_description, form_errors, form_field, own_errors

from .a11y import description
from .conftest import login_password_only
from .test_login import STEP, URL, post_password, post_token
from .test_setup import to_generator


def tag(page, name):
    (found,) = re.findall(rf'<input[^>]* name="{name}"[^>]*>', page)
    return found


def test_a_wrong_password_describes_both_fields(client, user):
    page = client.post(URL, {STEP: "auth", "auth-username": "alice", "auth-password": "wrong"}
                       ).content.decode()
    assert re.search(r'<div id="auth-errors" role="alert"><ul class="errorlist nonfield">', page)
    for name in ("auth-username", "auth-password"):
        assert 'aria-invalid="true"' in tag(page, name)
        assert 'aria-describedby="auth-errors two-factor-instructions"' in tag(page, name)


def test_a_wrong_token_describes_the_token_field_not_the_checkbox(client, default_totp, settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600  # the "remember this browser" box is shown
    post_password(client)
    page = post_token(client, "000000").content.decode()
    assert '<div id="token-errors" role="alert">' in page
    token = tag(page, "token-otp_token")
    assert 'aria-invalid="true"' in token
    assert 'aria-describedby="token-errors two-factor-instructions"' in token
    assert "aria-" not in tag(page, "token-remember")


def test_a_page_without_errors_marks_nothing(client, default_totp):
    page = post_password(client).content.decode()
    assert "aria-invalid" not in page and "-errors" not in page
    assert 'aria-describedby="two-factor-instructions"' in tag(page, "token-otp_token")
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_an_empty_token_is_one_error_with_djangos_own_description(client, default_totp):
    """An empty token: the field's own error (Django's ``_error`` id), not also the form's
    "Please enter your OTP token.", which says the same; the form keeps both, as before."""
    post_password(client)
    response = post_token(client, "")
    page = response.content.decode()
    described = re.search(r'aria-describedby="([^"]+)"', tag(page, "token-otp_token")).group(1)
    assert described.split() == ["id_token-otp_token_error", "two-factor-instructions"]
    assert 'id="id_token-otp_token_error"' in page and "This field is required." in page
    assert "Please enter your OTP token." not in page and 'id="token-errors"' not in page
    assert response.context["wizard"]["form"].errors == {
        "otp_token": ["This field is required."], "__all__": ["Please enter your OTP token."]}


def test_each_step_describes_its_fields_with_its_instructions(client, default_totp, backup_device):
    assert description(client.get(URL).content.decode(), "auth-password") == \
        "Enter your username and password."
    token = description(post_password(client).content.decode(), "token-otp_token")
    assert token.startswith("Your account is protected by a second step")
    wrong = description(post_token(client, "000000").content.decode(), "token-otp_token")
    assert wrong == f"Invalid token. Please make sure you have entered it correctly. {token}"
    page = client.post(URL, {STEP: "token", "wizard_goto_step": "backup"}).content.decode()
    assert description(page, "backup-otp_token").startswith("Enter one of the backup tokens")


def test_the_setup_describes_the_token_with_the_step_not_the_secret(client, user):
    login_password_only(client, user)
    _key, page = to_generator(client, with_page=True)
    assert description(page, "generator-token") == \
        "Then enter the 6-digit code that the app shows for this account."


def test_reauthentication_describes_the_password(client, user):
    login_password_only(client, user)
    page = client.get(reverse("two_factor:reauthenticate")).content.decode()
    assert description(page, "password") == "Enter your password."


class CaptchaOTPForm(OTPAuthenticationForm):
    captcha = forms.CharField()


def test_the_token_message_stays_when_another_field_has_the_error(rf, user, totp_device):
    # django_otp's token field is not required: "Please enter your OTP token." is then its only
    # error, even while another field has one of its own.
    form = CaptchaOTPForm(rf.post("/"), data={"username": "alice", "password": "secret-password",
                                             "otp_device": totp_device.persistent_id, "otp_token": ""})
    assert not form.is_valid() and form.errors.get("captcha")
    assert [error.code for error in own_errors(form).as_data()] == ["token_required"]


class TokenAndChoiceForm(forms.Form):
    otp_token = forms.CharField()
    choice = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
    optional_choice = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect,
                                        required=False)
    described = forms.CharField(widget=forms.TextInput(attrs={"aria-describedby": "site-hint"}))
    remembered = forms.CharField(show_hidden_initial=True)

    def clean(self):
        self.add_error(None, forms.ValidationError("Please enter your OTP token.",
                                                   code="token_required"))
        self.add_error(None, forms.ValidationError("Too many attempts.", code="throttled"))


def test_the_form_errors_left_keep_their_class(rf):
    form = TokenAndChoiceForm(data={})
    assert not form.is_valid()
    assert [error.code for error in own_errors(form).as_data()] == ["throttled"]
    assert 'class="errorlist nonfield"' in form_errors(form)


def test_a_field_keeps_what_its_widget_says_and_its_hidden_initial():
    form = TokenAndChoiceForm(data={"otp_token": "1"})
    described = form_field(form["described"], "instructions")
    assert 'aria-describedby="site-hint form-errors instructions"' in described
    remembered = form_field(form["remembered"], "instructions")
    assert 'name="initial-remembered"' in remembered and 'type="hidden"' in remembered


def test_only_a_required_fieldset_is_described_by_the_instructions():
    form = TokenAndChoiceForm()
    assert fieldset_description(form["choice"], "instructions") == "instructions"
    assert fieldset_description(form["optional_choice"], "instructions") == ""
    unnamed = TokenAndChoiceForm(auto_id=False)
    assert fieldset_description(unnamed["choice"], "instructions") == ""
