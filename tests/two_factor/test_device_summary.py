"""The device summary (two_factor.flows.summary): one query for the default device, the backup
token count and whether there are other devices to offer at sign-in.

Runs on PostgreSQL too (``TWOFOLD_DB=postgres``): the UNION mixes a key cast to text, names and
the COUNT of a correlated subquery with plain integers.
"""

import pytest
from django.contrib.sessions.backends.db import SessionStore

from django_otp import device_classes, devices_for_user, user_has_device
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor import events
from two_factor.flows import login as login_flows
from two_factor.flows import summary as summary_module
from two_factor.flows.backup import backup_device, backup_token_count, replace_backup_tokens
from two_factor.flows.devices import remove_all_devices
from two_factor.flows.removal import remove_device
from two_factor.flows.setup import complete_setup, confirm_pending_device
from two_factor.flows.summary import cached_device_summary, device_summary, has_device
from two_factor.plugins.phonenumber.models import PhoneDevice
from two_factor.plugins.registry import GeneratorMethod, MethodBase, registry
from two_factor.plugins.webauthn.flows import add_key
from two_factor.plugins.webauthn.forms import WebauthnKeyForm
from two_factor.plugins.webauthn.models import WebauthnDevice
from two_factor.signals import security_event
from two_factor.utils import default_device, forget_default_device


def fresh(user):
    """The same user, as another request would load it (nothing remembered)."""
    return type(user).objects.get(pk=user.pk)


def make_static(user, name="backup", tokens=0, confirmed=True):
    device = StaticDevice.objects.create(user=user, name=name, confirmed=confirmed)
    for number in range(tokens):
        device.token_set.create(token=f"{name}{number:04d}")
    return device


@pytest.fixture(params=["compiled", "orm"])
def either_path(request, monkeypatch):
    """The summary from the compiled statement, or from the ORM (a key it cannot compile for)."""
    if request.param == "orm":
        monkeypatch.setattr(summary_module, "_STAND_IN_KEYS", {})
        monkeypatch.setattr(summary_module, "_compiled_summary_sql", {})
    return request.param


# What it holds


def test_one_row_per_confirmed_device_of_the_user(user, other_user, either_path,
                                                  django_assert_num_queries):
    totp = TOTPDevice.objects.create(user=user, name="default")
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    hotp = HOTPDevice.objects.create(user=user, name="other")
    backup = make_static(user, tokens=3)
    empty = make_static(user, name="spare")
    make_static(user, name="stale", tokens=4, confirmed=False)
    TOTPDevice.objects.create(user=other_user, name="default")
    make_static(other_user, tokens=5)
    user = fresh(user)
    with django_assert_num_queries(1):
        summary = device_summary(user)
    rows = {(row.model, row.pk, row.name, row.tokens) for row in summary.rows}
    assert rows == {(TOTPDevice, totp.pk, "default", 0), (HOTPDevice, hotp.pk, "other", 0),
                    (StaticDevice, backup.pk, "backup", 3), (StaticDevice, empty.pk, "spare", 0)}
    for row in summary.rows:  # the key comes back as text, the counts as integers
        assert type(row.pk) is int and type(row.tokens) is int
        assert row.index == device_classes().index(row.model)
    assert summary.has_static


def test_computed_once_per_user_object(user, django_assert_num_queries):
    user = fresh(user)
    summary = device_summary(user)
    with django_assert_num_queries(0):
        assert device_summary(user) is summary
        assert cached_device_summary(user) is summary
    assert cached_device_summary(fresh(user)) is None


@pytest.mark.parametrize("who", [None, "anonymous"])
def test_nothing_for_nobody(db, who, django_assert_num_queries):
    from django.contrib.auth.models import AnonymousUser

    with django_assert_num_queries(0):
        assert device_summary(AnonymousUser() if who else None) is None


# default_device takes its candidate from the summary, by the same rule as before


def reference_default_device(user):
    """The rule: the first confirmed ``default`` in device_classes() order, then by key."""
    return next((d for d in devices_for_user(user) if d.name == "default"), None)


def earlier_and_later():
    models = device_classes()
    return sorted([TOTPDevice, HOTPDevice], key=models.index)


def two_models_with_a_default(user):
    earlier, later = earlier_and_later()
    later.objects.create(user=user, name="default")
    return earlier.objects.create(user=user, name="default")


def two_defaults_in_one_table(user):
    first = TOTPDevice.objects.create(user=user, name="default")
    TOTPDevice.objects.create(user=user, name="default")
    return first


def an_unconfirmed_default_first(user):
    earlier, later = earlier_and_later()
    earlier.objects.create(user=user, name="default", confirmed=False)
    TOTPDevice.objects.create(user=user, name="phone")
    make_static(user, tokens=2)
    return later.objects.create(user=user, name="default")


