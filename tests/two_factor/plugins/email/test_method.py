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


def test_an_account_with_an_address_has_no_setup_step(method, user):
    """As in the old package: the tokens go to the account's address, asked for only when
    the account has none."""
    wizard = type("Wizard", (), {"request": request_of(user)})()
    assert method.get_setup_forms(wizard) == {}
    user.email = ""
    assert method.get_setup_forms(wizard) == {"email": EmailForm}


def test_setup_device_is_unsaved_named_default_and_follows_the_account(method, user):
    device = method.get_device_from_setup_data(request_of(user), {})
    assert isinstance(device, EmailDevice) and device.pk is None
    assert (device.user, device.name, device.email, device.recipient) == (
        user, "default", None, ADDRESS)
    device = method.get_device_from_setup_data(request_of(user), {"email": {"email": "a@b.org"}})
    assert (device.pk, device.email, device.recipient) == (None, "a@b.org", "a@b.org")


def confirmed(user, email):
    return EmailDevice.objects.create(user=user, name="default", email=email)


def test_an_address_entered_at_setup_becomes_the_accounts_once_confirmed(method, user):
    user.email = ""
    user.save()
    device = confirmed(user, "a@b.org")
    method.setup_completed(request_of(user), device)
    user.refresh_from_db()
    device.refresh_from_db()
    assert (user.email, device.email, device.recipient) == ("a@b.org", None, "a@b.org")


def test_an_account_that_has_an_address_keeps_it(method, user):
    device = confirmed(user, "a@b.org")  # a site's own step asked for it: the device keeps it
    method.setup_completed(request_of(user), device)
    user.refresh_from_db()
    device.refresh_from_db()
    assert (user.email, device.email) == (ADDRESS, "a@b.org")


def test_a_user_model_without_an_email_field_keeps_the_address_on_the_device(method, user,
                                                                            monkeypatch):
    user.email = ""
    user.save()
    monkeypatch.setattr("two_factor.plugins.email.method._has_email_field", lambda user: False)
    device = confirmed(user, "a@b.org")
    method.setup_completed(request_of(user), device)
    user.refresh_from_db()
    device.refresh_from_db()
    assert (user.email, device.email) == ("", "a@b.org")


def test_which_models_have_an_email_field(user):
    from django.contrib.auth.models import Group
    from django.utils.functional import SimpleLazyObject

    from two_factor.plugins.email.method import _has_email_field

    assert _has_email_field(user) and _has_email_field(SimpleLazyObject(lambda: user))  # request.user
    assert not _has_email_field(Group()) and not _has_email_field(AnonymousUser())


def test_actions_show_the_address_masked(method, user):
    device = EmailDevice(user=user, name="default")
    assert str(method.get_action(device)) == f"Send email to {MASKED}"
    verbose = str(method.get_verbose_action(device))
    assert MASKED in verbose and ADDRESS not in verbose
    other = EmailDevice(user=user, name="work", email="carol.jones@work.example.org")
    assert "c*********s@work.example.org" in str(method.get_action(other))


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
