"""Requests and rows found by fuzzing django_otp that were server errors: each must get a 4xx, a
redirect or a page with a form error, never a 500."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import hotp
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "secret-password"


def quiet_client():
    return Client(raise_request_exception=False)


def verified_client(user, device):
    client = quiet_client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


# 1. A negative HOTP counter (the column allows one): the admin refuses it, and a row that has
#    one anyway verifies the tokens of the counters that exist instead of raising struct.error.

def test_the_hotp_admin_refuses_a_negative_counter(user):
    admin = get_user_model().objects.create_superuser("admin", password=PASSWORD)
    staff = verified_client(admin, TOTPDevice.objects.create(user=admin, name="default"))
    response = staff.post("/admin/otp_hotp/hotpdevice/add/", {
        "user": user.pk, "name": "default", "confirmed": "on",
        "key": "3132333435363738393031323334353637383930", "digits": "6", "tolerance": "5",
        "counter": "-1", "throttling_failure_count": "0"})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["counter"]
    assert not HOTPDevice.objects.filter(user=user).exists()


def test_a_negative_counter_row_verifies_from_counter_zero(user):
    device = HOTPDevice.objects.create(user=user, name="default", counter=-1, tolerance=2)
    assert device.verify_token(f"{hotp(device.bin_key, 0):06d}")
    device.refresh_from_db()
    assert device.counter == 1
    response = quiet_client().post("/otp/login/", {
        "username": user.username, "password": PASSWORD,
        "otp_device": device.persistent_id, "otp_token": "123456"})
    assert response.status_code == 200


def test_a_totp_row_whose_steps_no_counter_holds_refuses_tokens(user):
    device = TOTPDevice.objects.create(user=user, name="default", t0=2**62, step=1, last_t=-(2**63))
    assert not device.verify_token("123456")


# 2. OTPMiddleware in a sync (WSGI) stack leaves request.auser() alone: an async view that
#    awaits it gets a user without otp_device / is_verified.

def test_async_view_under_wsgi_sees_otp_attributes(user):
    response = quiet_client().get("/otp/async-status/")
    assert response.status_code == 200


def test_async_otp_required_under_wsgi_lets_a_verified_user_in(user):
    device = TOTPDevice.objects.create(user=user, name="default")
    response = verified_client(user, device).get("/otp/async-required/")
    assert response.status_code == 200  # not a redirect to sign in again


def test_an_unsaved_hotp_device_at_the_last_counter_checks_it_and_nothing_past_it(user):
    device = HOTPDevice(user=user, name="new", counter=2**64 - 1, tolerance=3)
    last = hotp(device.bin_key, 2**64 - 1)
    assert not device.verify_token(f"{(last + 1) % 10**6:06d}")  # no struct.error past it
    assert device.verify_token(f"{last:06d}")
