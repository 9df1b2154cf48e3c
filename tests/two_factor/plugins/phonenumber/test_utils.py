"""``backup_phones`` and ``validate_international_phonenumber``, as site code and the old
package's tests use them."""

import pytest
from django import forms
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise

from two_factor.plugins.phonenumber.forms import PhoneNumberForm
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.phonenumber.utils import backup_phones, registered_backup_phones
from two_factor.plugins.phonenumber.validators import validate_international_phonenumber

from .conftest import FAKE, NUMBER

pytestmark = pytest.mark.django_db


def phone(user, name="backup", **fields):
    return PhoneDevice.objects.create(user=user, name=name, number=NUMBER, method="sms", **fields)


# backup_phones

@pytest.mark.parametrize("who", [None, AnonymousUser()])
def test_nobody_has_an_empty_queryset(gateways, who):
    phones = backup_phones(who)
    assert isinstance(phones, QuerySet)
    assert not phones.exists() and phones.count() == 0 and list(phones) == []


def test_the_confirmed_phones_named_backup_oldest_first(gateways, user, other_user):
    first, second = phone(user), phone(user)
    phone(user, name="default")
    phone(user, name="work")
    phone(user, confirmed=False)
    phone(other_user)
    phones = backup_phones(user)
    assert isinstance(phones, QuerySet)
    assert list(phones) == [first, second]
    assert phones.exists() and phones.count() == 2


@pytest.mark.parametrize(("sms", "call"), [(FAKE, None), (None, FAKE), (FAKE, FAKE)])
def test_one_gateway_is_enough(settings, user, sms, call):
    settings.TWO_FACTOR_SMS_GATEWAY, settings.TWO_FACTOR_CALL_GATEWAY = sms, call
    backup = phone(user)
    assert list(backup_phones(user)) == [backup]


def test_none_without_a_gateway(settings, user):
    settings.TWO_FACTOR_SMS_GATEWAY = settings.TWO_FACTOR_CALL_GATEWAY = None
    backup = phone(user)
    phones = backup_phones(user)
    assert isinstance(phones, QuerySet) and not phones.exists() and phones.count() == 0
    assert list(registered_backup_phones(user)) == [backup]  # still the user's to remove


# validate_international_phonenumber

def test_the_validator_has_its_message_lazily_translated():
    message = validate_international_phonenumber.message
    assert isinstance(message, Promise)
    assert "valid phone number" in str(message)
    with translation.override("nl"):
        assert "geldig telefoonnummer" in str(message)


@pytest.mark.parametrize("value", ["123", "+31 6", "garbage", "", None])
def test_the_validator_raises_its_message(value):
    with pytest.raises(ValidationError) as raised:
        validate_international_phonenumber(value)
    assert raised.value.messages == [str(validate_international_phonenumber.message)]
    assert raised.value.code == "invalid"


def test_a_valid_number_passes():
    assert validate_international_phonenumber(NUMBER) is None


def test_form_errors_compare_with_the_validator_message():
    # As the old package's tests compare them.
    assert PhoneNumberForm(data={"number": "123"}).errors == {
        "number": [str(validate_international_phonenumber.message)]}

    class SiteForm(forms.Form):
        number = forms.CharField(validators=[validate_international_phonenumber])

    assert SiteForm(data={"number": "123"}).errors == {
        "number": [validate_international_phonenumber.message]}
