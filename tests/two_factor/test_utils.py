"""two_factor.utils: default_device, get_otpauth_url, totp_digits."""

from base64 import b32encode
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from django_otp import device_classes, devices_for_user
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.flows.backup import backup_token_count
from two_factor.flows.summary import has_device
from two_factor.utils import (
    default_device,
    forget_default_device,
    get_otpauth_url,
    monkeypatch_method,
    totp_digits,
)

KEY = b"12345678901234567890"
KEY_B32 = b32encode(KEY).decode()  # GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ


def fresh(user):
    """The same user, as another request would load it (nothing remembered)."""
    return type(user).objects.get(pk=user.pk)


def required_fields(model):
    """What a device of ``model`` needs beyond ``user`` and ``name`` (installed plugin apps)."""
    if model._meta.label == "otp_yubikey.RemoteYubikeyDevice":
        service = model._meta.get_field("service").related_model.objects.create(
            name="default", param_sl="", param_timeout="")
        return {"service": service}
    return {}


def reference_default_device(user):
    """What default_device() must return: the first confirmed device named ``default``."""
    return next((d for d in devices_for_user(user) if d.name == "default"), None)


# default_device


def test_default_device_is_the_device_named_default(user):
    TOTPDevice.objects.create(user=user, name="phone")
    default = TOTPDevice.objects.create(user=user, name="default")
    StaticDevice.objects.create(user=user, name="backup")
    found = default_device(fresh(user))
    assert found == default and type(found) is TOTPDevice
    assert found.key == default.key


@pytest.mark.parametrize("model", [HOTPDevice, StaticDevice, EmailDevice])
def test_default_device_of_any_model(user, model):
    device = model.objects.create(user=user, name="default")
    found = default_device(fresh(user))
    assert type(found) is model and found.pk == device.pk


def test_none_without_a_default_device(user):
    TOTPDevice.objects.create(user=user, name="phone")
    assert default_device(fresh(user)) is None


def test_an_unconfirmed_default_does_not_count(user):
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    assert default_device(fresh(user)) is None


def test_another_users_default_does_not_count(user, other_user):
    TOTPDevice.objects.create(user=other_user, name="default")
    assert default_device(fresh(user)) is None
    assert default_device(fresh(other_user)).user_id == other_user.pk


@pytest.mark.parametrize("who", [None, AnonymousUser()])
def test_none_for_nobody(db, django_assert_num_queries, who):
    with django_assert_num_queries(0):
        assert default_device(who) is None


def test_same_answer_as_looking_through_every_device(user, make_user):
    """The first model in device_classes() order wins, then the lowest primary key."""
    models = device_classes()
    later, earlier = sorted([TOTPDevice, HOTPDevice], key=models.index, reverse=True)
    later.objects.create(user=user, name="default")
    first = earlier.objects.create(user=user, name="default")
    earlier.objects.create(user=user, name="default")
    found = default_device(fresh(user))
    assert found == reference_default_device(user) == first

    bob = make_user("bob2")
    for _ in range(3):
        TOTPDevice.objects.create(user=bob, name="default")
    assert default_device(fresh(bob)) == reference_default_device(bob) == (
        TOTPDevice.objects.filter(user=bob).order_by("pk").first())


def test_two_queries_when_found(user, django_assert_num_queries):
    assert len(device_classes()) >= 4
    for model in device_classes():
        model.objects.create(user=user, name="other", **required_fields(model))
    EmailDevice.objects.create(user=user, name="default")
    user = fresh(user)
    with django_assert_num_queries(2):
        assert type(default_device(user)) is EmailDevice


def test_one_query_when_there_is_none(user, django_assert_num_queries):
    TOTPDevice.objects.create(user=user, name="phone")
    user = fresh(user)
    with django_assert_num_queries(1):
        assert default_device(user) is None


def test_remembered_on_the_user_object(user, django_assert_num_queries):
    device = TOTPDevice.objects.create(user=user, name="default")
    user = fresh(user)
    found = default_device(user)
    assert found == device
    device.delete()
    with django_assert_num_queries(0):
        assert default_device(user) is found  # for the rest of this request
    assert default_device(fresh(user)) is None  # another user object asks again


def test_none_is_not_remembered(user, django_assert_num_queries):
    """As django-two-factor-auth: a device named ``default`` made after a None is found."""
    user = fresh(user)
    assert default_device(user) is None
    with django_assert_num_queries(1):
        assert default_device(user) is None  # asked again
    device = TOTPDevice.objects.create(user=user, name="default")  # no forget_default_device()
    assert default_device(user) == device
    with django_assert_num_queries(0):
        assert default_device(user) == device  # found: remembered


def test_a_summary_without_default_device_is_not_trusted_by_default_device(user):
    TOTPDevice.objects.create(user=user, name="phone")
    user = fresh(user)
    assert has_device(user)  # the summary: no default device
    device = TOTPDevice.objects.create(user=user, name="default")
    assert default_device(user) == device


def test_summary_users_ask_once_for_a_user_without_default_device(user,
                                                                 django_assert_num_queries):
    TOTPDevice.objects.create(user=user, name="phone")
    user = fresh(user)
    with django_assert_num_queries(1):
        assert default_device(user) is None
        assert has_device(user) and backup_token_count(user) == 0


def test_forget_default_device(user):
    TOTPDevice.objects.create(user=user, name="default")
    user = fresh(user)
    found = default_device(user)
    TOTPDevice.objects.filter(pk=found.pk).delete()
    assert default_device(user) is found  # remembered
    forget_default_device(user)
    assert default_device(user) is None
    forget_default_device(user)
    forget_default_device(user)  # nothing remembered: no error


