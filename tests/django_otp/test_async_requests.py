"""Async use (ASGI, async views, async middleware): ``await request.auser()`` answers as
``request.user`` does, at the same cost."""

import pytest
from asgiref.sync import async_to_sync, markcoroutinefunction, sync_to_async
from django.conf import settings as django_settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import SynchronousOnlyOperation
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.test import AsyncClient, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

import django_otp
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware, aload_verified_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from tests.two_factor.conftest import login_password_only, login_verified

OTP_MIDDLEWARE = "django_otp.middleware.OTPMiddleware"


# Views and middleware of a site that uses async code


async def status_view(request):
    user = await request.auser()
    return JsonResponse({"authenticated": user.is_authenticated, "verified": user.is_verified()})


async def status_asked_twice(request):
    await request.auser()
    return await status_view(request)


async def verify_in_async_view(request):
    """A site's own async verification step: the token was checked (not shown), the session is
    marked verified with ``django_otp.login`` (sync: run in a thread), and the page goes on."""
    user = await request.auser()
    device = await TOTPDevice.objects.filter(user_id=user.pk).afirst()
    await sync_to_async(django_otp.login)(request, device)
    sync_view = await sync_to_async(lambda: request.user.is_verified())()
    async_view = (await request.auser()).is_verified()
    return JsonResponse({"request.user": sync_view, "auser": async_view})


#: What ``AuserAuditMiddleware`` saw of the last request, after the view ran.
AUDIT = {}


class AuserAuditMiddleware:
    """An async middleware after OTPMiddleware that reads the user before the view (as logging,
    tenancy or CSP middleware do) and asks again, after it, whether the user is verified."""

    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        await request.auser()
        response = await self.get_response(request)
        user = await request.auser()
        AUDIT["verified_after_view"] = user.is_verified() if user.is_authenticated else None
        AUDIT["device_in_session"] = DEVICE_ID_SESSION_KEY in request.session
        return response


urlpatterns = [
    path("async/status/", status_view),
    path("async/status-twice/", status_asked_twice),
    path("async/verify/", verify_in_async_view),
    path("", include("tests.urls")),
]

pytestmark = pytest.mark.urls(__name__)


def async_client_of(client):
    """An AsyncClient (ASGI requests) with the session cookie of the sync test client."""
    async_client = AsyncClient()
    async_client.cookies = client.cookies
    return async_client


# 1. (await request.auser()).is_verified() does not follow a verification made or ended during
#    the request: OTPMiddleware's verified_auser() loads the device once and keeps the answer,
#    while django_otp.login() and forget_verification() update request.user only.


def test_auser_sees_a_verification_made_during_the_request(client, user, totp_device):
    login_password_only(client, user)
    answer = async_to_sync(async_client_of(client).get)("/async/verify/").json()
    assert DEVICE_ID_SESSION_KEY in client.session  # the session is verified
    assert answer["request.user"] is True
    assert answer["auser"] is True, "await request.auser() still says 'not verified'"


def test_auser_forgets_a_verification_ended_during_the_request(settings, client, user, totp_device):
    settings.MIDDLEWARE = [*django_settings.MIDDLEWARE, "tests.django_otp.test_async_requests.AuserAuditMiddleware"]
    login_verified(client, user, totp_device)
    async_client = async_client_of(client)
    response = async_to_sync(async_client.post)(reverse("two_factor:disable"), {"understand": "on"})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()  # every device is gone
    assert AUDIT["device_in_session"] is False  # and the session is no longer verified
    assert AUDIT["verified_after_view"] is False, "await request.auser() still says 'verified'"


# 2. The async path costs a query more for a verified session than for a password-only one;
#    the sync path loads the device with the user, in the same query (middleware.py docstring:
#    "A session that names a device costs no query more than one that does not").


def _queries(client, url):
    async_client = async_client_of(client)
    with CaptureQueriesContext(connection) as queries:
        response = async_to_sync(async_client.get)(url)
    assert response.status_code == 200
    return len(queries), response.json()


def test_async_verified_session_costs_no_query_more(client, make_user, totp_device, user):
    password_only = make_user("bob")
    login_password_only(client, password_only)
    base, answer = _queries(client, "/async/status/")
    assert answer == {"authenticated": True, "verified": False}
    login_verified(client, user, totp_device)
    verified, answer = _queries(client, "/async/status/")
    assert answer == {"authenticated": True, "verified": True}
    # Sync path for comparison: the same two queries (session, user joined with its device).
    assert verified == base, f"{verified} queries for a verified session, {base} without"


