"""``YubikeyMethod`` and its forms; the stand-in server speaks the protocol ``yubiotp`` expects."""

import pytest

pytest.importorskip("otp_yubikey")

from otp_yubikey.models import RemoteYubikeyDevice, ValidationService, YubikeyDevice  # noqa: E402

from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402
from two_factor.forms import AuthenticationTokenForm, MethodForm  # noqa: E402
from two_factor.plugins.registry import registry  # noqa: E402
from two_factor.plugins.yubikey.forms import (  # noqa: E402
    YubiKeyAuthenticationForm,
    YubiKeyDeviceForm,
    parse_yubikey_otp,
)
from two_factor.plugins.yubikey.method import YubikeyMethod  # noqa: E402

from .validation_stand_in import SimulatedKey  # noqa: E402

OTP = "ccccccbcgujhingjrdejhgfnuetrgigvejhhgbkugded"  # 44 characters, public id ccccccbcgujh


@pytest.fixture
def method():
    return registry.get_method("yubikey")


def test_registered_and_available(method):
    assert isinstance(method, YubikeyMethod)
    assert (method.code, str(method.verbose_name)) == ("yubikey", "YubiKey")
    assert method in registry.get_methods()
    assert "yubikey" in dict(MethodForm().fields["method"].choices)


def test_absent_when_otp_yubikey_is_not_installed(method, monkeypatch, user):
    monkeypatch.setattr("two_factor.plugins.yubikey.method.otp_yubikey_installed", lambda: False)
    assert not method.is_available()
    assert method not in registry.get_methods()
    assert "yubikey" not in dict(MethodForm().fields["method"].choices)
    assert method.get_devices(user) == []
    assert not method.recognize_device(YubikeyDevice(user=user))


def test_availability_follows_installed_apps(method, settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "otp_yubikey"]
    assert not method.is_available()


def test_devices_and_recognition(method, user, other_user, service):
    remote = RemoteYubikeyDevice.objects.create(user=user, name="default", service=service,
                                                public_id="ccccccbcgujh")
    local = YubikeyDevice.objects.create(user=user, name="spare")
    YubikeyDevice.objects.create(user=user, name="pending", confirmed=False)
    YubikeyDevice.objects.create(user=other_user, name="default")
    assert method.get_devices(user) == [remote, local]
    assert method.recognize_device(remote) and method.recognize_device(local)
    assert not method.recognize_device(TOTPDevice(user=user))
    assert registry.method_from_device(remote) is method
    assert registry.method_from_device(local) is method


def test_labels(method, user):
    device = YubikeyDevice(user=user)
    assert str(method.get_action(device)) == "Use your YubiKey"
    assert "YubiKey" in str(method.get_verbose_action(device))


def test_no_validation_step(method, rf, user):
    # The setup step's form checks the OTP and saves the device: nothing is left to validate.
    assert method.get_device_from_setup_data(rf.get("/"), {"yubikey": {"token": OTP}}) is None


# The sign-in form


def test_token_form_takes_modhex_not_digits(method, user):
    form_class = method.get_token_form_class()
    assert form_class is YubiKeyAuthenticationForm
    assert issubclass(form_class, AuthenticationTokenForm)
    field = form_class(user=user, initial_device=None).fields["otp_token"]
    assert "inputmode" not in field.widget.attrs and "pattern" not in field.widget.attrs
    assert field.widget.attrs["autocomplete"] == "off"
    assert field.max_length >= 64  # the longest OTP: a 16-byte public id and 32 characters


def test_token_form_normalises_what_a_key_or_a_paste_gives(user):
    form = YubiKeyAuthenticationForm(user=user, initial_device=None,
                                     data={"otp_token": f"  {OTP[:20].upper()} {OTP[20:]} "})
    assert not form.is_valid()  # alice has no key: the token is refused, after normalising
    assert form.cleaned_data["otp_token"] == OTP


