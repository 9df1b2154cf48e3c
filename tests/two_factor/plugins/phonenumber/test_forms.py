"""The phone forms: the number field's label and what it accepts."""

from two_factor.plugins.phonenumber.forms import PhoneNumberForm, PhoneNumberMethodForm

from .conftest import NUMBER


def test_number_label_as_old_templates_and_tests_read_it(gateways):
    for form in (PhoneNumberForm(), PhoneNumberMethodForm()):
        assert form.fields["number"].label == "Phone Number"
        assert '<label for="id_number">Phone Number:</label>' in str(form)


def test_number_cleaned_to_a_phone_number(gateways):
    form = PhoneNumberMethodForm(data={"number": "+31 6 1234 5658", "method": "sms"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["number"].as_e164 == NUMBER
