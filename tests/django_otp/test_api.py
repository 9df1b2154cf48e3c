"""The functional API of ``django_otp``: finding devices, verifying tokens, marking sessions."""

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import QuerySet
from django.test import RequestFactory

import django_otp
from django_otp import (
    DEVICE_ID_SESSION_KEY,
    device_classes,
    devices_for_user,
    login,
    match_token,
    user_has_device,
    verify_token,
)
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import hotp_at, totp_now


def make_request(user=None):
    request = RequestFactory().get("/")
    request.session = SessionStore()
    request.user = user if user is not None else AnonymousUser()
    return request


def test_session_key_name():
    assert DEVICE_ID_SESSION_KEY == "otp_device_id"


def test_device_classes():
    # Ours, and those of the installed plugin apps (the phone plugin's PhoneDevice, ...).
    from django.apps import apps

    from django_otp.models import Device

    classes = set(device_classes())
    assert {TOTPDevice, HOTPDevice, StaticDevice, EmailDevice} <= classes
    assert classes == {model for model in apps.get_models() if issubclass(model, Device)}


# devices_for_user / user_has_device


def test_devices_for_user_filters_on_confirmed(user, totp_device, hotp_device):
    hotp_device.confirmed = False
    hotp_device.save()
    assert list(devices_for_user(user)) == [totp_device]
    assert list(devices_for_user(user, confirmed=False)) == [hotp_device]
    assert set(devices_for_user(user, confirmed=None)) == {totp_device, hotp_device}


def test_devices_for_user_sees_every_kind_and_only_the_users(
        user, other_user, totp_device, hotp_device, static_device, email_device):
    TOTPDevice.objects.create(user=other_user, name="theirs")
    assert set(devices_for_user(user)) == {totp_device, hotp_device, static_device, email_device}
    assert [device.name for device in devices_for_user(other_user)] == ["theirs"]


@pytest.mark.parametrize("anonymous", [None, AnonymousUser()])
def test_devices_for_anonymous_users(totp_device, anonymous):
    assert list(devices_for_user(anonymous)) == []
    assert list(devices_for_user(anonymous, confirmed=None)) == []
    assert user_has_device(anonymous) is False


def test_devices_for_an_unsaved_user(db):
    from django.contrib.auth import get_user_model

    assert list(devices_for_user(get_user_model()(username="ghost"))) == []


