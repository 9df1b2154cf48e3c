"""``two_factor.flows.once``: a name claimed once, in the database, until its claim expires."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from two_factor.flows import once
from two_factor.models import Claim

pytestmark = pytest.mark.django_db


def moved_on(monkeypatch, seconds):
    moved = timezone.now() + timedelta(seconds=seconds)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moved)
    return moved


def test_a_name_is_claimed_once():
    assert once.claim("a", 60) is True
    assert once.claim("a", 60) is False
    assert once.claim("b", 60) is True
    assert Claim.objects.count() == 2


def test_the_table_keeps_a_hash_of_the_name_not_the_name():
    once.claim("two_factor:sign-in-done:secret-attempt", 60)
    (key,) = Claim.objects.values_list("key", flat=True)
    assert len(key) == 64 and "secret" not in key


def test_claimed_at_is_the_unix_time_of_the_claim_that_lasts(monkeypatch):
    assert once.claimed_at("a") is None
    before = time.time()
    once.claim("a", 60)
    assert before <= once.claimed_at("a") <= time.time()
    moved_on(monkeypatch, 61)
    assert once.claimed_at("a") is None


def test_without_time_zones_the_clock_is_still_unix_time(settings):
    """With USE_TZ = False Django's clock is naive local time, which repeats an hour when the
    clocks go back: claims keep the Unix time all the same."""
    settings.USE_TZ = False
    before = time.time()
    once.claim("a", 60)
    assert before <= once.claimed_at("a") <= time.time()


def test_an_expired_claim_is_taken_over(monkeypatch):
    once.claim("a", 60)
    moved_on(monkeypatch, 59)
    assert once.claim("a", 60) is False
    moved = moved_on(monkeypatch, 61)
    assert once.claim("a", 60) is True
    assert once.claimed_at("a") == moved.timestamp() and once.claim("a", 60) is False


def test_a_refused_claim_leaves_the_callers_transaction_usable():
    once.claim("a", 60)
    with transaction.atomic():
        assert once.claim("a", 60) is False
        assert once.claim("c", 60) is True  # no "current transaction is aborted" on PostgreSQL
    assert Claim.objects.count() == 2


def test_a_claim_now_and_then_deletes_the_expired_rows(monkeypatch, django_capture_on_commit_callbacks):
    once.claim("old", 60)
    once.claim("older", 30)
    moved_on(monkeypatch, 61)
    monkeypatch.setattr(once.secrets, "randbelow", lambda n: 1)  # not this time
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        once.claim("new", 60)
    assert not callbacks and Claim.objects.count() == 3
    monkeypatch.setattr(once.secrets, "randbelow", lambda n: 0)
    with django_capture_on_commit_callbacks(execute=True):
        once.claim("newer", 60)
    assert Claim.objects.count() == 2  # "new" and "newer"


def test_the_expired_rows_are_deleted_after_the_callers_transaction(
        monkeypatch, django_capture_on_commit_callbacks):
    """Not inside it: under ATOMIC_REQUESTS the deleted rows would stay locked until the
    request ends."""
    once.claim("old", 60)
    moved_on(monkeypatch, 61)
    monkeypatch.setattr(once.secrets, "randbelow", lambda n: 0)
    with django_capture_on_commit_callbacks() as callbacks:
        once.claim("new", 60)
    assert len(callbacks) == 1 and Claim.objects.count() == 2
    callbacks[0]()
    assert list(Claim.objects.values_list("expires_at", flat=True)) == [pytest.approx(
        timezone.now().timestamp() + 60)]


@pytest.mark.django_db(transaction=True)
def test_in_autocommit_the_expired_rows_are_deleted_at_once(monkeypatch):
    once.claim("old", 60)
    moved_on(monkeypatch, 61)
    monkeypatch.setattr(once.secrets, "randbelow", lambda n: 0)
    once.claim("new", 60)
    assert Claim.objects.count() == 1


class ClaimsElsewhere:
    """A router that keeps the claims in a database of their own."""

    def db_for_write(self, model, **hints):
        return "claims" if model is Claim else None

    db_for_read = db_for_write


@pytest.mark.django_db(databases=["default", "claims"])
def test_a_refused_claim_in_a_transaction_of_the_claims_database(settings):
    """The savepoint is taken on the database the router gives: on another one, a refused
    INSERT would break the transaction (ATOMIC_REQUESTS, say) it happens in."""
    settings.DATABASE_ROUTERS = [ClaimsElsewhere()]
    with transaction.atomic(using="claims"):
        assert once.claim("a", 60) is True
        assert once.claim("a", 60) is False
        assert once.claim("b", 60) is True
    assert Claim.objects.using("claims").count() == 2
    assert not Claim.objects.using("default").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_eight_requests_at_once_one_claims():
    from tests.django_otp.test_concurrency import run_at_once

    results = run_at_once(lambda _prepared: once.claim("race", 60), n=8)
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_of_eight_requests_taking_over_an_expired_claim_one_claims(monkeypatch):
    from tests.django_otp.test_concurrency import run_at_once

    once.claim("race", 60)
    moved_on(monkeypatch, 61)
    results = run_at_once(lambda _prepared: once.claim("race", 60), n=8)
    assert sorted(results) == [False] * 7 + [True]
