"""``LoginView`` driven through the test client: the password, then a token or a backup token."""

import json
from unittest import mock
from unittest.mock import ANY

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import include, path, reverse

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.conftest import hotp_at, totp_now
from tests.django_otp.test_middleware import MarkingBackend
from two_factor.forms import AuthenticationTokenForm
from two_factor.plugins.registry import MethodBase, registry
from two_factor.signals import user_verified
from two_factor.views import LoginView

from .conftest import PASSWORD

URL = reverse("two_factor:login")
STEP = "login_view-current_step"

# For the tests that need another configuration of the view (``@pytest.mark.urls(__name__)``).
class NoTokenOnTheIntranetLogin(LoginView):
    """A site's subclass that skips the token step, as django-two-factor-auth allowed."""

    def has_token_step(self):
        return False if self.request.META.get("REMOTE_ADDR") == "10.0.0.7" else super().has_token_step()


urlpatterns = [
    path("redirecting-login/", LoginView.as_view(redirect_authenticated_user=True),
         name="redirecting-login"),
    path("intranet-login/", NoTokenOnTheIntranetLogin.as_view(), name="intranet-login"),
    path("", include("tests.urls")),
]


def post_password(client, username="alice", password=PASSWORD, url=URL, **extra):
    return client.post(url, {STEP: "auth", "auth-username": username, "auth-password": password,
                             **extra})


def post_token(client, token, step="token", **extra):
    return client.post(URL, {STEP: step, f"{step}-otp_token": token, **extra})


def current_step(response):
    assert response.status_code == 200, response.status_code
    return response.context["wizard"]["steps"].current


def otp_status(client):
    return json.loads(client.get("/otp/status/").content)


def signed_in_user_id(client):
    return client.session.get(SESSION_KEY)


@pytest.fixture
def bob_with_totp(other_user):
    return TOTPDevice.objects.create(user=other_user, name="default")


class EmailTestMethod(MethodBase):
    """An interactive method for the "use another device" tests."""

    code = "test-email"
    verbose_name = "Email"

    def get_devices(self, user):
        return list(EmailDevice.objects.devices_for_user(user, confirmed=True))

    def recognize_device(self, device):
        return isinstance(device, EmailDevice)

    def get_action(self, device):
        return "Send me a token by email"

    def get_verbose_action(self, device):
        return "Enter the token we sent by email."


@pytest.fixture
def email_method():
    method = EmailTestMethod()
    registry.register(method)
    yield method
    registry.unregister(method.code)


# The page


def test_get_shows_the_password_step_and_starts_no_session(client, db):
    response = client.get(URL)
    assert current_step(response) == "auth"
    content = response.content.decode()
    assert 'name="auth-username"' in content and 'name="auth-password"' in content
    assert f'name="{STEP}" value="auth"' in content
    assert response.context["cancel_url"] is None  # nothing to cancel yet
    assert django_settings.SESSION_COOKIE_NAME not in client.cookies
    assert not Session.objects.exists()
    assert response["Cache-Control"].startswith("max-age=0")


def test_wrong_password_is_a_form_error(client, user_with_totp):
    response = post_password(client, password="wrong")
    assert current_step(response) == "auth"
    assert response.context["wizard"]["form"].errors
    assert "user_pk" not in json.dumps(dict(client.session))


def test_csrf_is_enforced(user):
    client = Client(enforce_csrf_checks=True)
    assert post_password(client).status_code == 403


# Signing in


def test_user_without_device_is_signed_in_after_the_password(client, user):
    response = post_password(client)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)
    assert otp_status(client) == {"authenticated": True, "verified": False, "device": None}


def test_unconfirmed_device_does_not_ask_for_a_token(client, user):
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    assert post_password(client).status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_sign_in_with_totp(client, user_with_totp, default_totp):
    response = post_password(client)
    assert current_step(response) == "token"
    assert response.context["device"] == default_totp
    assert "Please enter the token shown by your authenticator app." in response.content.decode()
    assert signed_in_user_id(client) is None

    response = post_token(client, totp_now(default_totp))
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user_id(client) == str(user_with_totp.pk)
    assert client.session[DEVICE_ID_SESSION_KEY] == default_totp.persistent_id
    assert otp_status(client) == {"authenticated": True, "verified": True,
                                  "device": default_totp.persistent_id}
    assert "wizard_login_view" not in client.session


def test_a_device_not_named_default_still_asks_for_a_token(client, user):
    device = TOTPDevice.objects.create(user=user, name="phone")
    response = post_password(client)
    assert current_step(response) == "token"
    assert response.context["device"] == device
    assert post_token(client, totp_now(device)).status_code == 302
    assert otp_status(client)["verified"] is True