def test_devices_for_verifying_lock_the_rows_only_of_devices_that_read_then_save(
        user, totp_device, monkeypatch):
    """``for_verify=True``: the models that do not claim tokens atomically (read, check,
    ``save()``) are read ``select_for_update``; the others claim in one UPDATE and lock nothing."""
    locked = []
    select_for_update = QuerySet.select_for_update

    def spy(queryset, *args, **kwargs):
        locked.append(queryset.model)
        return select_for_update(queryset, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    assert list(devices_for_user(user, for_verify=True)) == [totp_device]
    read_then_save = {model for model in device_classes() if not model.claims_tokens_atomically}
    assert read_then_save  # the YubiKey models of the test settings
    assert set(locked) == read_then_save
    locked.clear()
    list(devices_for_user(user))
    assert locked == []


def test_user_has_device(user, other_user, totp_device):
    assert user_has_device(user) is True
    assert user_has_device(other_user) is False
    totp_device.confirmed = False
    totp_device.save()
    assert user_has_device(user) is False
    assert user_has_device(user, confirmed=False) is True
    assert user_has_device(user, confirmed=None) is True


# verify_token / match_token


def test_verify_token_with_own_device(user, totp_device):
    token = totp_now(totp_device)
    assert verify_token(user, totp_device.persistent_id, token) == totp_device
    assert verify_token(user, totp_device.persistent_id, token) is None  # used


def test_verify_token_with_another_users_device(user, other_user, hotp_device):
    token = hotp_at(hotp_device, 0)
    assert verify_token(other_user, hotp_device.persistent_id, token) is None
    hotp_device.refresh_from_db()
    assert hotp_device.counter == 0  # not consumed
    assert hotp_device.throttling_failure_count == 0  # and not held against the owner
    assert verify_token(user, hotp_device.persistent_id, token) == hotp_device


@pytest.mark.parametrize("device_id", ["", "garbage", "otp_totp.totpdevice/999999", None, "auth.user/1"])
def test_verify_token_with_a_bad_device_id(user, totp_device, device_id):
    assert verify_token(user, device_id, totp_now(totp_device)) is None


def test_verify_token_wrong_token(user, static_device):
    assert verify_token(user, static_device.persistent_id, "wrong") is None
    assert static_device.token_set.count() == 1


@pytest.mark.parametrize("token", ["ab\x00cd", "\x00", "", None, 123456, "x" * 1000])
def test_match_token_refuses_odd_tokens(user, totp_device, hotp_device, static_device, email_device, token):
    assert match_token(user, token) is None
    assert static_device.token_set.count() == 1


def test_match_token_finds_the_device(user, totp_device, hotp_device, static_device):
    assert match_token(user, hotp_at(hotp_device, 2)) == hotp_device
    assert match_token(user, "abcd2345") == static_device
    assert match_token(user, "abcd2345") is None


def test_match_token_ignores_other_users_and_unconfirmed_devices(user, other_user, hotp_device):
    theirs = HOTPDevice.objects.create(user=other_user, name="theirs", key=hotp_device.key)
    assert match_token(other_user, hotp_at(hotp_device, 0)) == theirs
    hotp_device.refresh_from_db()
    assert hotp_device.counter == 0
    hotp_device.confirmed = False
    hotp_device.save()
    assert match_token(user, hotp_at(hotp_device, 0)) is None


def test_match_token_anonymous(totp_device):
    assert match_token(AnonymousUser(), totp_now(totp_device)) is None


# login() and the session


def test_login_marks_the_session(user, totp_device):
    request = make_request(user)
    login(request, totp_device)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert request.user.otp_device == totp_device
    assert request.user.is_verified()


def test_login_ignores_anonymous_users(totp_device):
    request = make_request()
    login(request, totp_device)
    assert DEVICE_ID_SESSION_KEY not in request.session


def test_login_refuses_another_users_device(user, other_user, totp_device):
    request = make_request(other_user)
    login(request, totp_device)
    assert DEVICE_ID_SESSION_KEY not in request.session
    assert getattr(request.user, "otp_device", None) is None


def test_login_with_no_device_is_harmless(user):
    request = make_request(user)
    login(request, None)
    assert DEVICE_ID_SESSION_KEY not in request.session


def password_only_request(user):
    """A request of ``user``'s password-only session, with the cookie its browser sent."""
    request = make_request()
    auth.login(request, user)
    request.session.save()
    request.COOKIES[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return request


def test_login_renews_the_key_the_browser_sent(user, totp_device):
    request = password_only_request(user)
    sent = request.session.session_key
    login(request, totp_device)
    assert request.session.session_key != sent
    assert not SessionStore().exists(sent)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    renewed = request.session.session_key
    login(request, totp_device)  # renewed in this request already: kept
    assert request.session.session_key == renewed


def test_auth_login_of_a_verified_form_renews_a_same_user_session(user, totp_device):
    # auth.login() keeps the key of a session that is already the user's; its receiver renews it.
    request = password_only_request(user)
    sent = request.session.session_key
    user.otp_device = totp_device  # as the OTP forms leave it
    auth.login(request, user)
    assert request.session.session_key != sent
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_verification_survives_auth_login_cycling_the_session(user, totp_device):
    # An anonymous session: auth.login() gives it a new key; the OTP forms leave the device
    # on the user, and the user_logged_in receiver writes it into the new session.
    request = make_request()
    request.session["before"] = 1
    request.session.save()
    old_key = request.session.session_key
    user.otp_device = totp_device
    auth.login(request, user)
    assert request.session.session_key != old_key
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_verification_survives_a_second_auth_login(user, totp_device):
    request = make_request(user)
    auth.login(request, user)
    login(request, totp_device)
    auth.login(request, user)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_auth_login_stores_the_device_of_the_user_logging_in(user, other_user, totp_device):
    # The session belonged to someone else: auth.login() flushes it, the receiver writes ours.
    request = make_request(other_user)
    auth.login(request, other_user)
    request.session[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/999"
    user.otp_device = totp_device  # as the OTP forms leave it
    auth.login(request, user)
    assert request.session[auth.SESSION_KEY] == str(user.pk)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_auth_login_without_otp_leaves_no_device(user, other_user, totp_device):
    request = make_request(other_user)
    auth.login(request, other_user)
    login(request, TOTPDevice.objects.create(user=other_user, name="theirs"))
    auth.login(request, user)  # a plain password login as someone else
    assert DEVICE_ID_SESSION_KEY not in request.session
    user.otp_device = None
    auth.login(request, user)
    assert DEVICE_ID_SESSION_KEY not in request.session


def test_functional_api_is_exported():
    for name in django_otp.__all__:
        assert hasattr(django_otp, name)


def test_login_again_keeps_the_key_of_a_verified_session(user, totp_device):
    # A step-up verification, or login() on every request: the key was renewed the first time,
    # and a concurrent request with it must not find its session gone.
    request = password_only_request(user)
    login(request, totp_device)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = renewed = request.session.session_key
    request.session.save()
    login(request, totp_device)
    assert request.session.session_key == renewed and SessionStore().exists(renewed)


def test_login_in_async_code_sets_the_device_as_before(user, totp_device):
    # django-otp's login() only wrote the session: in async code it must not reach the database.
    request = password_only_request(user)
    sent = request.session.session_key

    async def view():
        await request.session.aget(DEVICE_ID_SESSION_KEY)  # loaded, as auser() leaves it
        login(request, totp_device)

    async_to_sync(view)()
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert request.session.session_key == sent  # alogin() renews it in async code


def test_alogin_renews_the_key_through_the_async_api(user, totp_device, other_user):
    request = password_only_request(user)
    sent = request.session.session_key

    async def auser():
        return user

    request.auser = auser
    async_to_sync(django_otp.alogin)(request, totp_device)
    assert request.session.session_key != sent and not SessionStore().exists(sent)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert user.is_verified()
    theirs = TOTPDevice.objects.create(user=other_user, name="theirs")
    async_to_sync(django_otp.alogin)(request, theirs)  # not the user's: nothing
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_alogin_keeps_the_key_of_a_verified_session(user, totp_device):
    request = password_only_request(user)
    async_to_sync(django_otp.alogin)(request, totp_device)
    request.COOKIES[settings.SESSION_COOKIE_NAME] = renewed = request.session.session_key
    async_to_sync(request.session.asave)()
    async_to_sync(django_otp.alogin)(request, totp_device)  # verified already: a step-up
    assert request.session.session_key == renewed


def test_match_token_goes_on_past_a_device_whose_service_is_down(user, totp_device, hotp_device,
                                                                 monkeypatch, caplog):
    def unreachable(self, token):
        raise OSError("validation service unreachable")

    monkeypatch.setattr(TOTPDevice, "verify_token", unreachable)
    assert match_token(user, hotp_at(hotp_device, 0)) == hotp_device
    assert match_token(user, "123456") is None
    assert "could not check a token" in caplog.text


def test_login_without_a_session_cookie_creates_no_session(user, totp_device):
    # No key was sent, so none can have been planted: the session is saved as usual, later.
    request = make_request(user)
    login(request, totp_device)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id
    assert request.session.session_key is None


def test_alogin_asks_auser_for_the_user(user, totp_device):
    # In async code request.user (a lazy object that queries) is not touched: auser() tells.
    request = password_only_request(user)
    del request.user

    async def auser():
        return user

    request.auser = auser
    async_to_sync(django_otp.alogin)(request, totp_device)
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_alogin_of_an_anonymous_user_does_nothing(user):
    request = make_request()
    unsaved = TOTPDevice(name="no user yet")  # its user_id is None, as an anonymous pk is
    async_to_sync(django_otp.alogin)(request, unsaved)
    assert DEVICE_ID_SESSION_KEY not in request.session


def test_verify_token_refuses_a_token_whose_service_is_down(user, totp_device, monkeypatch, caplog):
    def unreachable(self, token):
        raise OSError("validation service unreachable")

    monkeypatch.setattr(TOTPDevice, "verify_token", unreachable)
    assert verify_token(user, totp_device.persistent_id, totp_now(totp_device)) is None
    assert "could not check a token" in caplog.text


def test_alogin_is_exported():
    assert "alogin" in django_otp.__all__
