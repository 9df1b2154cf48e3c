"""django_otp.mixins: what ``commit=True`` writes, and the ``*_enabled`` properties."""

import pytest
from django.test import override_settings
from django.test.utils import isolate_apps

from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

# (method, device model that has it)
COMMITTING = [
    ("throttle_reset", HOTPDevice),
    ("throttle_increment", HOTPDevice),
    ("set_last_used_timestamp", HOTPDevice),
    ("cooldown_set", EmailDevice),
    ("cooldown_reset", EmailDevice),
]


@isolate_apps("django_otp.plugins.otp_hotp", "django_otp.plugins.otp_email")
def written_for_django_otp(model):
    """A proxy of ``model`` that, like a device written for django-otp, relies on ``save()``."""
    meta = type("Meta", (), {"proxy": True, "app_label": model._meta.app_label})
    return type(f"Legacy{model.__name__}", (model,), {
        "__module__": __name__, "Meta": meta, "claims_tokens_atomically": False})


@pytest.mark.parametrize(("method", "model"), COMMITTING)
def test_commit_on_an_unsaved_device_writes_nothing(user, method, model):
    # No row to update, and throttling or a cooldown must not create one: the state stays on
    # the instance (generate_token() is what saves a new device, as in django-otp).
    device = model(user=user, name="new")
    getattr(device, method)(commit=True)
    assert device.pk is None
    assert not model.objects.exists()


@pytest.mark.parametrize(("method", "model"), COMMITTING)
def test_commit_on_an_unsaved_device_written_for_django_otp_writes_nothing(user, method, model):
    device = written_for_django_otp(model)(user=user, name="new")
    getattr(device, method)(commit=True)
    assert device.pk is None
    assert not model.objects.exists()


def test_commit_on_an_unsaved_device_without_a_user(db):
    device = HOTPDevice(name="no user")
    device.throttle_increment()
    device.throttle_increment()
    device.set_last_used_timestamp()
    assert device.throttling_failure_count == 2
    assert device.throttling_failure_timestamp is not None
    assert not HOTPDevice.objects.exists()


def test_unsaved_device_keeps_its_state_until_it_is_saved(user):
    device = HOTPDevice(user=user, name="new")
    device.throttle_increment()
    device.save()
    assert HOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1


@pytest.mark.parametrize(("method", "model"), COMMITTING)
def test_commit_on_a_device_written_for_django_otp_saves_it_whole(user, method, model):
    device = written_for_django_otp(model).objects.create(user=user, name="old")
    device.name = "changed in memory"
    getattr(device, method)(commit=True)
    assert model.objects.get(pk=device.pk).name == "changed in memory"


@pytest.mark.parametrize(("method", "model"), COMMITTING)
def test_commit_on_our_devices_writes_only_its_own_columns(user, method, model):
    device = model.objects.create(user=user, name="old")
    device.name = "changed in memory"
    getattr(device, method)(commit=True)
    assert model.objects.get(pk=device.pk).name == "old"


@pytest.mark.parametrize(("method", "model"), COMMITTING)
def test_no_commit_writes_nothing(user, method, model):
    device = model(user=user, name="new")
    getattr(device, method)(commit=False)
    assert device.pk is None


def test_throttle_increment_of_a_device_written_for_django_otp_is_stored(user):
    device = written_for_django_otp(HOTPDevice).objects.create(user=user, name="d")
    device.throttle_increment()
    device.throttle_increment()
    stored = HOTPDevice.objects.get(pk=device.pk)
    assert stored.throttling_failure_count == 2
    assert stored.throttling_failure_timestamp == device.throttling_failure_timestamp


@pytest.mark.parametrize(("factor", "enabled"), [(1, True), (0.5, True), (0, False)])
def test_throttling_enabled(factor, enabled):
    with override_settings(OTP_TOTP_THROTTLE_FACTOR=factor):
        assert TOTPDevice().throttling_enabled is enabled


@pytest.mark.parametrize(("duration", "enabled"), [(60, True), (0, False)])
def test_cooldown_enabled(duration, enabled):
    with override_settings(OTP_EMAIL_COOLDOWN_DURATION=duration):
        assert EmailDevice().cooldown_enabled is enabled


def test_a_device_being_set_up_forgives_its_first_wrong_token(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ..conftest import totp_now

    device = TOTPDevice.objects.create(user=user, name="new", confirmed=False)
    near = {totp_now(device, offset) for offset in (-1, 0, 1)}
    wrong = next(token for token in ("000000", "111111", "222222") if token not in near)
    assert not device.verify_token(wrong)
    assert device.throttling_failure_count == 1
    assert device.verify_is_allowed() == (True, None)  # the right token may follow at once
    assert device.verify_token(totp_now(device))


@pytest.mark.parametrize("confirmed, failures_before_a_lock", [(False, 2), (True, 1)])
def test_the_back_off_of_a_device_being_set_up_starts_one_failure_later(
        user, confirmed, failures_before_a_lock):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="new", confirmed=confirmed)
    for _ in range(failures_before_a_lock - 1):
        device.throttle_increment()
        assert device.verify_is_allowed() == (True, None)
    device.throttle_increment()
    allowed, info = device.verify_is_allowed()
    assert not allowed and info["failure_count"] == failures_before_a_lock
