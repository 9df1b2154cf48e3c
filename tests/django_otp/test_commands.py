"""``addstatictoken`` and the ``add_static_token`` helper behind it."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from django_otp import match_token
from django_otp.plugins.otp_static.lib import add_static_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken


def addstatictoken(*args):
    out = StringIO()
    call_command("addstatictoken", *args, stdout=out)
    return out.getvalue().strip()


def test_prints_a_token_that_verifies(user):
    token = addstatictoken("alice")
    assert re.fullmatch("[a-z2-7]{8}", token)  # lower-case base32, as django-otp's
    device = StaticDevice.objects.get(user=user)
    assert device.name == "Backup Code"
    assert match_token(user, token) == device
    assert match_token(user, token) is None


@pytest.mark.parametrize("option", ["-t", "--token"])
def test_given_token(user, option):
    assert addstatictoken(option, "my-token", "alice") == "my-token"
    assert StaticToken.objects.get(device__user=user).token == "my-token"
    assert match_token(user, "my-token") is not None


def test_unknown_user(db):
    with pytest.raises(CommandError, match="nobody"):
        addstatictoken("nobody")
    assert not StaticDevice.objects.exists()


@pytest.mark.parametrize("token", ["", "x" * 17])
def test_token_length_is_checked(user, token):
    with pytest.raises(CommandError):
        addstatictoken("-t", token, "alice")
    assert not StaticToken.objects.exists()


def test_username_is_required(db):
    with pytest.raises(CommandError):
        addstatictoken()


def test_tokens_go_to_the_named_user(user, other_user):
    addstatictoken("bob")
    assert not StaticDevice.objects.filter(user=user).exists()
    assert StaticDevice.objects.filter(user=other_user).count() == 1


def test_add_static_token_reuses_the_existing_device(user, static_device):
    first = add_static_token("alice")
    second = add_static_token("alice", "chosen22")
    assert first.device == static_device
    assert second.device == static_device
    assert second.token == "chosen22"
    assert StaticDevice.objects.filter(user=user).count() == 1
    assert set(static_device.token_set.values_list("token", flat=True)) == {"abcd2345", first.token, "chosen22"}


def test_add_static_token_creates_one_device(user):
    add_static_token("alice")
    add_static_token("alice")
    assert StaticDevice.objects.filter(user=user).count() == 1
    assert StaticToken.objects.filter(device__user=user).count() == 2


def test_add_static_token_unknown_user(db):
    with pytest.raises(get_user_model().DoesNotExist):
        add_static_token("nobody")
