"""django_otp.claim: the compiled conditional UPDATE behind every successful verification."""

from datetime import timedelta

from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_otp import claim as claim_module
from django_otp.claim import claim
from django_otp.plugins.otp_totp.models import TOTPDevice


def reload(device):
    return TOTPDevice.objects.get(pk=device.pk)


def test_a_claim_that_holds_updates_the_row_in_one_statement(totp_device):
    used = timezone.now().replace(microsecond=0)
    with CaptureQueriesContext(connection) as queries:
        rows = claim(totp_device, Q(last_t__lt=10), {"last_t": 10, "last_used_at": used,
                                                     "throttling_failure_timestamp": None})
    assert rows == 1
    assert len(queries) == 1 and queries[0]["sql"].startswith("UPDATE")
    stored = reload(totp_device)
    assert (stored.last_t, stored.last_used_at, stored.throttling_failure_timestamp) == \
        (10, used, None)


def test_a_claim_whose_condition_fails_changes_nothing(totp_device):
    assert claim(totp_device, Q(last_t__lt=10), {"last_t": 10}) == 1
    assert claim(totp_device, Q(last_t__lt=10), {"last_t": 10}) == 0
    assert claim(totp_device, Q(last_t__lte=9), {"last_t": 11}) == 0
    assert claim(totp_device, Q(last_t__gte=10, name=totp_device.name), {"last_t": 12}) == 1
    assert claim(totp_device, Q(last_t__gt=12), {"last_t": 13}) == 0
    assert reload(totp_device).last_t == 12


def test_only_the_instance_row_is_claimed(totp_device, user):
    other = TOTPDevice.objects.create(user=user, name="other")
    assert claim(totp_device, Q(), {"last_t": 5}) == 1
    assert reload(other).last_t == -1


def test_datetimes_in_conditions_are_prepared_as_the_orm_does(totp_device):
    moment = timezone.now()
    TOTPDevice.objects.filter(pk=totp_device.pk).update(last_used_at=moment)
    assert claim(totp_device, Q(last_used_at__lt=moment), {"last_t": 1}) == 0
    assert claim(totp_device, Q(last_used_at__lt=moment + timedelta(seconds=1)),
                 {"last_t": 1}) == 1


def test_shapes_it_does_not_compile_run_nothing(totp_device):
    shapes = [
        (Q(last_t__lt=1) | Q(drift=0), {"last_t": 1}),  # OR
        (~Q(last_t=5), {"last_t": 1}),  # NOT
        (Q(last_used_at=None), {"last_t": 1}),  # IS NULL
        (Q(last_t__in=[1, 2]), {"last_t": 1}),  # another lookup
        (Q(name__startswith="x"), {"last_t": 1}),  # another operator, on a plain value
        (Q(last_used_at__isnull=True), {"last_t": 1}),  # another operator, on a bool
        (Q(last_t__lt=F("drift")), {"last_t": 1}),  # an expression
        (Q(), {"last_t": F("last_t") + 1}),  # an expression to set
        (Q(), {}),  # nothing to set
        (Q(), {"no_such_field": 1}),
        (Q(), {"id": 99}),  # the key
    ]
    for condition, values in shapes:
        with CaptureQueriesContext(connection) as queries:
            assert claim(totp_device, condition, values) is None, (condition, values)
        assert not queries


def test_the_sql_of_a_shape_is_built_once(totp_device, monkeypatch):
    built = []
    real = claim_module._compile
    monkeypatch.setattr(claim_module, "_compiled", {})
    monkeypatch.setattr(claim_module, "_compile", lambda *args: built.append(args) or real(*args))
    for t in range(3):
        claim(totp_device, Q(last_t__lt=t), {"last_t": t})
    claim(totp_device, Q(last_t__lt=9), {"last_t": 9, "drift": 0})
    assert len(built) == 2


def test_device_claims_fall_back_to_the_orm_for_other_shapes(totp_device):
    assert totp_device._claim(Q(last_t__lt=5) | Q(drift=3), last_t=5)
    assert totp_device.last_t == 5 and reload(totp_device).last_t == 5
    assert not totp_device._claim(Q(last_t__lt=5) | Q(drift=3), last_t=6)


def test_columns_that_must_still_hold_join_the_condition(totp_device):
    TOTPDevice.objects.filter(pk=totp_device.pk).update(throttling_failure_count=2)
    with CaptureQueriesContext(connection) as queries:
        assert claim(totp_device, Q(last_t__lt=10), {"last_t": 10},
                     {"throttling_failure_count": 1}) == 0
        assert claim(totp_device, Q(last_t__lt=10), {"last_t": 10},
                     {"throttling_failure_count": 2}) == 1
    assert len(queries) == 2 and "throttling_failure_count" in queries[1]["sql"].split("WHERE")[1]
    assert reload(totp_device).last_t == 10
    assert claim(totp_device, Q(), {"last_t": 11}, {"throttling_failure_count": F("drift")}) is None
