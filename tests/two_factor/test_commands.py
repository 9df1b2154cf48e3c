"""``two_factor_status`` and ``two_factor_disable``."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from django_otp import device_classes
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def device_count(user):
    return sum(model.objects.filter(user=user).count() for model in device_classes())


def test_status(user_with_totp, other_user, make_user):
    carol = make_user("carol")
    HOTPDevice.objects.create(user=carol, name="hotp")  # a device, but no default one
    assert run("two_factor_status", "alice", "bob", "carol").splitlines() == [
        "alice: enabled", "bob: disabled", "carol: disabled"]


def test_status_of_an_unknown_user(user_with_totp):
    with pytest.raises(CommandError, match='"nobody" does not exist'):
        run("two_factor_status", "alice", "nobody")


@pytest.mark.parametrize("command", ["two_factor_status", "two_factor_disable"])
def test_no_username_does_nothing(user_with_totp, command):
    """As before: zero usernames are accepted (``nargs='*'``); nothing is said or changed."""
    assert run(command) == ""
    assert device_count(user_with_totp) == 1


def test_disable(user_with_totp, backup_device, other_user):
    HOTPDevice.objects.create(user=user_with_totp, name="hotp", confirmed=False)
    TOTPDevice.objects.create(user=other_user, name="default")
    out = run("two_factor_disable", "alice")
    assert out.strip() == "alice: 3 devices removed"
    assert device_count(user_with_totp) == 0
    assert device_count(other_user) == 1
    assert run("two_factor_status", "alice", "bob").splitlines() == ["alice: disabled", "bob: enabled"]


def test_disable_several_users(user_with_totp, other_user):
    TOTPDevice.objects.create(user=other_user, name="default")
    assert run("two_factor_disable", "alice", "bob").splitlines() == [
        "alice: 1 device removed", "bob: 1 device removed"]
    assert device_count(user_with_totp) == device_count(other_user) == 0


def test_disable_checks_every_name_first(user_with_totp):
    with pytest.raises(CommandError, match='"nobody" does not exist'):
        run("two_factor_disable", "alice", "nobody")
    assert device_count(user_with_totp) == 1
