"""A credential is stored once, even when the same registration response is saved twice at once.

``clean()`` refuses a credential that is already registered; two requests replaying the same
response at once (each with its own copy of the session's challenge) both pass it, and
``save()`` must then keep one device.
"""

import pytest
from django.test import RequestFactory

from tests.django_otp.test_concurrency import run_at_once
from two_factor.plugins.webauthn.forms import WebauthnDeviceForm, WebauthnKeyForm
from two_factor.plugins.webauthn.models import WebauthnDevice

REGISTERED = {"key_handle": "a2V5LWhhbmRsZQ", "public_key": "cHVibGljLWtleQ", "sign_count": 0,
              "user_handle": "dXNlci1oYW5kbGU", "discoverable": True}


def cleaned_form(user, form_class=WebauthnDeviceForm):
    """The form as ``clean()`` leaves it for a valid registration response."""
    form = form_class(RequestFactory().post("/"), user)
    form.cleaned_data = dict(REGISTERED, name="Blue key")
    return form


def test_the_second_save_of_the_same_credential_returns_the_first_device(user):
    first_form, second_form = cleaned_form(user), cleaned_form(user, WebauthnKeyForm)
    first = first_form.save()
    second = second_form.save()
    assert second == first
    assert first_form.created and not second_form.created  # one DEVICE_ADDED, not two
    assert WebauthnDevice.objects.filter(key_handle=REGISTERED["key_handle"]).count() == 1


def test_another_credential_is_another_device(user):
    first = cleaned_form(user).save()
    other = cleaned_form(user)
    other.cleaned_data["key_handle"] = "YW5vdGhlcg"
    assert other.save() != first
    assert WebauthnDevice.objects.filter(user=user).count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_store_the_credential_once(user):
    results = run_at_once(lambda form: form.save(), prepare=lambda i: cleaned_form(user), n=8)
    assert WebauthnDevice.objects.filter(key_handle=REGISTERED["key_handle"]).count() == 1
    assert len({device.pk for device in results}) == 1
