"""Backup phones: added with ``PhoneSetupView``, removed with ``PhoneDeleteView``, listed on the
profile page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.test_utils import frozen_now
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.phonenumber.utils import backup_phones

from ...a11y import button_names, description
from ...conftest import login_password_only, login_verified
from .conftest import MASKED, NUMBER

REGISTER = "/account/two_factor/phone/register/"
PROFILE = "/account/two_factor/"
HOME = "/"  # settings.LOGIN_REDIRECT_URL of the tests: where the phone views go when done
OTHER_NUMBER = "+31612345679"


def unregister_url(pk):
    return f"/account/two_factor/phone/unregister/{pk}/"


def post_step(client, step, data=None, **extra):
    payload = {"phone_setup_view-current_step": step, **extra}
    payload.update({f"{step}-{name}": value for name, value in (data or {}).items()})
    return client.post(REGISTER, payload)


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


@pytest.fixture
def default_totp(user):
    return TOTPDevice.objects.create(user=user, name="default")


@pytest.fixture
def verified(client, user, default_totp, gateways):
    login_verified(client, user, default_totp)
    return client


def test_url_names_and_paths():
    assert reverse("two_factor:phone_create") == REGISTER
    assert reverse("two_factor:phone_delete", args=[7]) == unregister_url(7)


@pytest.mark.parametrize(("method", "kind"), [("sms", "SMS"), ("call", "call")])
def test_add_a_backup_phone(verified, user, sent, method, kind):
    response = verified.get(REGISTER)
    assert current_step(response) == "setup"
    assert [t.name for t in response.templates][0] == "two_factor/core/phone_register.html"
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": method})
    assert current_step(response) == "validation"
    [(logged_kind, number, token)] = sent()
    assert (logged_kind, number) == (kind, OTHER_NUMBER)
    assert "+31 * ******79" in response.context["challenge"]
    assert not backup_phones(user)  # not before it is confirmed

    response = post_step(verified, "validation", {"token": token})
    assert response.status_code == 302 and response.url == HOME
    phone = PhoneDevice.objects.get(user=user)
    assert (phone.name, phone.confirmed, phone.method, phone.number.as_e164) == ("backup", True, method, OTHER_NUMBER)
    assert list(backup_phones(user)) == [phone]
    assert not phone.verify_token(token)  # used up


def test_wrong_token_keeps_the_phone_unconfirmed(verified, user, sent):
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    [(_kind, _number, token)] = sent()
    response = post_step(verified, "validation", {"token": "000000" if token != "000000" else "111111"})
    assert current_step(response) == "validation"
    assert response.context["wizard"]["form"].errors["token"]
    assert not PhoneDevice.objects.get(user=user).confirmed


def test_the_same_number_again_within_the_cooldown_sends_nothing(verified, user, sent):
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"},
                         wizard_goto_step="setup")
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert current_step(response) == "validation"
    assert len(sent()) == 1 and "moments ago" in response.context["challenge"]
    assert PhoneDevice.objects.filter(user=user).count() == 1


def test_send_me_a_new_token(verified, user, sent):
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert 'name="wizard_resend"' in response.content.decode()
    response = post_step(verified, "validation", wizard_resend="1")
    assert current_step(response) == "validation"
    assert len(sent()) == 1 and "moments ago" in response.context["challenge"]

    with frozen_now(timezone.now() + timedelta(seconds=61)):
        response = post_step(verified, "validation", wizard_resend="1")
    assert current_step(response) == "validation" and len(sent()) == 2
    response = post_step(verified, "validation", {"token": sent()[-1][2]})
    assert response.status_code == 302
    assert PhoneDevice.objects.get(user=user).confirmed


def test_invalid_number_is_a_form_error(verified, sent):
    response = post_step(verified, "setup", {"number": "12345", "method": "sms"})
    assert current_step(response) == "setup"
    assert "valid phone number" in response.context["wizard"]["form"].errors["number"][0]
    assert sent() == []


def test_unavailable_method_is_a_form_error(verified, settings, sent):
    settings.TWO_FACTOR_CALL_GATEWAY = None
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "call"})
    assert current_step(response) == "setup"
    assert response.context["wizard"]["form"].errors["method"]


def test_cancel_and_restart_remove_the_pending_phone(verified, user):
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert PhoneDevice.objects.filter(user=user, confirmed=False).count() == 1
    response = verified.post(REGISTER, {"phone_setup_view-current_step": "validation", "wizard_cancel": "1"})
    assert response.status_code == 302 and response.url == HOME
    assert not PhoneDevice.objects.exists()
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    verified.get(REGISTER)
    assert not PhoneDevice.objects.exists()


def test_register_needs_a_verified_session(client, user, default_totp, gateways):
    gateways.LOGIN_URL = "/custom-login/"  # OTP_LOGIN_URL defaults to it, as otp_required does
    assert client.get(REGISTER).url == f"/custom-login/?next={REGISTER}"  # anonymous
    gateways.OTP_LOGIN_URL = "/otp-login/"
    login_password_only(client, user)
    assert client.get(REGISTER).url == f"/otp-login/?next={REGISTER}"
    response = post_step(client, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert response.status_code == 302 and response.url == f"/otp-login/?next={REGISTER}"
    assert not PhoneDevice.objects.exists()


def test_register_without_any_device_is_sent_to_otp_login(client, user, gateways):
    login_password_only(client, user)
    assert client.get(REGISTER).url == f"/login/?next={REGISTER}"


@pytest.mark.parametrize(("method", "sentence"), [
    ("sms", "We sent you a text message, please enter the token we sent."),
    ("call", "We are calling your phone right now, please enter the digits you hear."),
])
def test_validation_step_says_what_to_do(verified, user, method, sentence):
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": method})
    assert current_step(response) == "validation"
    assert response.context["device"] == PhoneDevice.objects.get(user=user)
    assert sentence in response.content.decode()


def test_success_url_when_set(verified, user, sent, monkeypatch):
    from two_factor.plugins.phonenumber.views import PhoneDeleteView, PhoneSetupView

    assert PhoneSetupView.success_url is None and PhoneDeleteView.success_url is None
    monkeypatch.setattr(PhoneSetupView, "success_url", "two_factor:profile")
    monkeypatch.setattr(PhoneDeleteView, "success_url", "/after-delete/")
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    [(_kind, _number, token)] = sent()
    assert post_step(verified, "validation", {"token": token}).url == PROFILE
    phone = PhoneDevice.objects.get(user=user)
    assert verified.post(unregister_url(phone.pk)).url == "/after-delete/"


def test_register_without_any_gateway_goes_to_the_success_url(verified, user, settings, monkeypatch):
    from two_factor.plugins.phonenumber.views import PhoneSetupView

    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    settings.TWO_FACTOR_SMS_GATEWAY = None
    settings.TWO_FACTOR_CALL_GATEWAY = None
    response = verified.get(REGISTER)
    assert response.status_code == 302 and response.url == HOME  # as the old view: no 404
    assert not PhoneDevice.objects.exists()  # the pending phone is gone
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert response.status_code == 302 and response.url == HOME
    assert not PhoneDevice.objects.exists()
    monkeypatch.setattr(PhoneSetupView, "success_url", "two_factor:profile")
    assert verified.get(REGISTER).url == PROFILE


def test_cancel_url_in_the_context(verified, monkeypatch):
    from two_factor.plugins.phonenumber.views import PhoneSetupView

    response = verified.get(REGISTER)
    assert response.context["cancel_url"] == HOME  # resolve_url(LOGIN_REDIRECT_URL), as the old view
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert current_step(response) == "validation" and response.context["cancel_url"] == HOME
    # One Cancel: the page's button, which removes the half-added phone at once.
    assert response.content.decode().count(">Cancel<") == 1
    assert 'name="wizard_cancel"' in response.content.decode()
    monkeypatch.setattr(PhoneSetupView, "success_url", "two_factor:profile")
    assert verified.get(REGISTER).context["cancel_url"] == PROFILE  # where its Cancel button goes


@pytest.mark.parametrize("success_url", ["/account/two_factor/", "two_factor:profile"])
def test_cancel_url_of_a_view_that_was_not_dispatched(success_url, monkeypatch):
    """Old test suites build a bare ``PhoneSetupView()``, with the wizard's own context mocked
    out, and read ``cancel_url``: a URL or a URL name, resolved."""
    from formtools.wizard.views import WizardView

    from two_factor.plugins.phonenumber.views import PhoneSetupView

    monkeypatch.setattr(WizardView, "get_context_data", lambda self, form, **kwargs: kwargs)
    view = PhoneSetupView()
    view.success_url = success_url
    assert view.get_context_data(None)["cancel_url"] == PROFILE


@pytest.fixture
def backup_phone(user):
    return PhoneDevice.objects.create(user=user, name="backup", number=OTHER_NUMBER, method="sms")


def test_delete_a_backup_phone(verified, backup_phone):
    response = verified.post(unregister_url(backup_phone.pk))
    assert response.status_code == 302 and response.url == HOME
    assert not PhoneDevice.objects.exists()


def test_a_phone_removed_meanwhile_is_told_of_once(verified, backup_phone, monkeypatch):
    """Two removals of the same phone at once: only the one that deleted the row tells of it."""
    from two_factor import events
    from two_factor.plugins.phonenumber import views
    from two_factor.signals import security_event

    found = views.get_object_or_404

    def found_then_removed_by_another_request(*args, **kwargs):
        device = found(*args, **kwargs)
        PhoneDevice.objects.filter(pk=device.pk).delete()
        return device

    monkeypatch.setattr(views, "get_object_or_404", found_then_removed_by_another_request)
    sent = []

    def receiver(sender, event, **kwargs):
        sent.append(event)

    security_event.connect(receiver, dispatch_uid="test_backup_phones")
    try:
        response = verified.post(unregister_url(backup_phone.pk))
    finally:
        security_event.disconnect(dispatch_uid="test_backup_phones")
    assert response.status_code == 302 and response.url == HOME
    assert events.DEVICE_REMOVED not in sent


def test_the_profile_asks_before_a_phone_is_removed(verified, backup_phone):
    profile = verified.get(PROFILE).content.decode()
    assert re.search(rf'<form method="get" action="{unregister_url(backup_phone.pk)}">', profile)
    page = verified.get(unregister_url(backup_phone.pk))  # what the Unregister button asks
    assert page.status_code == 200 and PhoneDevice.objects.exists()
    html = page.content.decode()
    assert "You are about to remove this device from your account:" in html
    assert f"Send text message to {MASKED[:-2]}79" in html
    assert '<form method="post" action="">' in html and 'href="/account/two_factor/"' in html
    assert verified.post(unregister_url(backup_phone.pk)).status_code == 302
    assert not PhoneDevice.objects.exists()


def test_delete_another_users_phone_is_404(verified, other_user):
    phone = PhoneDevice.objects.create(user=other_user, name="backup", number=NUMBER, method="sms")
    assert verified.post(unregister_url(phone.pk)).status_code == 404
    assert verified.get(unregister_url(phone.pk)).status_code == 404  # nor asked about
    assert PhoneDevice.objects.filter(pk=phone.pk).exists()


def test_delete_a_phone_not_named_backup_is_404(verified, user):
    phone = PhoneDevice.objects.create(user=user, name="work", number=NUMBER, method="sms")
    assert verified.post(unregister_url(phone.pk)).status_code == 404
    assert PhoneDevice.objects.filter(pk=phone.pk).exists()


def test_delete_works_without_any_gateway(verified, backup_phone, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = settings.TWO_FACTOR_CALL_GATEWAY = None
    assert not backup_phones(backup_phone.user).exists()  # not offered, but the user may remove it
    assert verified.post(unregister_url(backup_phone.pk)).status_code == 302
    assert not PhoneDevice.objects.exists()


def test_delete_the_default_phone_is_404(client, user, sms_device):
    login_verified(client, user, sms_device)
    assert client.post(unregister_url(sms_device.pk)).status_code == 404
    assert client.post(unregister_url(10**6)).status_code == 404
    assert PhoneDevice.objects.filter(pk=sms_device.pk).exists()


def test_delete_needs_a_verified_session(client, user, default_totp, backup_phone, settings):
    settings.LOGIN_URL = "/custom-login/"  # OTP_LOGIN_URL defaults to it
    url = unregister_url(backup_phone.pk)
    assert client.post(url).url == f"/custom-login/?next={url}"  # anonymous
    login_password_only(client, user)
    response = client.post(url)
    assert response.status_code == 302 and response.url == f"/custom-login/?next={url}"
    assert PhoneDevice.objects.exists()


def test_profile_lists_backup_phones_and_links_to_register(verified, backup_phone):
    response = verified.get(PROFILE)
    assert list(response.context["backup_phones"]) == [backup_phone]
    assert [m.code for m in response.context["available_phone_methods"]] == ["call", "sms"]
    page = response.content.decode()
    assert f"Send text message to {MASKED[:-2]}79" in page
    assert unregister_url(backup_phone.pk) in page and REGISTER in page
    assert OTHER_NUMBER not in page


def test_profile_of_a_user_with_a_default_phone(client, user, sms_device, gateways):
    login_verified(client, user, sms_device)
    response = client.get(PROFILE)
    assert response.context["default_device"] == sms_device
    assert list(response.context["backup_phones"]) == []
    assert not response.context["backup_phones"].exists()  # a QuerySet, as the old profile gave
    assert MASKED in response.content.decode()


def test_profile_lists_only_the_phones_named_backup(verified, user, backup_phone):
    PhoneDevice.objects.create(user=user, name="work", number=NUMBER, method="call")
    second = PhoneDevice.objects.create(user=user, name="backup", number=NUMBER, method="call")
    PhoneDevice.objects.create(user=user, name="backup", number=NUMBER, method="call", confirmed=False)
    response = verified.get(PROFILE)
    assert list(response.context["backup_phones"]) == [backup_phone, second]
    assert response.context["backup_phones"].count() == 2
    page = response.content.decode()
    assert unregister_url(backup_phone.pk) in page and unregister_url(second.pk) in page
    assert [name for name in button_names(page) if name.startswith("Unregister")] == [
        f"Unregister Send text message to {MASKED[:-2]}79",  # each named with its phone
        f"Unregister Call number {MASKED}"]


def test_another_number_within_the_cooldown_sends_nothing(verified, user, sent):
    post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    verified.post(REGISTER, {"phone_setup_view-current_step": "validation", "wizard_goto_step": "setup"})
    response = post_step(verified, "setup", {"number": NUMBER, "method": "call"})
    assert current_step(response) == "validation"
    assert len(sent()) == 1 and "ask for a new one at" in response.context["challenge"]
    assert PhoneDevice.objects.filter(user=user).count() == 1  # the pending one, replaced


def test_a_token_step_posted_ahead_refuses_every_token(verified, user):
    response = post_step(verified, "validation", {"token": "123456"})
    assert response.status_code == 200
    assert not PhoneDevice.objects.filter(user=user).exists()


class BrokenGateway:
    def send_sms(self, device, token):
        raise ConnectionError("the gateway is down")


def test_a_gateway_that_fails_is_not_said_to_have_sent(verified, settings):
    settings.TWO_FACTOR_SMS_GATEWAY = f"{__name__}.BrokenGateway"
    response = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})
    assert current_step(response) == "validation"
    page = response.content.decode()
    assert "could not be sent" in page and "We've sent a token" not in page


def test_one_message_per_cooldown_whatever_the_restarts(verified, sent):
    for n in range(3):
        assert current_step(verified.get(REGISTER)) == "setup"
        response = post_step(verified, "setup", {"number": f"+3161234567{n}", "method": "sms"})
        assert current_step(response) == "validation"
    assert [number for _kind, number, _token in sent()] == ["+31612345670"]


def test_the_page_title_names_the_step(verified, sent):
    def title(response):
        return re.search(r"<title>(.*?)</title>", response.content.decode()).group(1)

    assert title(verified.get(REGISTER)) == "Phone Number – Add a backup phone"
    assert title(post_step(verified, "setup", {"number": "not a number", "method": "sms"})) == \
        "Error: Phone Number – Add a backup phone"
    assert title(post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"})) == \
        "Token – Add a backup phone"


def test_each_step_describes_its_fields_with_its_instructions(verified, sent):
    page = verified.get(REGISTER).content.decode()
    number = description(page, "setup-number")  # its help text, then the page's instructions
    assert number.startswith("With the country code") and "A backup phone lets you sign in" in number
    page = post_step(verified, "setup", {"number": OTHER_NUMBER, "method": "sms"}).content.decode()
    assert "We've sent a token to your phone number." in description(page, "validation-token")