# get_otpauth_url


def parse(url):
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query, strict_parsing=True).items()}
    return parts.scheme, parts.netloc, unquote(parts.path), query


def test_otpauth_url_exactly_as_django_two_factor_auth_wrote_it():
    assert get_otpauth_url(accountname="bouke@example.com", secret="abcdef123",
                           issuer="example.com") == (
        "otpauth://totp/example.com%3A%20bouke%40example.com"
        "?secret=abcdef123&digits=6&issuer=example.com")
    assert get_otpauth_url(accountname="bouke@example.com", secret="abcdef123") == (
        "otpauth://totp/bouke%40example.com?secret=abcdef123&digits=6")


def test_otpauth_url_with_issuer_and_digits():
    url = get_otpauth_url("alice@example.com", KEY_B32, "Example Co", 8)
    assert url == (f"otpauth://totp/Example%20Co%3A%20alice%40example.com"
                   f"?secret={KEY_B32}&digits=8&issuer=Example+Co")
    scheme, kind, label, query = parse(url)
    assert (scheme, kind, label) == ("otpauth", "totp", "/Example Co: alice@example.com")
    assert query == {"secret": KEY_B32, "digits": "8", "issuer": "Example Co"}


def test_otpauth_url_passes_the_secret_through():
    """Any string, as given: no decoding, no validation, no padding added or removed."""
    for secret in ("abcdef123", "not base32!", KEY_B32.lower(), KEY_B32[:-3]):
        assert parse(get_otpauth_url("alice", secret))[3]["secret"] == secret


def test_otpauth_url_without_issuer():
    url = get_otpauth_url("al:ice", KEY_B32)
    assert url == f"otpauth://totp/al%3Aice?secret={KEY_B32}&digits=6"
    assert "issuer" not in parse(url)[3] and "algorithm" not in url


def test_otpauth_url_quotes_the_label():
    url = get_otpauth_url("alice smith", KEY_B32, "Big Corp")
    assert url.startswith("otpauth://totp/Big%20Corp%3A%20alice%20smith?")
    assert parse(url)[2] == "/Big Corp: alice smith"


def test_otpauth_url_of_the_setup_reads_back_from_its_qr_code():
    pytest.importorskip("zxingcpp")
    from tests.django_otp.test_qr import read_back

    url = get_otpauth_url("alice@example.com", KEY_B32, "Example Site", 6)
    assert read_back(url) == [url]


def test_otpauth_url_digits_default_to_the_setting():
    assert parse(get_otpauth_url("alice", KEY_B32))[3]["digits"] == "6"
    with override_settings(TWO_FACTOR_TOTP_DIGITS=8):
        assert parse(get_otpauth_url("alice", KEY_B32))[3]["digits"] == "8"
        assert parse(get_otpauth_url("alice", KEY_B32, digits=6))[3]["digits"] == "6"


# totp_digits


def test_totp_digits():
    assert totp_digits() == 6
    with override_settings(TWO_FACTOR_TOTP_DIGITS=8):
        assert totp_digits() == 8
    with override_settings(TWO_FACTOR_TOTP_DIGITS="8"):  # a string in an environment-based settings file
        assert totp_digits() == 8


# monkeypatch_method


def test_monkeypatch_method_adds_the_function_under_its_name():
    class Greeter:
        def hello(self):
            return "old"

    @monkeypatch_method(Greeter)
    def hello(self):
        return f"hello from {type(self).__name__}"

    @monkeypatch_method(Greeter)
    def bye(self, name):
        return f"bye {name}"

    assert Greeter().hello() == "hello from Greeter"
    assert Greeter().bye("alice") == "bye alice"
    assert Greeter.__dict__["hello"] is hello  # the decorator returns the function itself
    assert hello(Greeter()) == "hello from Greeter"


# The UNION of the device summary is compiled once, for a stand-in user, and run with the user's
# key.


def _orm_default_device(user, monkeypatch):
    from two_factor.flows import summary

    monkeypatch.setattr(summary, "_STAND_IN_KEYS", {})  # no stand-in: the ORM builds the UNION
    monkeypatch.setattr(summary, "_compiled_summary_sql", {})
    forget_default_device(user)
    try:
        return default_device(user)
    finally:
        monkeypatch.undo()
        forget_default_device(user)


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice, StaticDevice, EmailDevice])
def test_the_compiled_union_finds_what_the_orm_finds(user, other_user, model, monkeypatch):
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    model.objects.create(user=other_user, name="default")
    mine = model.objects.create(user=user, name="default")
    model.objects.create(user=user, name="other")
    assert default_device(user) == mine
    assert _orm_default_device(user, monkeypatch) == mine
    forget_default_device(user)
    assert default_device(other_user) != mine and default_device(other_user) is not None


def test_the_union_is_compiled_once(user, other_user, monkeypatch, django_assert_num_queries):
    from two_factor.flows import summary

    compiled = []
    real = summary._compile_summary_sql
    monkeypatch.setattr(summary, "_compiled_summary_sql", {})
    monkeypatch.setattr(summary, "_compile_summary_sql",
                        lambda *args: compiled.append(args) or real(*args))
    TOTPDevice.objects.create(user=other_user, name="default")
    for who in (user, other_user, user):
        forget_default_device(who)
        with django_assert_num_queries(1 if who is user else 2):
            found = default_device(who)
        assert (found is None) == (who is user)
    assert len(compiled) == 1
