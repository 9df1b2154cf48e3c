"""``PhoneDevice`` in the Django admin."""

import pytest
from django.contrib import admin

from two_factor.plugins.phonenumber.models import PhoneDevice

from .conftest import NUMBER


@pytest.fixture
def admin_client_with_phone(client, make_user):
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)
    device = PhoneDevice.objects.create(user=root, name="default", number=NUMBER, method="sms")
    return client, device


def test_registered():
    assert PhoneDevice in admin.site._registry


def test_changelist_and_change_page(admin_client_with_phone):
    client, device = admin_client_with_phone
    page = client.get("/admin/phonenumber/phonedevice/")
    assert page.status_code == 200 and b"+31612345658" in page.content
    assert client.get("/admin/phonenumber/phonedevice/?q=12345").status_code == 200
    page = client.get(f"/admin/phonenumber/phonedevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key.encode() in page.content


def test_key_hidden_with_the_setting(admin_client_with_phone, settings):
    settings.OTP_ADMIN_HIDE_SENSITIVE_DATA = True
    client, device = admin_client_with_phone
    page = client.get(f"/admin/phonenumber/phonedevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key.encode() not in page.content
