"""``OTPTokenForm`` and ``OTPAuthenticationForm``: bad input is a form error, never an exception."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from django_otp.forms import OTPAuthenticationForm, OTPTokenForm, otp_verification_failed
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from ..conftest import hotp_at, totp_now


def token_form(user, device=None, token="", **extra):
    data = {"otp_token": token, **extra}
    if device is not None:
        data["otp_device"] = device.persistent_id
    return OTPTokenForm(user, data=data)


def auth_form(device=None, token="", password="secret-password", **extra):
    data = {"username": "alice", "password": password, "otp_token": token, **extra}
    if device is not None:
        data["otp_device"] = device.persistent_id
    return OTPAuthenticationForm(data=data)


def error_codes(form):
    return {error.code for errors in form.errors.as_data().values() for error in errors}


@pytest.fixture
def failures():
    """The ``otp_verification_failed`` signals sent during the test."""
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    otp_verification_failed.connect(receiver)
    yield sent
    otp_verification_failed.disconnect(receiver)


# OTPTokenForm


def test_token_form_valid_token(user, totp_device, failures):
    form = token_form(user, totp_device, totp_now(totp_device))
    assert form.is_valid(), form.errors
    assert user.otp_device == totp_device
    assert failures == []


def test_token_form_offers_the_users_confirmed_devices(user, other_user, totp_device, hotp_device):
    hotp_device.confirmed = False
    hotp_device.save()
    TOTPDevice.objects.create(user=other_user, name="theirs")
    form = OTPTokenForm(user)
    assert list(form.fields["otp_device"].choices) == [(totp_device.persistent_id, "default")]


def test_token_with_a_space_inside(user, totp_device):
    token = totp_now(totp_device)
    form = token_form(user, totp_device, f"{token[:3]} {token[3:]}")
    assert form.is_valid(), form.errors
    assert user.otp_device == totp_device


def test_hotp_and_static_tokens(user, hotp_device, static_device):
    assert token_form(user, hotp_device, hotp_at(hotp_device)).is_valid()
    assert token_form(user, static_device, "abcd2345").is_valid()
    assert user.otp_device == static_device


@pytest.mark.parametrize("token", ["abcdef", "١٢٣٤٥٦", "１２３４５６", "12 34 56 78", "9" * 1000, "-12345",
                                   "\x00", "<script>"])
def test_token_form_bad_tokens_are_form_errors(user, totp_device, failures, token):
    form = token_form(user, totp_device, token)
    assert not form.is_valid()
    assert form.errors
    assert getattr(user, "otp_device", None) is None


def test_token_form_empty_token(user, totp_device):
    form = token_form(user, totp_device, "")
    assert not form.is_valid()
    assert "token_required" in error_codes(form)


def test_token_form_missing_fields(user, totp_device):
    form = OTPTokenForm(user, data={})
    assert not form.is_valid()
    assert "required" in error_codes(form)  # otp_device
    assert getattr(user, "otp_device", None) is None


def test_first_wrong_token_says_invalid_token(user, totp_device, failures):
    form = token_form(user, totp_device, "abcdef")
    assert not form.is_valid()
    assert error_codes(form) == {"invalid_token"}
    assert failures == [{"signal": otp_verification_failed, "user": user, "device": totp_device}]


def test_throttled_device_says_so(user, totp_device, failures):
    totp_device.throttling_failure_count = 3
    totp_device.throttling_failure_timestamp = timezone.now()
    totp_device.save()
    form = token_form(user, totp_device, totp_now(totp_device))
    assert not form.is_valid()
    assert error_codes(form) == {"n_failed_attempts"}
    assert "3 failed attempts" in str(form.errors)
    # For a message of a subclass that says until when (``otp_error_messages``).
    [error] = form.errors.as_data()["__all__"]
    assert error.params["failure_count"] == 3 and error.params["locked_until"] != ""
    assert totp_device.verify_token(totp_now(totp_device)) is False  # still locked, not consumed


def test_failed_attempts_message_in_the_singular(user, totp_device):
    totp_device.throttling_failure_count = 1
    totp_device.throttling_failure_timestamp = timezone.now()
    totp_device.save()
    form = token_form(user, totp_device, "123456")
    assert not form.is_valid()
    assert "1 failed attempt," in str(form.errors)


def test_a_refusal_with_an_error_message_shows_it(user, totp_device):
    refusal = (False, {"reason": "help desk lock", "error_message": "Locked by the help desk."})
    with mock.patch.object(TOTPDevice, "verify_is_allowed", return_value=refusal):
        form = token_form(user, totp_device, totp_now(totp_device))
        assert not form.is_valid()
    assert form.non_field_errors() == ["Locked by the help desk."]


@pytest.mark.parametrize("info", [None, {}, {"reason": "help desk lock"}])
def test_a_refusal_that_says_nothing_gets_the_general_message(user, totp_device, info):
    with mock.patch.object(TOTPDevice, "verify_is_allowed", return_value=(False, info)):
        form = token_form(user, totp_device, totp_now(totp_device))
        assert not form.is_valid()
    assert error_codes(form) == {"verification_not_allowed"}
    assert form.non_field_errors() == ["Verification of the token is currently disabled"]


def test_failed_attempts_keep_their_own_message_over_an_error_message(user, totp_device):
    refusal = (False, {"reason": VerifyNotAllowed.N_FAILED_ATTEMPTS, "failure_count": 2,
                       "locked_until": None, "error_message": "not this"})
    with mock.patch.object(TOTPDevice, "verify_is_allowed", return_value=refusal):
        form = token_form(user, totp_device, totp_now(totp_device))
        assert not form.is_valid()
    assert error_codes(form) == {"n_failed_attempts"}
    assert "not this" not in str(form.errors)


def test_throttle_expired_lets_the_token_through(user, totp_device):
    totp_device.throttling_failure_count = 3
    totp_device.throttling_failure_timestamp = timezone.now() - timedelta(minutes=1)
    totp_device.save()
    assert token_form(user, totp_device, totp_now(totp_device)).is_valid()


def test_token_form_device_of_another_user(user, other_user, totp_device):
    theirs = TOTPDevice.objects.create(user=other_user, name="theirs", key=totp_device.key)
    token = totp_now(theirs)
    form = token_form(user, theirs, token)
    assert not form.is_valid()
    assert getattr(user, "otp_device", None) is None
    # Neither their device nor the user's own (same key) has used up the token.
    assert theirs.verify_token(token)
    assert totp_device.verify_token(token)


@pytest.mark.parametrize("device_id", ["garbage", "otp_totp.totpdevice/abc", "auth.user/1", "", "x" * 1000])
def test_token_form_device_that_does_not_parse(user, totp_device, device_id):
    form = OTPTokenForm(user, data={"otp_device": device_id, "otp_token": totp_now(totp_device)})
    assert not form.is_valid()
    assert getattr(user, "otp_device", None) is None


def test_token_form_deleted_device(user, totp_device):
    form = token_form(user, totp_device, totp_now(totp_device))  # choices made before the delete
    totp_device.delete()
    assert not form.is_valid()
    assert "invalid_device" in error_codes(form)


def test_verification_failed_signal(user, hotp_device, failures):
    assert not token_form(user, hotp_device, hotp_at(hotp_device, 50)).is_valid()
    assert len(failures) == 1
    assert failures[0]["user"] == user


def test_email_challenge(user, email_device, failures):
    form = token_form(user, email_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert len(mail.outbox) == 1
    email_device.refresh_from_db()
    assert email_device.token in mail.outbox[0].body
    assert failures == []
    # The mailed token then verifies.
    assert token_form(user, email_device, email_device.token).is_valid()
    assert user.otp_device == email_device


class OldStyleMessages(OTPTokenForm):
    """A site's subclass with messages written for django-otp, which filled in ``{0}``."""

    otp_error_messages = {**OTPTokenForm.otp_error_messages,
                          "challenge_message": "Sent: {0}",
                          "challenge_exception": "Could not send: {0}"}