@pytest.mark.parametrize(("value", "parsed"), [
    (OTP, OTP),
    (OTP.upper(), OTP),
    (f" {OTP}\n", OTP),
    ("cb" + OTP[-32:], "cb" + OTP[-32:]),  # the shortest public id: 1 byte
    ("c" * 32 + OTP[-32:], "c" * 32 + OTP[-32:]),  # the longest: 16 bytes
    (OTP[-32:], OTP[-32:]),  # no public id: a key reprogrammed without one
    ("c" * 34 + OTP[-32:], None),  # too long
    (OTP[:-1], None),  # odd length
    (OTP.replace("c", "a"), None),  # not modhex
    ("123456", None),
    ("", None),
    (None, None),
])
def test_parse_yubikey_otp(value, parsed):
    assert parse_yubikey_otp(value) == parsed


# The setup form


def test_setup_form_checks_the_otp_with_the_service_and_saves(user, service, yubikey, validation):
    otp = yubikey.otp()
    form = YubiKeyDeviceForm(user=user, data={"token": otp})
    assert form.is_valid(), form.errors
    assert [request["otp"] for request in validation.requests] == [otp]
    assert not RemoteYubikeyDevice.objects.exists()  # nothing saved before save()
    device = form.save()
    assert (device.user, device.name, device.confirmed, device.service, device.public_id) == (
        user, "default", True, service, yubikey.public_id)
    assert len(device.public_id) == 12 and otp.startswith(device.public_id)


def test_setup_form_without_service_is_a_clear_error(user, yubikey, db):
    assert not ValidationService.objects.exists()
    form = YubiKeyDeviceForm(user=user, data={"token": yubikey.otp()})
    assert not form.is_valid()
    assert form.has_error("token", "no_service")
    assert "no validation service" in form.errors["token"][0]


@pytest.mark.parametrize("token", ["123456", OTP[-30:], "not a yubikey otp at all, really"])
def test_setup_form_refuses_what_is_no_otp_without_asking(user, service, validation, token):
    form = YubiKeyDeviceForm(user=user, data={"token": token})
    assert not form.is_valid() and form.has_error("token", "invalid_token")
    assert validation.requests == []


def test_setup_form_refuses_an_otp_the_service_refuses(user, service, yubikey, validation):
    otp = yubikey.otp()
    assert YubiKeyDeviceForm(user=user, data={"token": otp}).is_valid()
    replay = YubiKeyDeviceForm(user=user, data={"token": otp})
    assert not replay.is_valid() and replay.has_error("token", "not_verified")
    stranger = SimulatedKey(public_id=b"\x09\x09\x09\x09\x09\x09")  # unknown to the service
    form = YubiKeyDeviceForm(user=user, data={"token": stranger.otp()})
    assert not form.is_valid() and form.has_error("token", "not_verified")


def test_setup_form_refuses_an_answer_with_a_bad_signature(user, service, yubikey, validation):
    validation.api_key = b"another key"  # the server signs with a key the site does not have
    form = YubiKeyDeviceForm(user=user, data={"token": yubikey.otp()})
    assert not form.is_valid() and form.has_error("token", "not_verified")


def test_setup_form_when_the_service_cannot_be_reached(user, service, yubikey, monkeypatch,
                                                        caplog):
    from urllib.error import URLError

    def down(url, *args, **kwargs):
        raise URLError("connection refused")

    monkeypatch.setattr("yubiotp.client.urlopen", down)
    form = YubiKeyDeviceForm(user=user, data={"token": yubikey.otp()})
    assert not form.is_valid() and form.has_error("token", "service_error")
    assert "could not be reached" in form.errors["token"][0]
    assert any("validation service" in record.getMessage() for record in caplog.records)


def test_an_otp_without_public_id_goes_to_the_service(user, service, validation):
    # As django-two-factor-auth: a 32-character OTP (no public id) is checked, not refused.
    form = YubiKeyDeviceForm(user=user, data={"token": OTP[-32:]})
    form.is_valid()
    assert [request["otp"] for request in validation.requests] == [OTP[-32:]]


def test_the_token_fields_are_labelled_yubikey(user):
    assert YubiKeyDeviceForm(user=user).fields["token"].label == "YubiKey"
    assert YubiKeyAuthenticationForm(user=user, initial_device=None).fields["otp_token"].label == "YubiKey"