def test_the_password_never_enters_the_session(client, user_with_totp):
    post_password(client)
    stored = json.dumps(dict(client.session))
    assert PASSWORD not in stored
    assert "alice" not in stored  # no form data at all, the username neither
    wizard = client.session["wizard_login_view"]
    # The password step's entries as django-two-factor-auth's sessions had them (sites' tests
    # compare them): no input kept, nothing in validated_step_data.
    assert wizard["step"] == "token"
    assert wizard["step_data"] == {"auth": None}
    assert wizard["step_files"] == {"auth": {}}
    assert wizard["validated_step_data"] == {}
    assert set(wizard["extra_data"]) == {"auth_hash", "device"}
    # The keys of django-two-factor-auth's LoginStorage and login view, which sites' tests read.
    assert wizard["user_pk"] == str(user_with_totp.pk)
    assert wizard["user_backend"] == "django.contrib.auth.backends.ModelBackend"
    assert isinstance(wizard["authentication_time"], int)


def test_the_token_step_has_no_way_back_to_the_password(client, user_with_totp, default_totp):
    """The password step, not kept as validated step data, still counts as done."""
    response = post_password(client)
    assert response.context["wizard"]["steps"].prev is None
    assert 'value="auth"' not in response.content.decode()
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_session_key_is_cycled(client, user_with_totp, default_totp):
    post_password(client)
    key_between_steps = client.session.session_key
    assert key_between_steps
    post_token(client, totp_now(default_totp))
    assert client.session.session_key != key_between_steps
    assert signed_in_user_id(client) == str(user_with_totp.pk)


def test_session_key_is_cycled_for_a_password_only_session(client, user_with_totp, default_totp):
    client.force_login(user_with_totp)
    before = client.session.session_key
    post_password(client)
    post_token(client, totp_now(default_totp))
    assert client.session.session_key != before
    assert otp_status(client)["verified"] is True


def planted_session_key():
    """The key of a session that someone else made (a wrong password stores wizard state)."""
    attacker = Client()
    post_password(attacker, username="nobody", password="wrong")
    return attacker, attacker.cookies[django_settings.SESSION_COOKIE_NAME].value


def test_the_password_step_renews_a_key_from_before_it(client, user_with_totp, default_totp):
    attacker, planted = planted_session_key()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = planted
    assert current_step(post_password(client)) == "token"
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != planted
    assert not Session.objects.filter(session_key=planted).exists()
    # Whoever planted the key holds a session that never passed the password step: a backup
    # token (stolen, say) alone signs nobody in.
    StaticDevice = default_totp.user.staticdevice_set.model
    StaticDevice.objects.create(user=user_with_totp, name="backup").token_set.create(token="backup01")
    response = attacker.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    assert current_step(response) == "auth"
    post_token(attacker, "backup01", step="backup")
    assert signed_in_user_id(attacker) is None
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_a_sign_in_from_a_fresh_browser_keeps_the_key_the_password_step_made(
        client, user_with_totp, default_totp):
    post_password(client)  # the GET made no session: this step made the key, nothing to renew
    key = client.session.session_key
    assert client.post(URL, {STEP: "token", "wizard_goto_step": "token"}).status_code == 200
    assert client.session.session_key == key


def test_user_verified_signal(client, user_with_totp, default_totp):
    calls = []

    def receiver(sender, **kwargs):
        calls.append((sender, kwargs))

    user_verified.connect(receiver)
    try:
        post_password(client)
        assert calls == []
        post_token(client, totp_now(default_totp))
    finally:
        user_verified.disconnect(receiver)
    assert len(calls) == 1
    sender, kwargs = calls[0]
    assert sender == "two_factor.views.core"  # the documented sender
    assert kwargs["user"] == user_with_totp
    assert kwargs["device"] == default_totp
    assert kwargs["request"].path == URL


def test_user_verified_as_old_tests_patch_it(client, user_with_totp, default_totp):
    """The patch target and the call that tests written for django-two-factor-auth use."""
    with mock.patch("two_factor.views.core.signals.user_verified.send") as send:
        post_password(client)
        send.assert_not_called()
        assert post_token(client, totp_now(default_totp)).status_code == 302
    send.assert_called_with(sender=ANY, request=ANY, user=user_with_totp, device=default_totp)


def test_no_signal_without_device(client, user):
    calls = []
    user_verified.connect(calls.append)
    try:
        post_password(client)
    finally:
        user_verified.disconnect(calls.append)
    assert calls == []


