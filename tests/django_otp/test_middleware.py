"""``OTPMiddleware`` through the test client: who is verified, and what it costs in queries."""

import pickle

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.test import AsyncClient, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from django_otp import DEVICE_ID_SESSION_KEY, login
from django_otp.middleware import OTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice

STATUS = "/otp/status/"
ASYNC_STATUS = "/otp/async-status/"
DEVICE_TABLES = ("otp_totp_", "otp_hotp_", "otp_static_", "otp_email_")


def status(client, url=STATUS):
    response = client.get(url)
    assert response.status_code == 200
    return response.json()


def set_session_device(client, value):
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = value
    session.save()


def device_queries(queries):
    return [query["sql"] for query in queries if any(table in query["sql"] for table in DEVICE_TABLES)]


@pytest.fixture
def verified_client(client, user, totp_device):
    """A client whose session is signed in and verified by ``totp_device``."""
    client.force_login(user)
    set_session_device(client, totp_device.persistent_id)
    return client


def test_anonymous_is_not_verified(client, totp_device):
    assert status(client) == {"authenticated": False, "verified": False, "device": None}


def test_signed_in_without_otp_is_not_verified(client, user, totp_device):
    client.force_login(user)
    assert status(client) == {"authenticated": True, "verified": False, "device": None}


def test_verified_after_django_otp_login(verified_client, totp_device):
    expected = {"authenticated": True, "verified": True, "device": totp_device.persistent_id}
    assert status(verified_client) == expected
    assert status(verified_client) == expected  # and it stays so


def test_login_in_a_request_verifies_that_request(user, totp_device):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {}

    def view(request):
        assert not request.user.is_verified()
        login(request, totp_device)
        return request.user

    seen = OTPMiddleware(view)(request)
    assert seen.is_verified()
    assert seen.otp_device == totp_device
    assert request.session[DEVICE_ID_SESSION_KEY] == totp_device.persistent_id


def test_deleted_device_is_forgotten(verified_client, totp_device):
    totp_device.delete()
    assert status(verified_client)["verified"] is False
    assert DEVICE_ID_SESSION_KEY not in verified_client.session


def test_unconfirmed_device_is_forgotten(verified_client, totp_device):
    totp_device.confirmed = False
    totp_device.save()
    assert status(verified_client) == {"authenticated": True, "verified": False, "device": None}
    assert DEVICE_ID_SESSION_KEY not in verified_client.session
    totp_device.confirmed = True
    totp_device.save()
    assert status(verified_client)["verified"] is False  # re-confirming does not bring it back


def test_another_users_device_does_not_verify(client, user, other_user):
    theirs = TOTPDevice.objects.create(user=other_user, name="theirs")
    client.force_login(user)
    set_session_device(client, theirs.persistent_id)
    assert status(client)["verified"] is False
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_signing_out_ends_the_verification(verified_client):
    verified_client.logout()
    assert status(verified_client) == {"authenticated": False, "verified": False, "device": None}


@pytest.mark.parametrize("value", [
    "", "garbage", "otp_totp.totpdevice/abc", "auth.user/1", "otp_totp.totpdevice/99999999",
    "x" * 1000, None, 42, ["otp_totp.totpdevice/1"], {"a": 1},
])
def test_garbage_session_value(client, user, totp_device, value):
    client.force_login(user)
    set_session_device(client, value)
    assert status(client)["verified"] is False
    assert client.session.get(DEVICE_ID_SESSION_KEY) is None


# Queries


def test_a_verified_session_costs_no_query_more_than_a_signed_in_one(
        verified_client, django_assert_num_queries):
    # The session, then the user with the session's device joined: the query that would
    # have loaded the user alone.
    with django_assert_num_queries(2) as captured:
        assert status(verified_client)["verified"] is True
    [joined] = device_queries(captured.captured_queries)
    assert "auth_user" in joined and "JOIN" in joined