# 3. aload_verified_device() reads and writes the session with its sync API inside a coroutine:
#    when the user came from an auth layer that did not read the session first, an async view
#    fails with SynchronousOnlyOperation where the sync path works.


def test_async_path_reads_the_session_with_its_async_api(user, totp_device):
    stored = SessionStore()
    stored[DEVICE_ID_SESSION_KEY] = totp_device.persistent_id
    stored.create()

    def request_for(session_key):
        request = RequestFactory().get("/")
        request.session = SessionStore(session_key)  # not read yet, as with a fresh request
        request.user = user  # an auth layer of the site's (token, remote user, ...)

        async def auser():
            return user

        request.auser = auser
        return request

    async def view(request):
        return HttpResponse("verified" if (await request.auser()).is_verified() else "no")

    # The sync path reads the session when it needs it.
    sync_request = request_for(stored.session_key)
    assert OTPMiddleware(lambda r: HttpResponse(str(r.user.is_verified())))(sync_request).content == b"True"

    try:
        response = async_to_sync(OTPMiddleware(view))(request_for(stored.session_key))
    except SynchronousOnlyOperation as error:
        pytest.fail(f"the async path read the session synchronously: {error}")
    assert response.content == b"verified"


def test_asking_auser_again_costs_no_query(client, user, totp_device):
    login_verified(client, user, totp_device)
    once, answer = _queries(client, "/async/status/")
    twice, answer_twice = _queries(client, "/async/status-twice/")
    assert answer == answer_twice == {"authenticated": True, "verified": True}
    assert twice == once


def test_aload_verified_device_reads_an_unread_session_with_its_async_api(user, totp_device):
    stored = SessionStore()
    stored[DEVICE_ID_SESSION_KEY] = totp_device.persistent_id
    stored.create()
    request = RequestFactory().get("/")
    request.session = SessionStore(stored.session_key)  # not read yet

    try:
        device = async_to_sync(aload_verified_device)(request, user)
    except SynchronousOnlyOperation as error:
        pytest.fail(f"the session was read synchronously: {error}")
    assert device == totp_device


def _site_auth_request(user, session, auser):
    request = RequestFactory().get("/")
    request.session = session
    request.user = user
    request.auser = auser
    return request


def test_auser_of_a_site_auth_layer_loads_the_device_once(user, totp_device):
    async def auser():
        return user

    def queries(times):
        async def view(request):
            for _ in range(times):
                answer = await request.auser()
            return HttpResponse(str(answer.is_verified()))

        request = _site_auth_request(user, {DEVICE_ID_SESSION_KEY: totp_device.persistent_id}, auser)
        with CaptureQueriesContext(connection) as captured:
            response = async_to_sync(OTPMiddleware(view))(request)
        assert response.content == b"True"
        return len(captured)

    assert queries(3) == queries(1)


def test_auser_verifies_each_user_object_it_is_given(user, totp_device):
    # An auth layer that loads the user again on each call: every answer is verified.
    async def fresh_user():
        return await type(user).objects.aget(pk=user.pk)

    async def view(request):
        first, second = await request.auser(), await request.auser()
        assert first is not second
        return HttpResponse(f"{first.is_verified()} {second.is_verified()}")

    request = _site_auth_request(user, {DEVICE_ID_SESSION_KEY: totp_device.persistent_id}, fresh_user)
    assert async_to_sync(OTPMiddleware(view))(request).content == b"True True"


def test_auser_keeps_the_user_an_earlier_middleware_loaded(client, user, totp_device):
    login_verified(client, user, totp_device)
    request = RequestFactory().get("/")
    request.session = SessionStore(client.cookies[django_settings.SESSION_COOKIE_NAME].value)
    AuthenticationMiddleware(lambda r: None)(request)
    early = async_to_sync(request.auser)()  # a middleware between the two asked first

    async def view(request):
        seen = await request.auser()
        return HttpResponse(f"{seen is early} {early.is_verified()}")

    assert async_to_sync(OTPMiddleware(view))(request).content == b"True True"