# Wrong tokens


def test_wrong_token_is_a_form_error_then_throttled(client, user_with_totp, default_totp, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 60  # a window no slow machine passes between two posts
    post_password(client)
    good = totp_now(default_totp)
    wrong = f"{(int(good) + 1) % 1000000:06d}"
    response = post_token(client, wrong)
    assert current_step(response) == "token"
    assert "Invalid token" in response.content.decode()
    response = post_token(client, good)  # right, but too soon after a failure
    assert current_step(response) == "token"
    assert "Verification temporarily disabled because of 1 failed attempt" in \
        response.content.decode()
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize("token", [
    "", "abcdef", "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "1" * 1000, "12 34 56\x00",
    "' OR 1=1 --", "<script>",
])
def test_tokens_of_any_shape_are_form_errors(client, user_with_totp, default_totp, token):
    post_password(client)
    response = post_token(client, token)
    assert current_step(response) == "token"
    assert response.context["wizard"]["form"].errors
    assert signed_in_user_id(client) is None


def test_missing_token_field(client, user_with_totp):
    post_password(client)
    response = client.post(URL, {STEP: "token"})
    assert current_step(response) == "token"
    assert response.context["wizard"]["form"].errors


# Backup tokens


def test_sign_in_with_a_backup_token(client, user_with_totp, default_totp, backup_device):
    response = post_password(client)
    assert response.context["backup_tokens"] == 3
    assert 'name="wizard_goto_step" value="backup"' in response.content.decode()
    assert "Use Backup Token" in response.content.decode()  # the wording old tests look for
    response = client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    page = response.content.decode()
    assert 'name="wizard_goto_step" value="token"' in page  # back to the device
    assert "Other ways to sign in" in page
    assert current_step(response) == "backup"
    response = post_token(client, "backup02", step="backup")
    assert response.status_code == 302
    assert otp_status(client)["device"] == backup_device.persistent_id
    assert sorted(StaticToken.objects.values_list("token", flat=True)) == ["backup01", "backup03"]


def test_backup_step_accepts_backup_tokens_only(client, user_with_totp, default_totp,
                                                backup_device):
    post_password(client)
    client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    response = post_token(client, totp_now(default_totp), step="backup")
    assert current_step(response) == "backup"
    assert signed_in_user_id(client) is None


def test_backup_step_takes_the_confirmed_backup_device_not_an_older_unconfirmed_one(
        client, user_with_totp, default_totp):
    # An older backup device that was never confirmed (made by an admin, say) is not the one
    # whose tokens the backup step checks: the confirmed one's are.
    unconfirmed = StaticDevice.objects.create(user=user_with_totp, name="backup", confirmed=False)
    unconfirmed.token_set.create(token="unconf01")
    confirmed = StaticDevice.objects.create(user=user_with_totp, name="backup")
    confirmed.token_set.create(token="backup01")
    post_password(client)
    client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    assert post_token(client, "backup01", step="backup").status_code == 302
    assert otp_status(client)["device"] == confirmed.persistent_id
    assert list(StaticToken.objects.values_list("token", flat=True)) == ["unconf01"]


def test_back_from_the_backup_step_to_the_token(client, user_with_totp, default_totp,
                                                backup_device):
    post_password(client)
    client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    response = client.post(URL, {STEP: "backup", "wizard_goto_step": "token"})
    assert current_step(response) == "token"
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_no_backup_button_or_step_without_backup_tokens(client, user_with_totp):
    response = post_password(client)
    assert response.context["backup_tokens"] == 0
    assert 'value="backup"' not in response.content.decode()
    response = client.post(URL, {STEP: "token", "wizard_goto_step": "backup"})
    assert current_step(response) == "token"
    assert "no backup tokens" in response.content.decode()


def test_backup_tokens_alone_do_not_ask_for_a_token(client, user, backup_device):
    # A static device is not a sign-in device of any method: the password is enough.
    assert post_password(client).status_code == 302


# Where to go afterwards


def test_next_is_honoured(client, user_with_totp, default_totp):
    response = client.get(URL + "?next=/somewhere/")
    assert 'name="next" value="/somewhere/"' in response.content.decode()
    post_password(client, next="/somewhere/")
    response = post_token(client, totp_now(default_totp), next="/somewhere/")
    assert response["Location"] == "/somewhere/"


def test_next_from_the_query_string(client, user):
    response = client.post(URL + "?next=/from-get/", {STEP: "auth", "auth-username": "alice",
                                                      "auth-password": PASSWORD})
    assert response["Location"] == "/from-get/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "http:/evil"])
def test_external_next_is_refused(client, user, target):
    response = post_password(client, next=target)
    assert response["Location"] == "/"


@pytest.mark.urls(__name__)
def test_redirect_authenticated_user(client, user_with_totp, default_totp):
    url = reverse("redirecting-login")
    assert client.get(url).status_code == 200  # anonymous: the form
    client.force_login(user_with_totp)
    assert client.get(url).status_code == 200  # not verified yet: the form, to verify
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = default_totp.persistent_id
    session.save()
    response = client.get(url + "?next=/after/")
    assert response.status_code == 302 and response["Location"] == "/after/"


@pytest.mark.urls(__name__)
def test_redirect_authenticated_user_to_the_login_page_is_a_loop(verified_client, settings):
    url = reverse("redirecting-login")
    settings.LOGIN_REDIRECT_URL = url
    with pytest.raises(ValueError, match="Redirection loop.*LOGIN_REDIRECT_URL"):
        verified_client.get(url)
    with pytest.raises(ValueError, match="Redirection loop"):
        verified_client.get(f"{url}?next={url}")
    settings.LOGIN_REDIRECT_URL = "/after/"
    assert verified_client.get(url)["Location"] == "/after/"


def test_authenticated_user_sees_the_form_by_default(verified_client):
    assert verified_client.get(URL).status_code == 200


# Between the steps: timeout and changes to the account


def later(monkeypatch, seconds):
    from two_factor.flows import login as flows

    real = flows.now
    monkeypatch.setattr(flows, "now", lambda: real() + seconds)


TIMED_OUT = "Your session has timed out. Please login again."


@pytest.mark.parametrize("change", ["timeout", "password"])
@pytest.mark.parametrize("action", [{"challenge_device": "email"}, {"wizard_goto_step": "backup"}])
def test_other_actions_check_the_sign_in_whatever_step_they_name(
        client, user_with_totp, email_method, monkeypatch, change, action):
    """Choosing another device or the backup step acts on the sign-in in progress, even when
    the request names the password step as its own: no token goes out after it timed out or
    the password changed."""
    device = EmailDevice.objects.create(user=user_with_totp, name="default", email="a@example.com")
    StaticToken.objects.create(device=user_with_totp.staticdevice_set.create(name="backup"),
                               token="backup01")
    post_password(client)
    mail.outbox.clear()
    EmailDevice.objects.filter(pk=device.pk).update(last_generated_timestamp=None)
    if change == "timeout":
        later(monkeypatch, 601)
    else:
        user_with_totp.set_password("a-new-password")
        user_with_totp.save()
    values = {name: device.persistent_id if value == "email" else value
              for name, value in action.items()}
    response = client.post(URL, {STEP: "auth", **values})
    assert current_step(response) == "auth"
    assert response.context["wizard"]["form"].non_field_errors()
    assert mail.outbox == []


def test_timeout_between_the_steps(client, user_with_totp, default_totp, monkeypatch, caplog):
    post_password(client)
    later(monkeypatch, 601)
    with caplog.at_level("INFO", logger="two_factor.views.core"):
        response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert response.context["wizard"]["form"].non_field_errors() == [TIMED_OUT]
    assert TIMED_OUT in response.content.decode()
    assert [record.name for record in caplog.records if "timed out" in record.getMessage()] \
        == ["two_factor.views.core"]
    assert signed_in_user_id(client) is None
    stored = json.dumps(dict(client.session))
    assert "user_pk" not in stored and "authentication_time" not in stored
    # The token was not used up, and the next sign-in works.
    post_password(client)
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_timeout_as_old_tests_patch_it(client, user_with_totp, default_totp):
    """The clock and the logger that tests written for django-two-factor-auth patch, and the
    start of the sign-in where they read it."""
    with mock.patch("two_factor.views.core.time") as clock, \
            mock.patch("two_factor.views.core.logger") as logger:
        clock.time.return_value = 12345.12
        post_password(client)
        assert client.session["wizard_login_view"]["authentication_time"] == 12345
        clock.time.return_value = 12345 + 600
        assert current_step(client.post(URL, {STEP: "token"})) == "token"  # not yet
        logger.info.assert_not_called()
        clock.time.return_value = 12345 + 601
        response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert response.context["wizard"]["form"].non_field_errors() == [TIMED_OUT]
    logger.info.assert_called_once_with(
        "User's authentication flow has timed out. The user has been redirected to the "
        "initial auth form.")
    assert signed_in_user_id(client) is None


def test_the_timeout_logger_is_named_after_the_old_module():
    from two_factor.views import core

    assert core.logger.name == "two_factor.views.core"


def test_within_the_timeout(client, user_with_totp, default_totp, monkeypatch, settings):
    from two_factor.flows import login as flows

    settings.TWO_FACTOR_LOGIN_TIMEOUT = 60
    start = flows.now()
    monkeypatch.setattr(flows, "now", lambda: start)  # a slow machine's second is not counted
    post_password(client)
    later(monkeypatch, 59)
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_the_timeout_counts_whole_seconds(client, user_with_totp, default_totp, monkeypatch,
                                          settings):
    # The password step is kept in whole seconds (1000): the clock is read so too, or a sign-in
    # whose password came at 1000.9 would end at 1060.95, 0.05 s short of its 60 s.
    from two_factor.flows import login as flows

    settings.TWO_FACTOR_LOGIN_TIMEOUT = 60
    monkeypatch.setattr(flows, "now", lambda: 1000.9)
    post_password(client)
    monkeypatch.setattr(flows, "now", lambda: 1060.95)
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_timeout_zero_means_none(client, user_with_totp, default_totp, monkeypatch, settings):
    settings.TWO_FACTOR_LOGIN_TIMEOUT = 0
    post_password(client)
    later(monkeypatch, 10 ** 6)
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_password_change_between_the_steps(client, user_with_totp, default_totp):
    post_password(client)
    user_with_totp.set_password("a-new-password")
    user_with_totp.save()
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert "please start again" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_deactivation_between_the_steps(client, user_with_totp, default_totp):
    post_password(client)
    user_with_totp.is_active = False
    user_with_totp.save()
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_password_sent_again_after_a_deactivation_between_the_steps(client, user_with_totp,
                                                                   default_totp):
    # The password form posted again (the browser's back button) once the user is gone: the
    # sign-in starts over, not a 500.
    post_password(client)
    user_with_totp.is_active = False
    user_with_totp.save()
    response = post_password(client)
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_deleted_user_between_the_steps(client, user_with_totp, default_totp):
    post_password(client)
    token = totp_now(default_totp)
    user_with_totp.delete()
    response = post_token(client, token)
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_device_removed_between_the_steps(client, user_with_totp, default_totp):
    post_password(client)
    token = totp_now(default_totp)
    default_totp.delete()
    response = post_token(client, token)
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


# Changing the user after the password step


def test_going_back_and_changing_the_credentials_needs_the_new_users_token(
        client, user_with_totp, default_totp, bob_with_totp, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # alice's token counts as a failure on bob's device
    assert current_step(post_password(client)) == "token"
    response = client.post(URL, {STEP: "token", "wizard_goto_step": "auth"})
    assert current_step(response) == "auth"
    response = post_password(client, username="bob")
    assert current_step(response) == "token"
    assert response.context["device"] == bob_with_totp
    response = post_token(client, totp_now(default_totp))  # alice's token
    assert current_step(response) == "token"
    assert signed_in_user_id(client) is None
    assert post_token(client, totp_now(bob_with_totp)).status_code == 302
    assert signed_in_user_id(client) == str(bob_with_totp.user_id)


def test_posting_the_password_step_again_starts_over(client, user_with_totp, default_totp,
                                                     other_user):
    post_password(client)
    # Bob has no device: his password alone signs him in, as himself, never as alice.
    assert post_password(client, username="bob").status_code == 302
    assert signed_in_user_id(client) == str(other_user.pk)
    assert otp_status(client)["verified"] is False


def test_the_token_step_cannot_be_kept_for_another_user(client, user_with_totp, default_totp,
                                                        bob_with_totp):
    post_password(client)
    post_token(client, totp_now(default_totp))
    assert signed_in_user_id(client) == str(user_with_totp.pk)
    # The wizard is over: bob's password leads to bob's token step, and alice stays signed in.
    response = post_password(client, username="bob")
    assert current_step(response) == "token"
    assert response.context["device"] == bob_with_totp
    response = post_token(client, "000000")
    assert current_step(response) == "token"
    assert signed_in_user_id(client) == str(user_with_totp.pk)


# Another device


@pytest.fixture
def second_totp(user_with_totp):
    return TOTPDevice.objects.create(user=user_with_totp, name="tablet")


def test_other_devices_are_offered_and_can_be_chosen(client, default_totp, second_totp,
                                                     settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    response = post_password(client)
    assert response.context["other_devices"] == [second_totp]
    content = response.content.decode()
    assert f'name="challenge_device" value="{second_totp.persistent_id}"' in content
    response = client.post(URL, {STEP: "token", "challenge_device": second_totp.persistent_id})
    assert current_step(response) == "token"
    assert response.context["device"] == second_totp
    assert response.context["other_devices"] == [default_totp]
    response = post_token(client, totp_now(default_totp))  # the other device's token
    assert current_step(response) == "token"
    assert post_token(client, totp_now(second_totp)).status_code == 302
    assert otp_status(client)["device"] == second_totp.persistent_id


def test_choosing_an_interactive_device_sends_a_challenge(client, user_with_totp, default_totp,
                                                         email_method):
    email = EmailDevice.objects.create(user=user_with_totp, name="email")
    response = post_password(client)
    assert "Send me a token by email" in response.content.decode()
    response = client.post(URL, {STEP: "token", "challenge_device": email.persistent_id})
    assert current_step(response) == "token"
    assert "sent by email" in response.content.decode()
    assert "Enter the token we sent by email." in response.content.decode()
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert post_token(client, email.token).status_code == 302
    assert otp_status(client)["device"] == email.persistent_id


def test_a_failing_challenge_is_a_message(client, user_with_totp, email_method, monkeypatch):
    email = EmailDevice.objects.create(user=user_with_totp, name="email")

    def broken(self, *args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(EmailDevice, "generate_challenge", broken)
    post_password(client)
    response = client.post(URL, {STEP: "token", "challenge_device": email.persistent_id})
    assert current_step(response) == "token"
    assert "could not be sent" in response.content.decode()
    assert "Enter the token we sent by email." not in response.content.decode()  # none was


@pytest.mark.parametrize("device_id", [
    "garbage", "", "otp_totp.totpdevice/999999", "otp_totp.totpdevice/-1", "auth.user/1",
    "otp_totp.totpdevice/1/2", "x" * 5000, "otp_hotp.hotpdevice/{hotp}", "MALICIOUS/INPUT/666",
])
def test_choosing_a_device_that_is_not_usable_keeps_the_token_step(
        client, user_with_totp, default_totp, hotp_device, device_id):
    # A HOTP device is the user's, but no registered method knows it. The answer is the token
    # step of the device asked before, with a notice, and a 200 as the old view gave.
    device_id = device_id.format(hotp=hotp_device.pk)
    post_password(client)
    response = client.post(URL, {STEP: "token", "challenge_device": device_id})
    assert current_step(response) == "token"
    assert response.context["device"] == default_totp
    assert "cannot be used" in response.content.decode()
    assert signed_in_user_id(client) is None
    assert post_token(client, totp_now(default_totp)).status_code == 302


def test_choosing_another_users_device_keeps_the_token_step(client, user_with_totp,
                                                            default_totp, bob_with_totp):
    post_password(client)
    response = client.post(URL, {STEP: "token", "challenge_device": bob_with_totp.persistent_id})
    assert current_step(response) == "token"
    assert response.context["device"] == default_totp
    assert "cannot be used" in response.content.decode()


def test_anonymous_challenge_device_shows_the_password_step(client, default_totp):
    response = client.post(URL, {STEP: "token", "challenge_device": default_totp.persistent_id})
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_token_form_comes_from_the_devices_method(client, user_with_totp):
    class MarkedTokenForm(AuthenticationTokenForm):
        pass

    class MarkedMethod(EmailTestMethod):
        code = "test-marked"

        def get_token_form_class(self):
            return MarkedTokenForm

    EmailDevice.objects.create(user=user_with_totp, name="default")
    TOTPDevice.objects.filter(user=user_with_totp).delete()
    registry.register(MarkedMethod())
    try:
        response = post_password(client)
    finally:
        registry.unregister("test-marked")
    assert type(response.context["wizard"]["form"]) is MarkedTokenForm


# Bad input: a 4xx or a form, never a 500


def test_missing_management_form_is_a_400(client, user_with_totp):
    assert client.post(URL, {"auth-username": "alice", "auth-password": PASSWORD}).status_code \
        == 400
    post_password(client)
    assert client.post(URL, {"token-otp_token": "123456"}).status_code == 400


@pytest.mark.parametrize("step", ["nope", "", "backup", "token", "AUTH", "x" * 1000])
def test_unknown_or_unavailable_step_shows_the_password_step(client, user_with_totp, step):
    client.get(URL)
    response = client.post(URL, {STEP: step, f"{step}-otp_token": "123456"})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_unknown_step_after_the_password(client, user_with_totp):
    post_password(client)
    response = client.post(URL, {STEP: "nope"})
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_token_step_before_the_password_step(client, default_totp):
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None
    default_totp.refresh_from_db()
    assert default_totp.last_t == -1  # the token was not even checked


@pytest.mark.parametrize("goto", ["nope", "backup", "token", "", "auth"])
def test_goto_any_step_before_the_password(client, user_with_totp, goto):
    response = client.post(URL, {STEP: "auth", "wizard_goto_step": goto})
    assert response.status_code in (200, 400)
    if response.status_code == 200:
        assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_goto_unknown_step_after_the_password(client, user_with_totp):
    post_password(client)
    response = client.post(URL, {STEP: "token", "wizard_goto_step": "nope",
                                 "token-otp_token": "abc"})
    assert current_step(response) == "token"
    assert signed_in_user_id(client) is None


def test_expired_wizard(client, user_with_totp, default_totp):
    post_password(client)
    session = client.session
    session.flush()  # the session expired or was cleared
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_garbage_in_the_stored_wizard_is_not_a_500(client, user_with_totp, default_totp):
    post_password(client)
    session = client.session
    session["wizard_login_view"].update(user_pk="not-a-pk", user_backend="no.such.Backend")
    session["wizard_login_view"]["authentication_time"] = "yesterday"
    session.save()
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_a_sign_in_stored_in_an_older_layout_starts_again(client, user_with_totp, default_totp):
    """A sign-in in progress across a deploy that changed how the user is kept: no 500."""
    post_password(client)
    session = client.session
    wizard = session["wizard_login_view"]
    wizard["authenticated_user"] = [wizard.pop("user_pk"), wizard.pop("user_backend")]
    session.save()
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


# Query counts. With the database session backend (as here) Django's session machinery alone
# costs 4 queries on the password step (new session: exists, savepoint, insert, release) and 4
# on the token step (load; the final save: savepoint, update, release); the new session key of
# the sign-in is one UPDATE (two_factor.flows.session, where auth.login's cycle_key would make
# six); auth.login's last_login update is one more. The rest is ours: 3 on the password step
# (authenticate; the device summary, a UNION that also counts the backup tokens and shows that
# there is no other device to offer; the default device) and 2 on the token step (the user with
# the device asked for a token, in one query; the claim).


@pytest.fixture
def measured_client(client, user_with_totp, default_totp):
    return client


def test_queries_get(measured_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        measured_client.get(URL)


def test_queries_password_step(measured_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(7):
        response = post_password(measured_client)
    assert current_step(response) == "token"


def test_queries_token_step(measured_client, default_totp, django_assert_max_num_queries):
    post_password(measured_client)
    with django_assert_max_num_queries(8):
        response = post_token(measured_client, totp_now(default_totp))
    assert response.status_code == 302


def test_queries_without_database_sessions(measured_client, default_totp, settings,
                                           django_assert_max_num_queries):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    with django_assert_max_num_queries(0):
        measured_client.get(URL)
    with django_assert_max_num_queries(3):
        assert current_step(post_password(measured_client)) == "token"
    # 3, and the attempt's claim (``flows.once``): a SELECT (not finished yet?) and an INSERT,
    # in a savepoint here (2 statements more), as the test runs in a transaction.
    with django_assert_max_num_queries(7):
        assert post_token(measured_client, totp_now(default_totp)).status_code == 302


def test_queries_password_step_with_backup_tokens(measured_client, backup_device,
                                                  django_assert_num_queries):
    # 2 fewer than the 9 before the device summary: the other devices and the backup token
    # count were a query each.
    with django_assert_num_queries(7):
        response = post_password(measured_client)
    assert current_step(response) == "token"
    assert response.context["backup_tokens"] == 3
    assert response.context["other_devices"] == []
    assert 'name="wizard_goto_step" value="backup"' in response.content.decode()


def test_no_backup_button_when_the_backup_device_has_no_tokens_left(
        measured_client, backup_device, django_assert_num_queries):
    backup_device.token_set.all().delete()
    with django_assert_num_queries(7):
        response = post_password(measured_client)
    assert response.context["backup_tokens"] == 0
    assert 'value="backup"' not in response.content.decode()


def test_queries_password_step_with_a_second_device(measured_client, second_totp, backup_device,
                                                    django_assert_num_queries):
    # Another device to offer: the methods are asked for it (one query, the generator's).
    with django_assert_num_queries(8):
        response = post_password(measured_client)
    assert response.context["other_devices"] == [second_totp]
    assert response.context["backup_tokens"] == 3
    assert f'name="challenge_device" value="{second_totp.persistent_id}"' in response.content.decode()


def test_a_refused_token_shows_the_same_token_step(measured_client, backup_device, second_totp,
                                                   default_totp):
    post_password(measured_client)
    response = post_token(measured_client, "000000" if totp_now(default_totp) != "000000" else "111111")
    assert current_step(response) == "token"
    assert response.context["backup_tokens"] == 3
    assert response.context["other_devices"] == [second_totp]


def test_a_backend_with_its_own_user_lookup_is_asked_on_the_token_step(
        measured_client, default_totp, settings, django_assert_max_num_queries):
    # Not the plain ModelBackend: the user is not taken from the device's row but from the
    # backend, which costs one query more.
    settings.AUTHENTICATION_BACKENDS = ["tests.django_otp.test_middleware.MarkingBackend"]
    post_password(measured_client)
    calls = MarkingBackend.calls
    with django_assert_max_num_queries(9):
        assert post_token(measured_client, totp_now(default_totp)).status_code == 302
    assert MarkingBackend.calls > calls


def test_a_device_moved_to_another_user_during_sign_in_is_refused(
        client, user_with_totp, default_totp, other_user):
    post_password(client)
    TOTPDevice.objects.filter(pk=default_totp.pk).update(user=other_user)
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_goto_backup_posted_as_the_password_step_after_the_user_is_gone(client, user_with_totp,
                                                                         backup_device):
    post_password(client)
    user_with_totp.delete()
    response = client.post(URL, {STEP: "auth", "wizard_goto_step": "backup"})
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_deactivation_with_a_backend_that_allows_inactive_users(client, user_with_totp,
                                                                 default_totp, settings):
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    post_password(client)
    user_with_totp.is_active = False
    user_with_totp.save()
    response = post_token(client, totp_now(default_totp))
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None


def test_backup_step_posted_without_choosing_it(client, user_with_totp, backup_device):
    post_password(client)
    response = post_token(client, "backup01", step="backup")
    assert current_step(response) == "auth"
    assert signed_in_user_id(client) is None
    assert StaticToken.objects.filter(token="backup01").exists()


def test_a_default_device_that_no_method_knows_still_signs_in(client, user):
    # A device whose plugin was removed, say: the core token form checks its token.
    device = HOTPDevice.objects.create(user=user, name="default")
    assert registry.method_from_device(device) is None
    assert current_step(post_password(client)) == "token"
    assert post_token(client, hotp_at(device)).status_code == 302
    assert otp_status(client)["device"] == device.persistent_id


def test_cancel_goes_to_logout_redirect_url_when_set(client, user_with_totp, settings):
    """As django-two-factor-auth's login: Cancel on every step goes to LOGOUT_REDIRECT_URL."""
    settings.LOGOUT_REDIRECT_URL = "two_factor:profile"
    assert client.get(URL).context["cancel_url"] == "/account/two_factor/"
    assert post_password(client).context["cancel_url"] == "/account/two_factor/"


def test_token_step_has_a_cancel_link_that_starts_over(client, user_with_totp):
    response = post_password(client, url=URL + "?next=/x/")
    assert response.context["cancel_url"] == URL + "?next=/x/"
    assert 'href="/account/login/?next=/x/"' in response.content.decode()
    assert current_step(client.get(response.context["cancel_url"])) == "auth"
    assert "user_pk" not in client.session["wizard_login_view"]
    assert current_step(post_token(client, "123456")) == "auth"


def test_signing_in_over_another_users_session(client, user_with_totp, default_totp, other_user):
    client.force_login(other_user)
    session = client.session
    session["cart"] = "bob's"
    session.save()
    post_password(client)
    response = post_token(client, totp_now(default_totp))
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user_with_totp.pk)
    assert "cart" not in client.session and "wizard_login_view" not in client.session
    assert otp_status(client)["verified"] is True


@pytest.mark.urls(__name__)
def test_a_subclass_may_skip_the_token_step(default_totp):
    """``has_token_step()`` decides, as in django-two-factor-auth: False signs the user in with
    the password alone, unverified."""
    step = "no_token_on_the_intranet_login-current_step"  # the wizard's prefix: its class name
    data = {step: "auth", "auth-username": "alice", "auth-password": PASSWORD}
    inside = Client(REMOTE_ADDR="10.0.0.7")
    response = inside.post("/intranet-login/", data)
    assert response.status_code == 302
    assert otp_status(inside) == {"authenticated": True, "verified": False, "device": None}
    assert current_step(Client().post("/intranet-login/", data)) == "token"