def test_anonymous_request_makes_no_query(db, client, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get("/otp/username/").content == b""


def test_a_user_lookup_of_its_own_loads_the_device_apart(
        verified_client, totp_device, django_assert_num_queries):
    # A backend with its own get_user: Django's lookup runs, the device is read by key.
    path = "tests.django_otp.test_middleware.MarkingBackend"
    session = verified_client.session
    session[BACKEND_SESSION_KEY] = path
    session.save()
    with override_settings(AUTHENTICATION_BACKENDS=[path]):
        calls = MarkingBackend.calls
        with django_assert_num_queries(3):  # the device is read with the user, as django-otp did
            assert verified_client.get("/otp/username/").content == b"alice"
        with django_assert_num_queries(3):
            assert status(verified_client) == {
                "authenticated": True, "verified": True, "device": totp_device.persistent_id}
    assert MarkingBackend.calls == calls + 2


def test_a_changed_password_signs_the_session_out(verified_client, user):
    user.set_password("another password")
    user.save()
    assert status(verified_client) == {"authenticated": False, "verified": False, "device": None}
    assert SESSION_KEY not in verified_client.session


def test_a_deactivated_user_is_signed_out(verified_client, user):
    user.is_active = False
    user.save()
    assert status(verified_client) == {"authenticated": False, "verified": False, "device": None}


def test_a_session_hash_of_an_old_secret_key_still_verifies(client, user, totp_device):
    with override_settings(SECRET_KEY="the-old-secret-key-" + "x" * 40):
        client.force_login(user)
        set_session_device(client, totp_device.persistent_id)
    with override_settings(SECRET_KEY="the-new-secret-key-" + "y" * 40,
                           SECRET_KEY_FALLBACKS=["the-old-secret-key-" + "x" * 40]):
        assert status(client) == {
            "authenticated": True, "verified": True, "device": totp_device.persistent_id}


def test_a_session_of_another_user_than_the_devices_is_not_verified(client, user, other_user):
    # The session names bob, its device is alice's: bob is signed in, and not verified.
    device = TOTPDevice.objects.create(user=user, name="default")
    client.force_login(other_user)
    set_session_device(client, device.persistent_id)
    assert status(client) == {"authenticated": True, "verified": False, "device": None}
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_unverified_session_costs_no_device_query(client, user, django_assert_num_queries):
    client.force_login(user)
    with django_assert_num_queries(2) as captured:
        assert status(client)["verified"] is False
    assert device_queries(captured.captured_queries) == []


class MarkingBackend(ModelBackend):
    """A backend with its own user lookup, which the middleware must leave to Django."""

    calls = 0

    def get_user(self, user_id):
        type(self).calls += 1
        return super().get_user(user_id)


def test_the_user_object_itself_carries_otp_device(user, totp_device):
    """As with django-otp: a user model's own methods may read ``self.otp_device`` and call
    ``self.is_verified()``, not only code that goes through ``request.user``."""
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: user)
    request.session = {DEVICE_ID_SESSION_KEY: totp_device.persistent_id}

    def view(request):
        request.user.get_username()  # the user is loaded
        real = request.user._wrapped
        return vars(real).get("otp_device"), real.is_verified()

    assert OTPMiddleware(view)(request) == (totp_device, True)


def test_the_device_is_loaded_once_per_request(user, totp_device):
    request = RequestFactory().get("/")
    request.user = user
    request.session = {DEVICE_ID_SESSION_KEY: totp_device.persistent_id}

    def view(request):
        with CaptureQueriesContext(connection) as captured:
            for _ in range(3):
                assert request.user.is_verified()
                assert request.user.otp_device == totp_device
        return captured

    assert len(OTPMiddleware(view)(request).captured_queries) == 1


# The user object: picklable, and fresh on every request


def through_middleware(user, session, view=lambda request: request.user):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session
    return OTPMiddleware(view)(request)


def test_a_verified_user_pickles(user, totp_device):
    seen = through_middleware(user, {DEVICE_ID_SESSION_KEY: totp_device.persistent_id})
    assert seen.is_verified()
    copy = pickle.loads(pickle.dumps(seen))
    assert copy.is_verified() is True
    assert copy.otp_device == totp_device
    assert pickle.loads(pickle.dumps(user)).is_verified() is True  # the real user object too


