"""The other pages that meet a security key: adding another one, the profile, disable, admin."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.two_factor.conftest import login_password_only, login_verified
from two_factor.plugins.webauthn.models import WebauthnDevice

from .authenticator import SoftAuthenticator
from .conftest import PASSKEY_LOGIN, PASSKEY_OPTIONS, REGISTER_OPTIONS, fetch_options, register_key

ADD = reverse("two_factor:webauthn_add")


def test_a_verified_user_adds_a_passkey(client, user, key_device):
    login_verified(client, user, key_device)
    page = client.get(ADD)
    assert page.status_code == 200 and REGISTER_OPTIONS in page.content.decode()
    second = SoftAuthenticator()
    options = fetch_options(client, REGISTER_OPTIONS)
    assert len(options["excludeCredentials"]) == 1
    assert options["user"]["id"] == key_device.user_handle  # one handle per user

    done = client.post(ADD, {"name": "Laptop", "credential": second.create(options)})

    assert done.status_code == 302 and done.url == reverse("two_factor:profile")
    added = WebauthnDevice.objects.get(user=user, name="Laptop")
    assert added.confirmed and added.discoverable
    client.logout()
    response = second.get(fetch_options(client, PASSKEY_OPTIONS))
    assert client.post(PASSKEY_LOGIN, {"credential": response}).status_code == 302


@pytest.mark.parametrize("name", ["default", "backup", ""])
def test_reserved_names(client, user, key_device, name):
    login_verified(client, user, key_device)
    options = fetch_options(client, REGISTER_OPTIONS)
    page = client.post(ADD, {"name": name, "credential": SoftAuthenticator().create(options)})
    assert page.status_code == 200 and page.context["form"].errors["name"]
    assert WebauthnDevice.objects.filter(user=user).count() == 1


def test_adding_needs_a_verified_session(client, user, key_device):
    assert client.get(ADD).status_code == 302  # to the sign-in
    login_password_only(client, user)
    # A default device, not verified: to the sign-in as well (OTPRequiredMixin), to use it.
    assert client.get(ADD).url == f"{reverse('two_factor:login')}?next={ADD}"
    assert client.post(REGISTER_OPTIONS).status_code == 403


def test_the_profile_links_to_adding_a_key(client, user_with_totp, default_totp):
    login_verified(client, user_with_totp, default_totp)
    page = client.get(reverse("two_factor:profile")).content.decode()
    assert f'<a href="{ADD}">Add a security key or passkey</a>' in page


def test_the_profile_of_a_user_without_two_factor_does_not(client, user):
    client.force_login(user)
    assert ADD not in client.get(reverse("two_factor:profile")).content.decode()


def test_the_profile_and_disable(client, user, key_device):
    login_verified(client, user, key_device)
    page = client.get(reverse("two_factor:profile")).content.decode()
    assert "WebAuthn" in page and "Use your security key" in page
    assert client.get(reverse("two_factor:setup_complete")).status_code == 200
    assert client.post(reverse("two_factor:disable"), {"understand": "on"}).status_code == 302
    assert not WebauthnDevice.objects.exists()


def test_admin_pages(client, user, key_device):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    changelist = reverse("admin:two_factor_webauthn_webauthndevice_changelist")
    assert key_device.name in client.get(changelist).content.decode()
    assert client.get(changelist, {"q": key_device.key_handle}).context["cl"].result_count == 1
    change = client.get(reverse("admin:two_factor_webauthn_webauthndevice_change", args=[key_device.pk]))
    assert change.status_code == 200 and key_device.key_handle in change.content.decode()


def test_a_second_key_is_another_device_at_sign_in(client, user, key_device):
    register_key(user, SoftAuthenticator(), name="spare")
    from two_factor.plugins.registry import registry

    method = registry.get_method("webauthn")
    assert method.get_other_authentication_devices(user, key_device) == []
    assert method.get_other_authentication_devices(user, None) == [key_device]