def test_messages_with_django_otps_placeholder_are_filled_in(user, email_device):
    data = {"otp_device": email_device.persistent_id, "otp_challenge": "1"}
    with mock.patch("django_otp.plugins.otp_email.models.send_mail", side_effect=OSError("down")):
        assert OldStyleMessages(user, data=data).errors["__all__"] == ["Could not send: down"]
    assert OldStyleMessages(user, data=data).errors["__all__"] == ["Sent: sent by email"]
    form = token_form(user, email_device, otp_challenge="1")  # this package's own: %(message)s
    assert form.errors["__all__"][0].startswith("OTP Challenge: ")


def test_email_challenge_twice_sends_one_mail(user, email_device):
    assert not token_form(user, email_device, otp_challenge="1").is_valid()
    form = token_form(user, email_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert len(mail.outbox) == 1


def test_email_challenge_when_mail_fails(user, email_device):
    with mock.patch("django_otp.plugins.otp_email.models.send_mail", side_effect=OSError("down")):
        form = token_form(user, email_device, otp_challenge="1")
        assert not form.is_valid()
    assert error_codes(form) == {"challenge_exception"}
    assert form.non_field_errors() == ["Error generating challenge: down"]
    # Once mail works again, asking again sends one at once: nothing was sent the first time.
    assert not token_form(user, email_device, otp_challenge="1").is_valid()
    assert len(mail.outbox) == 1


def test_challenge_to_a_non_interactive_device(user, totp_device):
    form = token_form(user, totp_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"not_interactive"}


# OTPAuthenticationForm


def test_auth_form_password_and_token(user, totp_device):
    form = auth_form(totp_device, totp_now(totp_device))
    assert form.is_valid(), form.errors
    assert form.get_user() == user
    assert form.get_user().otp_device == totp_device


def test_auth_form_without_a_device_matches_any(user, hotp_device, static_device):
    form = auth_form(token="abcd2345")
    assert form.is_valid(), form.errors
    assert form.get_user().otp_device == static_device


def test_auth_form_token_with_a_space(user, totp_device):
    token = totp_now(totp_device)
    assert auth_form(totp_device, f"{token[:3]} {token[3:]}").is_valid()


def test_auth_form_wrong_password(user, totp_device, failures):
    token = totp_now(totp_device)
    form = auth_form(totp_device, token, password="wrong")
    assert not form.is_valid()
    assert error_codes(form) == {"invalid_login"}
    assert failures == []
    assert totp_device.verify_token(token)  # the token was not used up


def test_auth_form_asks_for_the_token_and_offers_devices(user, totp_device):
    form = auth_form()
    assert not form.is_valid()
    assert "token_required" in error_codes(form)
    assert list(form.fields["otp_device"].widget.choices) == [(totp_device.persistent_id, "default")]
    assert form.fields["password"].widget.render_value


class PasswordNotKeptForm(OTPAuthenticationForm):
    otp_keep_password = False


def test_auth_form_that_does_not_keep_the_password_leaves_it_out_of_the_page(user, totp_device):
    form = PasswordNotKeptForm(data={"username": "alice", "password": "secret-password", "otp_token": ""})
    assert not form.is_valid() and "token_required" in error_codes(form)
    assert not form.fields["password"].widget.render_value
    assert "secret-password" not in str(form["password"])


@pytest.mark.parametrize("device_id", ["garbage", "otp_totp.totpdevice/abc", "otp_totp.totpdevice/1/2",
                                       "nope.nope/1", "otp_totp.totpdevice/99999", "x" * 1000])
def test_auth_form_device_that_does_not_parse(user, totp_device, device_id):
    form = auth_form(token=totp_now(totp_device), otp_device=device_id)
    assert not form.is_valid()
    assert "invalid_device" in error_codes(form)


def test_auth_form_device_of_another_user(user, other_user, totp_device):
    theirs = TOTPDevice.objects.create(user=other_user, name="theirs")
    form = auth_form(theirs, totp_now(theirs))
    assert not form.is_valid()
    assert "invalid_device" in error_codes(form)
    # As django-otp left it: the user is known, not verified, and the form offers the user's
    # own devices again, with the password kept.
    alice = form.get_user()
    assert alice.get_username() == "alice" and alice.otp_device is None
    assert list(form.fields["otp_device"].widget.choices) == [(totp_device.persistent_id, "default")]
    assert form.fields["password"].widget.render_value


def test_auth_form_unconfirmed_device(user, totp_device):
    totp_device.confirmed = False
    totp_device.save()
    form = auth_form(totp_device, totp_now(totp_device))
    assert not form.is_valid()
    assert "invalid_device" in error_codes(form)


@pytest.mark.parametrize("data", [
    {}, {"username": "alice"}, {"username": "alice", "password": "secret-password"},
    {"username": "alice", "password": "secret-password", "otp_token": "x" * 1000},
    {"username": "alice", "password": "secret-password", "otp_token": "١٢٣٤٥٦"},
    {"username": "x" * 1000, "password": "p", "otp_token": "123456"},
])
def test_auth_form_bad_input_is_a_form_error(user, totp_device, data):
    form = OTPAuthenticationForm(data=data)
    assert not form.is_valid()
    assert form.errors


def test_auth_form_challenge_without_a_device(user, email_device):
    # As django-otp answered: no device chosen means nothing interactive to challenge.
    form = auth_form(otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"not_interactive"}
    assert mail.outbox == []


@pytest.mark.parametrize("whose", ["another user's", "unconfirmed"])
def test_auth_form_challenge_to_a_device_not_on_offer(user, other_user, email_device, whose):
    if whose == "unconfirmed":
        email_device.confirmed = False
        email_device.save()
    else:
        email_device.user = other_user
        email_device.save()
    form = auth_form(email_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"invalid_device"}
    assert mail.outbox == []


def test_auth_form_email_challenge(user, email_device):
    form = auth_form(email_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert mail.outbox[0].to == [user.email]


def test_token_form_refused_token_does_not_list_the_devices_again(user, totp_device,
                                                                  django_assert_num_queries):
    form = token_form(user, totp_device, "wrong")
    choices = list(form.fields["otp_device"].choices)
    # Load the device, then count the failure: no SELECT per device model for the choices.
    with django_assert_num_queries(2):
        assert not form.is_valid()
    assert list(form.fields["otp_device"].widget.choices) == choices


def test_auth_form_refused_token_lists_the_users_devices(user, totp_device):
    form = auth_form(totp_device, "wrong")
    assert not form.is_valid()
    assert [value for value, _label in form.fields["otp_device"].widget.choices] == [
        totp_device.persistent_id]


# Challenges get the form's request when the device asks for it (a phone device, whose call
# gateway builds an absolute URL from it); a device with django-otp's old signature does not.


class RecordingGateway:
    """A phone gateway that needs the request, as Twilio's call does; records what it got."""

    calls = []

    def make_call(self, device, token, request=None):
        self.calls.append(("call", device, request))

    def send_sms(self, device, token, request=None):
        self.calls.append(("sms", device, request))


@pytest.fixture
def recording_gateway(settings):
    RecordingGateway.calls = []
    settings.TWO_FACTOR_CALL_GATEWAY = RecordingGateway
    settings.TWO_FACTOR_SMS_GATEWAY = RecordingGateway
    return RecordingGateway.calls


@pytest.fixture
def call_device(user):
    return PhoneDevice.objects.create(user=user, name="phone", number="+31612345658", method="call")


def test_token_form_challenge_passes_the_request_to_a_phone_device(user, call_device, rf,
                                                                    recording_gateway):
    request = rf.post("/otp/login/")
    form = OTPTokenForm(user, request, data={"otp_device": call_device.persistent_id,
                                             "otp_challenge": "1"})
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert recording_gateway == [("call", call_device, request)]


def test_auth_form_challenge_passes_the_request_to_a_phone_device(user, call_device, rf,
                                                                   recording_gateway):
    request = rf.post("/otp/login/")
    form = OTPAuthenticationForm(request, data={
        "username": "alice", "password": "secret-password",
        "otp_device": call_device.persistent_id, "otp_challenge": "1"})
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert recording_gateway == [("call", call_device, request)]


def test_challenge_without_a_request_still_reaches_a_phone_device(user, call_device, settings,
                                                                   caplog):
    settings.TWO_FACTOR_CALL_GATEWAY = "two_factor.gateways.fake.Fake"
    caplog.set_level("INFO", logger="two_factor")
    form = token_form(user, call_device, otp_challenge="1")
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert any("Fake call to +31612345658" in record.getMessage() for record in caplog.records)


def test_challenge_to_a_device_with_the_old_signature(user, totp_device, rf, monkeypatch):
    # A third-party device written for django-otp: generate_challenge(self), no request.
    challenged = []

    def generate_challenge(self):
        challenged.append(self)
        return "sent the old way"

    monkeypatch.setattr(TOTPDevice, "generate_challenge", generate_challenge)
    form = OTPTokenForm(user, rf.post("/otp/login/"),
                        data={"otp_device": totp_device.persistent_id, "otp_challenge": "1"})
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert form.non_field_errors() == ["OTP Challenge: sent the old way"]
    assert challenged == [totp_device]


def test_challenge_to_a_device_that_takes_only_keyword_arguments(user, totp_device, rf,
                                                                 monkeypatch):
    # **kwargs alone is not a request parameter: called exactly as django-otp did.
    seen = []

    def generate_challenge(self, **kwargs):
        seen.append(kwargs)
        return "sent"

    monkeypatch.setattr(TOTPDevice, "generate_challenge", generate_challenge)
    assert not OTPTokenForm(user, rf.post("/"), data={"otp_device": totp_device.persistent_id,
                                                      "otp_challenge": "1"}).is_valid()
    assert seen == [{}]


def test_email_challenge_with_a_request(user, email_device, rf):
    # EmailDevice.generate_challenge(extra_context=None) takes no request: none is passed.
    form = OTPTokenForm(user, rf.post("/"), data={"otp_device": email_device.persistent_id,
                                                  "otp_challenge": "1"})
    assert not form.is_valid()
    assert error_codes(form) == {"challenge_message"}
    assert len(mail.outbox) == 1