@pytest.mark.parametrize("arrange", [two_models_with_a_default, two_defaults_in_one_table,
                                     an_unconfirmed_default_first])
def test_default_device_picks_as_before(user, arrange, either_path, django_assert_num_queries):
    expected = arrange(user)
    user = fresh(user)
    with django_assert_num_queries(2):
        found = default_device(user)
    assert found == expected == reference_default_device(user)
    assert type(found) is type(expected)


# The backup token count


def test_backup_count_from_the_summary_equals_the_query(user, other_user, either_path,
                                                        django_assert_num_queries):
    make_static(user, tokens=3)
    make_static(user, tokens=2)  # a second device named "backup": counted as before
    make_static(user, tokens=4, confirmed=False)
    make_static(user, name="other", tokens=6)
    make_static(other_user, tokens=7)
    TOTPDevice.objects.create(user=user, name="default")
    user = fresh(user)
    with django_assert_num_queries(1):
        queried = backup_token_count(user)  # no summary yet: the query as before
    default_device(user)
    with django_assert_num_queries(0):
        assert backup_token_count(user) == queried == 5


def test_no_tokens_is_zero(user, django_assert_num_queries):
    make_static(user)
    user = fresh(user)
    device_summary(user)
    with django_assert_num_queries(0):
        assert backup_token_count(user) == 0


# Recomputed after forget_default_device, and after the tokens change


def test_recomputed_after_forget_default_device(user, django_assert_num_queries):
    totp = TOTPDevice.objects.create(user=user, name="default")
    user = fresh(user)
    assert default_device(user) == totp and backup_token_count(user) == 0
    make_static(user, tokens=2)
    assert backup_token_count(user) == 0  # remembered
    forget_default_device(user)
    assert cached_device_summary(user) is None
    with django_assert_num_queries(2):
        assert default_device(user) == totp
    with django_assert_num_queries(0):
        assert backup_token_count(user) == 2


def test_new_backup_tokens_are_counted_in_the_same_request(user, django_assert_num_queries):
    user = fresh(user)
    default_device(user)
    assert backup_token_count(user) == 0
    replace_backup_tokens(user, 4)
    assert cached_device_summary(user) is None
    assert backup_token_count(user) == 4
    default_device(user)  # remembered: the summary is not computed again by it
    device_summary(user)
    replace_backup_tokens(user, 6)
    assert backup_token_count(user) == 6


def test_a_new_backup_device_drops_the_summary(user):
    user = fresh(user)
    device_summary(user)
    backup_device(user)
    assert cached_device_summary(user) is None


# Devices added or removed earlier in the same request are in the summary


@pytest.fixture
def same_request(rf, user):
    """A request of alice's whose user object has summarised her devices already."""
    request = rf.post("/")
    request.user, request.session = fresh(user), SessionStore()
    device_summary(request.user)
    return request


def summarised(user):
    return {(row.model, row.pk) for row in device_summary(user).rows}


@pytest.mark.parametrize("make", [
    lambda user: TOTPDevice(key="00" * 20),  # the generator, as the setup wizard builds it
    lambda user: EmailDevice(email="alice@example.com"),  # the email method
    lambda user: TOTPDevice.objects.create(user=user, name="default", confirmed=False),  # pending
])
def test_the_setup_wizards_device(same_request, make):
    device = complete_setup(same_request, make(same_request.user))
    assert summarised(same_request.user) == {(type(device), device.pk)}
    assert default_device(same_request.user) == device


def test_a_backup_phone(same_request, sent_added):
    phone = PhoneDevice.objects.create(user=same_request.user, name="backup",
                                       number="+31101234567", method="sms", confirmed=False)
    assert summarised(same_request.user) == set()  # pending: no device yet
    assert confirm_pending_device(same_request, phone)
    assert summarised(same_request.user) == {(PhoneDevice, phone.pk)}
    assert sent_added == [phone] and phone.confirmed


def test_a_backup_phone_confirmed_by_a_concurrent_request(same_request, sent_added):
    phone = PhoneDevice.objects.create(user=same_request.user, name="backup",
                                       number="+31101234567", method="sms", confirmed=True)
    assert not confirm_pending_device(same_request, phone)  # told of by the other request
    assert summarised(same_request.user) == {(PhoneDevice, phone.pk)}
    assert sent_added == []


def test_another_security_key(same_request, sent_added):
    form = WebauthnKeyForm(same_request, same_request.user)
    form.cleaned_data = {"name": "Blue key", "key_handle": "a2V5LWhhbmRsZQ",
                         "public_key": "cHVibGljLWtleQ", "sign_count": 0,
                         "user_handle": "dXNlci1oYW5kbGU", "discoverable": True}
    key = add_key(same_request, form)
    assert summarised(same_request.user) == {(WebauthnDevice, key.pk)}
    assert sent_added == [key]


