"""The method registry and the generator method."""

import pytest
from django import forms

from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.forms import AuthenticationTokenForm, TOTPDeviceForm
from two_factor.plugins.registry import (
    GeneratorMethod,
    MethodBase,
    MethodNotFoundError,
    MethodRegistry,
    registry,
)


class HOTPForm(forms.Form):
    token = forms.CharField()


class FobMethod(MethodBase):
    code = "fob"
    verbose_name = "Key fob"
    form_path = f"{__name__}.HOTPForm"

    def get_devices(self, user):
        return list(HOTPDevice.objects.devices_for_user(user, confirmed=True))

    def recognize_device(self, device):
        return isinstance(device, HOTPDevice)


class AnotherFobMethod(FobMethod):
    code = "fob2"


# MethodRegistry


@pytest.fixture
def methods():
    """A registry of our own, with the generator and the fob."""
    methods = MethodRegistry()
    methods.register(GeneratorMethod())
    methods.register(FobMethod())
    return methods


def test_register_and_get(methods):
    assert [m.code for m in methods.get_methods()] == ["generator", "fob"]
    assert isinstance(methods.get_method("fob"), FobMethod)
    assert isinstance(methods.get_method("generator"), GeneratorMethod)


def test_register_the_same_code_replaces(methods):
    replacement = FobMethod()
    methods.register(replacement)
    assert [m.code for m in methods.get_methods()] == ["generator", "fob"]
    assert methods.get_method("fob") is replacement


def test_unregister(methods):
    methods.unregister("fob")
    assert [m.code for m in methods.get_methods()] == ["generator"]
    with pytest.raises(MethodNotFoundError):
        methods.get_method("fob")
    methods.unregister("fob")  # already gone: no error
    methods.unregister("never-registered")
    assert [m.code for m in methods.get_methods()] == ["generator"]


@pytest.mark.parametrize("code", ["sms", "", "GENERATOR", None])
def test_unknown_code(methods, code):
    with pytest.raises(MethodNotFoundError):
        methods.get_method(code)


def test_method_not_found_is_an_exception_with_the_code():
    assert issubclass(MethodNotFoundError, Exception)
    with pytest.raises(MethodNotFoundError, match="webauthn"):
        MethodRegistry().get_method("webauthn")


def test_get_methods_is_a_copy(methods):
    methods.get_methods().clear()
    assert len(methods.get_methods()) == 2


def test_method_from_device(methods, user):
    assert methods.method_from_device(TOTPDevice(user=user)).code == "generator"
    assert methods.method_from_device(HOTPDevice(user=user)).code == "fob"
    assert methods.method_from_device(StaticDevice(user=user)) is None


def test_method_from_device_first_registered_wins(methods, user):
    methods.register(AnotherFobMethod())
    assert methods.method_from_device(HOTPDevice(user=user)).code == "fob"
    methods.unregister("fob")
    assert methods.method_from_device(HOTPDevice(user=user)).code == "fob2"


def test_empty_registry(user):
    empty = MethodRegistry()
    assert empty.get_methods() == []
    assert empty.method_from_device(TOTPDevice(user=user)) is None


# The global registry


def test_global_registry_has_the_generator():
    assert isinstance(registry, MethodRegistry)
    method = registry.get_method("generator")
    assert isinstance(method, GeneratorMethod)
    assert registry.get_methods()[0] is method


def test_global_registry_knows_totp_devices(user):
    assert registry.method_from_device(TOTPDevice(user=user)).code == "generator"


# GeneratorMethod


def test_generator_recognizes_totp_devices_only(user):
    method = GeneratorMethod()
    assert method.recognize_device(TOTPDevice(user=user))
    assert not method.recognize_device(HOTPDevice(user=user))
    assert not method.recognize_device(StaticDevice(user=user))


def test_generator_devices_are_the_users_confirmed_totp_devices(user, other_user):
    mine = TOTPDevice.objects.create(user=user, name="default")
    spare = TOTPDevice.objects.create(user=user, name="tablet")
    TOTPDevice.objects.create(user=user, name="half", confirmed=False)
    TOTPDevice.objects.create(user=other_user, name="default")
    HOTPDevice.objects.create(user=user, name="fob")
    assert sorted(d.pk for d in GeneratorMethod().get_devices(user)) == sorted([mine.pk, spare.pk])


def test_other_authentication_devices_exclude_the_main_one(user):
    main = TOTPDevice.objects.create(user=user, name="default")
    spare = TOTPDevice.objects.create(user=user, name="tablet")
    method = GeneratorMethod()
    assert method.get_other_authentication_devices(user, main) == [spare]
    assert method.get_other_authentication_devices(user, spare) == [main]
    assert sorted(d.pk for d in method.get_other_authentication_devices(user, None)) == [main.pk, spare.pk]


def test_other_devices_of_another_model_with_the_same_pk_stay(user):
    device = TOTPDevice.objects.create(user=user, name="default")
    fob = HOTPDevice.objects.create(user=user, name="fob", pk=device.pk)
    assert GeneratorMethod().get_other_authentication_devices(user, fob) == [device]
    assert FobMethod().get_other_authentication_devices(user, device) == [fob]


def test_generator_setup_and_token_forms():
    method = GeneratorMethod()
    assert method.code == "generator"
    assert str(method.verbose_name)
    assert method.get_setup_forms(wizard=None) == {"generator": TOTPDeviceForm}
    assert method.get_token_form_class() is AuthenticationTokenForm
    assert method.get_device_from_setup_data(None, {}) is None


def test_generator_actions(user):
    device = TOTPDevice(user=user, name="default")
    assert str(GeneratorMethod().get_action(device))
    assert str(GeneratorMethod().get_verbose_action(device))


# MethodBase defaults, for plugin authors


def test_method_base_defaults(user):
    base = MethodBase()
    assert base.get_devices(user) == []
    assert base.get_other_authentication_devices(user, None) == []
    assert not base.recognize_device(TOTPDevice(user=user))
    assert base.get_setup_forms(wizard=None) == {}
    assert base.get_device_from_setup_data(None, {}) is None
    assert base.get_token_form_class() is AuthenticationTokenForm
    assert base.get_action(TOTPDevice(user=user)) is None
    assert base.get_verbose_action(TOTPDevice(user=user)) is None


def test_form_path_gives_one_setup_step():
    assert FobMethod().get_setup_forms(wizard=None) == {"fob": HOTPForm}
