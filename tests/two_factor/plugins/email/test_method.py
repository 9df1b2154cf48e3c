"""``EmailMethod`` and ``EmailForm``: the registry entry, the setup device, the labels."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.email.forms import EmailForm
from two_factor.plugins.email.method import EmailMethod
from two_factor.plugins.registry import registry

from .conftest import ADDRESS, MASKED


@pytest.fixture
def method():
    return registry.get_method("email")


def request_of(user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}
    return request


def test_registered_and_available(method):
    assert isinstance(method, EmailMethod)
    assert (method.code, str(method.verbose_name)) == ("email", "Email")
    assert method in registry.get_methods()


def test_unavailable_without_the_otp_email_app(method, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS
                               if app != "django_otp.plugins.otp_email"]
    assert not method.is_available()
    assert method not in registry.get_methods()


def test_devices_and_recognition(method, user, other_user):
    mine = EmailDevice.objects.create(user=user, name="default")
    EmailDevice.objects.create(user=user, name="pending", confirmed=False)
    EmailDevice.objects.create(user=other_user, name="default")
    assert method.get_devices(user) == [mine]
    assert method.get_devices(AnonymousUser()) == []
    assert method.recognize_device(mine)
    assert not method.recognize_device(TOTPDevice(user=user))
    assert registry.method_from_device(mine) is method


def test_setup_device_is_unsaved_and_named_default(method, user):
    device = method.get_device_from_setup_data(request_of(user), {"email": {"email": "a@b.org"}})
    assert isinstance(device, EmailDevice) and device.pk is None
    assert (device.user, device.name, device.email) == (user, "default", "a@b.org")


def test_setup_device_without_address_follows_the_account(method, user):
    device = method.get_device_from_setup_data(request_of(user), {"email": {"email": ""}})
    assert device.email is None and device.recipient == ADDRESS
    assert method.get_device_from_setup_data(request_of(user), {}) is None


def test_actions_show_the_address_masked(method, user):
    device = EmailDevice(user=user, name="default")
    assert str(method.get_action(device)) == f"Send email to {MASKED}"
    verbose = str(method.get_verbose_action(device))
    assert MASKED in verbose and ADDRESS not in verbose
    other = EmailDevice(user=user, name="work", email="carol.jones@work.example.org")
    assert "c*********s@w**k.e*****e.org" in str(method.get_action(other))


def test_no_address_at_all_sends_nothing(method, user, mailoutbox):
    user.email = ""
    device = EmailDevice.objects.create(user=user, name="default")
    message = method.send_challenge(device, request_of(user))
    assert "no email address" in str(message)
    assert mailoutbox == []


# The form of the setup step


def test_form_accepts_an_address(user):
    form = EmailForm(user=user, data={"email": "Carol@Example.org"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == "Carol@example.org"


def test_form_empty_means_the_account_address(user):
    form = EmailForm(user=user, data={"email": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["email"] == ""
    help_text = str(form.fields["email"].help_text)
    assert MASKED in help_text and ADDRESS not in help_text


def test_form_without_any_address_is_a_clear_error(user):
    user.email = ""
    form = EmailForm(user=user, data={"email": ""})
    assert not form.is_valid()
    assert form.errors["email"] == [str(EmailForm.error_messages["no_address"])]
    assert form.has_error("email", "no_address")
    assert 'required' in str(form["email"])


@pytest.mark.parametrize("value", ["not an address", "a@", "@b.org", "a" * 250 + "@b.org"])
def test_form_refuses_what_is_no_address(user, value):
    form = EmailForm(user=user, data={"email": value})
    assert not form.is_valid()
    assert "email" in form.errors


def test_form_works_without_a_user():
    assert not EmailForm(data={"email": ""}).is_valid()
    assert EmailForm(data={"email": "a@b.org"}).is_valid()