def test_an_unverified_user_pickles(user):
    seen = through_middleware(user, {})
    assert not seen.is_verified()
    assert pickle.loads(pickle.dumps(seen)).is_verified() is False


def test_a_user_pickled_before_the_device_was_read_takes_it_along(user, totp_device):
    seen = through_middleware(user, {DEVICE_ID_SESSION_KEY: totp_device.persistent_id})
    copy = pickle.loads(pickle.dumps(seen))
    assert copy.is_verified() is True
    assert copy.otp_device == totp_device
    assert seen.is_verified() is True


def test_a_user_verified_by_login_pickles(user, totp_device):
    def view(request):
        login(request, totp_device)
        return request.user

    seen = through_middleware(user, {}, view)
    copy = pickle.loads(pickle.dumps(seen))
    assert copy.is_verified() is True
    assert copy.otp_device == totp_device


def test_a_device_left_by_an_earlier_request_is_not_trusted(user, totp_device):
    first = through_middleware(user, {DEVICE_ID_SESSION_KEY: totp_device.persistent_id})
    assert first.is_verified()
    second = through_middleware(user, {})  # the same user object, a session without a device
    assert second.is_verified() is False
    assert second.otp_device is None


def test_a_device_left_on_the_user_before_the_request_is_not_trusted(user, totp_device):
    user.otp_device = totp_device
    assert through_middleware(user, {}).is_verified() is False


def test_async_a_device_left_by_an_earlier_request_is_not_trusted(user, totp_device):
    async def view(request):
        seen = await request.auser()
        return seen.otp_device

    async def auser():
        return user

    def through_async_middleware(session):
        request = RequestFactory().get("/")
        request.user, request.auser, request.session = user, auser, session
        return async_to_sync(OTPMiddleware(view))(request)

    assert through_async_middleware({DEVICE_ID_SESSION_KEY: totp_device.persistent_id}) == totp_device
    assert through_async_middleware({}) is None
    gone = {DEVICE_ID_SESSION_KEY: "otp_totp.totpdevice/999"}
    assert through_async_middleware(gone) is None and gone == {}  # forgotten
    stored = SessionStore()
    stored[DEVICE_ID_SESSION_KEY] = "otp_totp.totpdevice/999"
    assert through_async_middleware(stored) is None and DEVICE_ID_SESSION_KEY not in stored
    assert user.is_verified() is False
    assert pickle.loads(pickle.dumps(user)).is_verified() is False


def test_the_middleware_constructs_without_get_response():
    middleware = OTPMiddleware()
    assert middleware.get_response is None
    assert not middleware.is_async


# ASGI: an async view reads the user with ``await request.auser()``


def async_status(sync_client=None):
    """The status view through ASGI, with the session cookie of ``sync_client`` if given."""
    client = AsyncClient()
    if sync_client is not None:
        client.cookies = sync_client.cookies
    response = async_to_sync(client.get)(ASYNC_STATUS)
    assert response.status_code == 200
    return response.json()


def test_async_anonymous(totp_device):
    assert async_status() == {"authenticated": False, "verified": False, "device": None}


def test_async_signed_in_without_otp(client, user):
    client.force_login(user)
    assert async_status(client) == {"authenticated": True, "verified": False, "device": None}


def test_async_verified(verified_client, totp_device):
    assert async_status(verified_client) == {
        "authenticated": True, "verified": True, "device": totp_device.persistent_id}


def test_async_unconfirmed_device(verified_client, totp_device):
    totp_device.confirmed = False
    totp_device.save()
    assert async_status(verified_client)["verified"] is False
    assert DEVICE_ID_SESSION_KEY not in verified_client.session


def test_async_another_users_device(client, user, other_user):
    client.force_login(user)
    set_session_device(client, TOTPDevice.objects.create(user=other_user, name="x").persistent_id)
    assert async_status(client)["verified"] is False


def test_async_garbage_session_value(client, user):
    client.force_login(user)
    set_session_device(client, "otp_totp.totpdevice/not-a-number")
    assert async_status(client)["verified"] is False
