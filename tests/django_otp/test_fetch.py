"""django_otp.fetch: a row by key, with the SQL built once, the same as the ORM would load it."""

import datetime

import pytest
from django.utils import timezone

from django_otp import fetch
from django_otp.fetch import fetch_by_pk
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def field_values(instance):
    return {field.attname: getattr(instance, field.attname)
            for field in instance._meta.concrete_fields}


@pytest.fixture
def busy_device(user):
    """A device whose columns hold every kind of value: text, integers, a boolean, a time."""
    return TOTPDevice.objects.create(
        user=user, name="default", confirmed=False, drift=-1, last_t=12345,
        throttling_failure_count=2,
        throttling_failure_timestamp=timezone.now() - datetime.timedelta(seconds=5))


def test_the_instance_is_the_one_the_orm_loads(busy_device, django_assert_num_queries):
    with django_assert_num_queries(1):
        loaded = fetch_by_pk(TOTPDevice, busy_device.pk)
    expected = TOTPDevice.objects.get(pk=busy_device.pk)
    assert field_values(loaded) == field_values(expected)
    assert loaded.confirmed is False and loaded._state.adding is False
    assert loaded._state.db == "default"
    assert timezone.is_aware(loaded.throttling_failure_timestamp)


def test_with_user_the_user_comes_in_the_same_query(busy_device, user, django_assert_num_queries):
    with django_assert_num_queries(1):
        loaded = fetch_by_pk(TOTPDevice, busy_device.pk, with_user=True)
        assert loaded.user == user
    assert field_values(loaded.user) == field_values(type(user).objects.get(pk=user.pk))


def test_a_missing_row_is_none(db, django_assert_num_queries):
    with django_assert_num_queries(2):
        assert fetch_by_pk(TOTPDevice, 987654) is None
        assert fetch_by_pk(TOTPDevice, 987654, with_user=True) is None


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice, StaticDevice])
def test_every_device_model(user, model):
    device = model.objects.create(user=user, name="x")
    assert field_values(fetch_by_pk(model, device.pk)) == field_values(device.__class__.objects.get(pk=device.pk))


def test_the_sql_is_built_once_per_shape(busy_device):
    fetch._plans.clear()
    fetch_by_pk(TOTPDevice, busy_device.pk)
    fetch_by_pk(TOTPDevice, busy_device.pk)
    fetch_by_pk(TOTPDevice, busy_device.pk, with_user=True)
    assert [key[0::2] for key in fetch._plans] == [(TOTPDevice, False), (TOTPDevice, True)]
    assert all(plan is not None for plan in fetch._plans.values())


def test_a_secret_column_is_decrypted_as_the_orm_does(settings, user):
    from tests.django_otp.test_encryption import K1

    settings.OTP_ENCRYPTION_KEYS = [K1]
    device = TOTPDevice.objects.create(user=user, name="default")
    loaded = fetch_by_pk(TOTPDevice, device.pk)
    assert loaded.key == device.key == TOTPDevice.objects.get(pk=device.pk).key