def test_a_removed_device(same_request):
    spare = TOTPDevice.objects.create(user=same_request.user, name="spare")
    forget_default_device(same_request.user)
    assert summarised(same_request.user) == {(TOTPDevice, spare.pk)}
    remove_device(same_request, spare)
    assert summarised(same_request.user) == set()


def test_every_device_removed(same_request):
    TOTPDevice.objects.create(user=same_request.user, name="default")
    forget_default_device(same_request.user)
    assert summarised(same_request.user)
    remove_all_devices(same_request.user)
    assert summarised(same_request.user) == set()


@pytest.fixture
def sent_added():
    added = []

    def receiver(sender, event, device=None, **kwargs):
        if event == events.DEVICE_ADDED:
            added.append(device)

    security_event.connect(receiver, dispatch_uid="test_device_summary")
    yield added
    security_event.disconnect(dispatch_uid="test_device_summary")


# Other devices at sign-in: no method asked when there is nothing else to offer


@pytest.fixture
def asked(monkeypatch):
    calls = []
    real = GeneratorMethod.get_other_authentication_devices

    def counting(self, user, main_device):
        calls.append(self.code)
        return real(self, user, main_device)

    monkeypatch.setattr(GeneratorMethod, "get_other_authentication_devices", counting)
    return calls


def test_no_method_asked_with_the_default_and_backup_tokens_only(user, asked,
                                                                 django_assert_num_queries):
    TOTPDevice.objects.create(user=user, name="default")
    make_static(user, tokens=3)
    make_static(user, name="other", tokens=1)
    user = fresh(user)
    main = default_device(user)
    with django_assert_num_queries(0):
        assert login_flows.other_devices(user, main) == []
    assert asked == []


def test_methods_asked_without_a_summary(user, asked):
    main = TOTPDevice.objects.create(user=user, name="default")
    assert login_flows.other_devices(fresh(user), main) == []
    assert asked == ["generator"]


def test_a_second_device_is_offered(user, asked):
    TOTPDevice.objects.create(user=user, name="default")
    tablet = TOTPDevice.objects.create(user=user, name="tablet")
    make_static(user, tokens=3)
    user = fresh(user)
    assert login_flows.other_devices(user, default_device(user)) == [tablet]
    assert asked == ["generator"]


def test_a_device_of_no_method_makes_the_methods_asked(user, asked):
    # An email device without the email method: the summary cannot tell it apart, the methods
    # can (they offer nothing).
    TOTPDevice.objects.create(user=user, name="default")
    EmailDevice.objects.create(user=user, name="email")
    user = fresh(user)
    assert login_flows.other_devices(user, default_device(user)) == []
    assert asked == ["generator"]


class StaticTestMethod(MethodBase):
    """A site's own method that signs in with a static device."""

    code = "test-static"

    def get_devices(self, user):
        return list(StaticDevice.objects.devices_for_user(user, confirmed=True).filter(name="backup"))

    def recognize_device(self, device):
        return isinstance(device, StaticDevice) and device.name == "backup"


def test_a_method_that_recognises_static_devices_is_asked(user):
    method = StaticTestMethod()
    registry.register(method)
    try:
        TOTPDevice.objects.create(user=user, name="default")
        backup = make_static(user, tokens=3)
        user = fresh(user)
        assert login_flows.other_devices(user, default_device(user)) == [backup]
    finally:
        registry.unregister(method.code)


def test_the_token_step_context_in_one_query(user, django_assert_num_queries):
    # A later request of the token step (a wrong token, say): the summary is the one query,
    # for the backup token count and the other devices alike.
    main = TOTPDevice.objects.create(user=user, name="default")
    make_static(user, tokens=3)
    user = fresh(user)
    with django_assert_num_queries(1):
        context = login_flows.step_context(user, main, "token")
    assert context["backup_tokens"] == 3 and context["other_devices"] == []


def test_has_device_asks_once_whatever_the_number_of_models(user, django_assert_num_queries):
    assert len(device_classes()) > 2
    with django_assert_num_queries(1):
        assert not has_device(user)
        assert not has_device(user)  # the summary of this request
    TOTPDevice.objects.create(user=user, name="default", confirmed=False)
    forget_default_device(user)
    assert not has_device(user)  # an unconfirmed device is no device, as for user_has_device
    TOTPDevice.objects.create(user=user, name="default")
    forget_default_device(user)
    assert has_device(user) and user_has_device(user)
