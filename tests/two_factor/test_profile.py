"""The profile page: is two-factor on, with which method, and what backup is there."""

import pytest
from django.urls import reverse

from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from two_factor.plugins.registry import MethodBase, registry

from .a11y import button_names
from .conftest import login_password_only

URL = "/account/two_factor/"


class HOTPMethod(MethodBase):
    code = "test-hotp"
    verbose_name = "Test HOTP"

    def get_devices(self, user):
        return list(HOTPDevice.objects.devices_for_user(user, confirmed=True))

    def recognize_device(self, device):
        return isinstance(device, HOTPDevice)

    def get_action(self, device):
        return f"Use key fob {device.name}"


class PhoneLikeMethod(HOTPMethod):
    """Presents its own devices through the profile hook, as the phone plugin does."""

    code = "test-phone"

    def get_profile_context(self, user):
        return {"backup_phones": [], "test_entry": self.code}


@pytest.fixture
def register():
    registered = []

    def add(method):
        registry.register(method)
        registered.append(method.code)

    yield add
    for code in registered:
        registry.unregister(code)


def test_url():
    assert reverse("two_factor:profile") == URL


def test_anonymous_is_sent_to_login(client, db, settings):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"{settings.LOGIN_URL}?next={URL}"


def test_user_without_devices_is_offered_setup(client, user):
    login_password_only(client, user)
    response = client.get(URL)
    assert response.status_code == 200
    context = response.context
    assert context["default_device"] is None
    assert context["default_device_type"] == "NoneType"  # as the old profile gave it
    assert context["backup_tokens"] == 0
    assert context["backup_phones"] == [] and context["available_phone_methods"] == []
    page = response.content.decode()
    assert f'href="{reverse("two_factor:setup")}"' in page
    assert reverse("two_factor:disable") not in page


def test_user_with_an_authenticator_app(client, user_with_totp, default_totp):
    login_password_only(client, user_with_totp)  # the profile needs no verified session
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["default_device"] == default_totp
    assert response.context["default_device_type"] == "TOTPDevice"
    assert response.context["default_method"] is registry.get_method("generator")
    page = response.content.decode()
    assert "Use your authenticator app" in page  # the action, not the token-step sentence
    assert "Token generator" in page
    assert f'href="{reverse("two_factor:backup_tokens")}"' in page
    assert f'href="{reverse("two_factor:disable")}"' in page
    assert f'href="{reverse("two_factor:setup")}"' not in page
    assert "You have 0 backup tokens left." in page


def test_backup_tokens_are_counted(verified_client, user, backup_device):
    other = StaticDevice.objects.create(user=user, name="not backup")
    other.token_set.create(token="elsewhere")
    response = verified_client.get(URL)
    assert response.context["backup_tokens"] == 3
    assert "You have 3 backup tokens left." in response.content.decode()
    backup_device.token_set.exclude(token="backup01").delete()
    assert "You have 1 backup token left." in verified_client.get(URL).content.decode()


def test_backup_methods_come_from_registered_methods(verified_client, user, register):
    HOTPDevice.objects.create(user=user, name="fob")
    response = verified_client.get(URL)
    assert response.context["backup_methods"] == []  # no method knows HOTP devices
    register(HOTPMethod())
    response = verified_client.get(URL)
    assert [d.name for d in response.context["backup_methods"]] == ["fob"]
    assert "Use key fob fob" in response.content.decode()


def test_methods_can_contribute_profile_entries(verified_client, user, register):
    HOTPDevice.objects.create(user=user, name="fob")
    method = PhoneLikeMethod()
    register(method)
    response = verified_client.get(URL)
    assert response.context["test_entry"] == method.code
    assert response.context["backup_methods"] == []  # the method shows its devices itself


class OneOfferedMethod(HOTPMethod):
    """Offers only its first device at sign-in, as the security-key method does."""

    code = "test-one-offered"

    def get_other_authentication_devices(self, user, main_device):
        return self.get_devices(user)[:1]


@pytest.mark.parametrize("method_class, offered", [(HOTPMethod, 2), (OneOfferedMethod, 1)])
def test_each_device_is_listed_once_with_one_remove_button(verified_client, user, register,
                                                           method_class, offered):
    first = HOTPDevice.objects.create(user=user, name="fob one")
    second = HOTPDevice.objects.create(user=user, name="fob two")
    register(method_class())
    response = verified_client.get(URL)
    html = response.content.decode()
    assert len(response.context["backup_methods"]) == offered
    for device in (first, second):
        assert html.count(f'value="{device.persistent_id}"') == 1
    assert html.count("fob two") == 1
    assert ("Your other devices" in html) == (offered == 1)


def test_each_remove_button_is_named_with_its_device(verified_client, user, register):
    """A screen reader lists "Remove Use key fob one", not "Remove" twice."""
    HOTPDevice.objects.create(user=user, name="one")
    HOTPDevice.objects.create(user=user, name="two")
    register(OneOfferedMethod())  # "one" is a backup method, "two" one of the other devices
    names = button_names(verified_client.get(URL).content.decode())
    assert [name for name in names if name.startswith("Remove")] == [
        "Remove Use key fob one", "Remove two"]


def test_remove_asks_first(verified_client, user, register):
    """The profile's Remove button asks on a page of its own, whose button removes the device:
    a slip of the mouse on the profile removes nothing."""
    fob = HOTPDevice.objects.create(user=user, name="fob one")
    register(HOTPMethod())
    profile = verified_client.get(URL).content.decode()
    remove = reverse("two_factor:device_remove")
    assert f'<form method="get" action="{remove}">' in profile
    page = verified_client.get(remove, {"device": fob.persistent_id})
    assert page.status_code == 200 and HOTPDevice.objects.filter(pk=fob.pk).exists()
    html = page.content.decode()
    assert "<title>Remove a device</title>" in html and "<strong>Use key fob fob one</strong>" in html
    assert f'<input type="hidden" name="device" value="{fob.persistent_id}">' in html
    assert button_names(html)[0].startswith("Remove")
    response = verified_client.post(remove, {"device": fob.persistent_id})  # what its form sends
    assert response.status_code == 302 and response.url == URL
    assert not HOTPDevice.objects.filter(pk=fob.pk).exists()


def test_remove_removes_the_device_its_form_sent(verified_client, user, register):
    one = HOTPDevice.objects.create(user=user, name="one")
    two = HOTPDevice.objects.create(user=user, name="two")
    register(HOTPMethod())
    remove = reverse("two_factor:device_remove")
    response = verified_client.post(f"{remove}?device={one.persistent_id}", {"device": two.persistent_id})
    assert response.status_code == 302
    assert list(HOTPDevice.objects.filter(user=user)) == [one]
