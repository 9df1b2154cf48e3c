"""A token works once, and every failure is counted, even when requests race.

Part 1 (PostgreSQL): real threads, each on its own database connection, released together by a
barrier, submit the same token to the same device. Exactly one of them may succeed, whatever
the device kind and whatever the entry point (``Device.verify_token``, ``django_otp.verify_token``,
``django_otp.match_token``). Wrong tokens submitted at once are all counted.

Part 2 (any database, no threads): the same guarantees seen through stale instances, that is
a device loaded before another instance of the same row verified a token.
"""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from django_otp import match_token, verify_token
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..conftest import hotp_at, totp_now

THREADS = 20
TIMEOUT = 30  # seconds: for the barrier and for joining every thread
STATIC_TOKEN = "abcd2345"


# Helpers ------------------------------------------------------------------------------------


def run_at_once(action, prepare=None, n=THREADS, timeout=TIMEOUT):
    """Run ``action`` in ``n`` threads released together; the list of their results, in order.

    Each thread has its own database connection (asserted: ``n`` distinct PostgreSQL backends),
    runs ``prepare(i)`` before the barrier and ``action(prepared)`` after it, and closes its
    connection at the end. An exception in a thread is re-raised here; a thread still running
    after ``timeout`` seconds fails the test.
    """
    barrier = threading.Barrier(n)
    results = [None] * n
    backends = [None] * n
    errors = []

    def worker(i):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends[i] = cursor.fetchone()[0]
            prepared = prepare(i) if prepare is not None else None
            barrier.wait(timeout=timeout)
            results[i] = action(prepared)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)
            barrier.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,), name=f"race-{i}", daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not [t.name for t in threads if t.is_alive()], "threads still running after the timeout"
    if errors:
        # The first real error, not the BrokenBarrierError it caused in the others.
        raise next((e for e in errors if not isinstance(e, threading.BrokenBarrierError)), errors[0])
    assert len(set(backends)) == n, "the threads did not each have their own connection"
    return results


def reload(device):
    """A fresh instance of ``device``'s row (run in a thread: on that thread's connection)."""
    return type(device).objects.get(pk=device.pk)


def current_step(device):
    return int((time.time() - device.t0) // device.step)


def wait_for_fresh_step(device, margin=5):
    """Sleep into the next time step if fewer than ``margin`` seconds are left in this one.

    With the device's tolerance of 1 the token of this step is accepted during the next one too,
    so a test that starts with ``margin`` seconds left cannot lose its token to the clock.
    """
    left = device.step - (time.time() - device.t0) % device.step
    if left < margin:
        time.sleep(left + 0.05)


def wrong_totp(device):
    """A well-formed token that no step near now accepts."""
    near = {totp_now(device, offset) for offset in range(-3, 4)}
    return next(token for token in (f"{n:0{device.digits}d}" for n in range(10**device.digits))
                if token not in near)


def wrong_hotp(device):
    near = {hotp_at(device, counter) for counter in range(device.counter, device.counter + device.tolerance + 3)}
    return next(token for token in (f"{n:0{device.digits}d}" for n in range(10**device.digits))
                if token not in near)


def wrong_token(kind, device, token):
    if kind == "totp":
        return wrong_totp(device)
    if kind == "hotp":
        return wrong_hotp(device)
    return "111111" if token != "111111" else "222222"


def successes(results):
    assert all(result is True or result is False for result in results), results
    return sum(results)


# Part 1: PostgreSQL, real threads -----------------------------------------------------------


@pytest.fixture
def devices_of(user):
    """One device of the named kind, plus a valid token for it: ``devices_of('totp')``."""

    def make(kind):
        if kind == "totp":
            device = TOTPDevice.objects.create(user=user, name="totp")
            wait_for_fresh_step(device)
            return device, totp_now(device)
        if kind == "hotp":
            device = HOTPDevice.objects.create(user=user, name="hotp")
            return device, hotp_at(device)
        if kind == "static":
            device = StaticDevice.objects.create(user=user, name="backup")
            device.token_set.create(token=STATIC_TOKEN)
            return device, STATIC_TOKEN
        if kind == "email":
            device = EmailDevice.objects.create(user=user, name="email")
            device.generate_token()
            return device, device.token
        raise AssertionError(kind)

    return make


def assert_consumed(kind, device, token, step=None):
    """The database says ``token`` has been used, once."""
    device = reload(device)
    if kind == "totp":
        assert device.last_t == step
    elif kind == "hotp":
        assert device.counter == 1
    elif kind == "static":
        assert not StaticToken.objects.filter(device=device).exists()
    elif kind == "email":
        assert device.token is None
    assert device.last_used_at is not None
    assert not device.verify_token(token)


def assert_unused(kind, device, token):
    """The database says ``token`` is still unused (the device may be throttled by now)."""
    device = reload(device)
    if kind == "totp":
        assert device.last_t == -1
    elif kind == "hotp":
        assert device.counter == 0
    elif kind == "static":
        assert StaticToken.objects.filter(device=device, token=token).exists()
    elif kind == "email":
        assert device.token == token
    assert device.last_used_at is None


KINDS = ["totp", "hotp", "static", "email"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class TestRacesOnPostgres:
    @pytest.mark.parametrize("kind", KINDS)
    def test_same_token_on_stale_instances_succeeds_once(self, devices_of, kind):
        # Every thread loads the row before the barrier, so all hold the same stale state
        # (TOTP last_t, HOTP counter, email token) and every one of them passes the Python check.
        device, token = devices_of(kind)
        step = current_step(device) if kind == "totp" else None
        results = run_at_once(lambda mine: mine.verify_token(token), prepare=lambda i: reload(device))
        assert successes(results) == 1
        assert_consumed(kind, device, token, step)

    @pytest.mark.parametrize("kind", KINDS)
    def test_functional_verify_token_succeeds_once(self, devices_of, user, kind):
        device, token = devices_of(kind)
        step = current_step(device) if kind == "totp" else None
        results = run_at_once(lambda _: verify_token(user, device.persistent_id, token))
        assert [r for r in results if r is not None] == [device]
        assert all(r is None or r == device for r in results)
        assert_consumed(kind, device, token, step)

    @pytest.mark.parametrize("kind", KINDS)
    def test_match_token_succeeds_once(self, devices_of, kind):
        # The user has one device of every kind; the token belongs to one of them.
        made = {k: devices_of(k) for k in KINDS if k != kind}
        device, token = made[kind] = devices_of(kind)
        step = current_step(device) if kind == "totp" else None
        results = run_at_once(lambda _: match_token(device.user, token))
        assert [r for r in results if r is not None] == [device]
        assert_consumed(kind, device, token, step)
        for other_kind, (other, other_token) in made.items():
            if other_kind != kind:
                assert_unused(other_kind, other, other_token)

    @pytest.mark.parametrize("kind", KINDS)
    def test_concurrent_failures_are_all_counted(self, devices_of, kind):
        # Loaded before the barrier with no failure recorded, no instance is refused by the
        # throttle: each thread checks its wrong token and counts one failure.
        device, token = devices_of(kind)
        wrong = wrong_token(kind, device, token)
        results = run_at_once(lambda mine: mine.verify_token(wrong), prepare=lambda i: reload(device))
        assert results == [False] * THREADS
        fresh = reload(device)
        assert fresh.throttling_failure_count == THREADS
        assert fresh.throttling_failure_timestamp is not None
        assert fresh.last_used_at is None
        if kind == "static":
            assert fresh.token_set.filter(token=STATIC_TOKEN).exists()


    @pytest.mark.parametrize("kind", KINDS)
    def test_a_right_token_waiting_on_a_failure_is_refused(self, devices_of, kind):
        # A burst of guesses: both instances are loaded with no failure counted, so both pass
        # verify_is_allowed(). The wrong guess counts its failure in a transaction that is still
        # open when the right token's claim runs: the claim waits for the row, finds the count
        # changed, reads the throttle again and is refused. The burst was worth one guess.
        device, token = devices_of(kind)
        wrong = wrong_token(kind, device, token)
        counted = threading.Event()

        def guess(prepared):
            role, mine = prepared
            if role == 0:
                with transaction.atomic():
                    assert not mine.verify_token(wrong)
                    counted.set()
                    time.sleep(0.5)  # the other claim now waits on this row's lock
                return None
            assert counted.wait(timeout=TIMEOUT)
            return mine.verify_token(token)

        results = run_at_once(guess, prepare=lambda i: (i, reload(device)), n=2)
        assert results == [None, False]
        assert_unused(kind, device, token)
        assert reload(device).throttling_failure_count == 1  # the refused right token: no failure


# Part 2: any database, stale instances, no threads ------------------------------------------


@pytest.mark.django_db
class TestStaleInstances:
    """An instance loaded before another one used a token cannot use that token again."""

    def test_totp(self, totp_device):
        wait_for_fresh_step(totp_device)
        token, step = totp_now(totp_device), current_step(totp_device)
        first, stale = reload(totp_device), reload(totp_device)
        assert first.verify_token(token)
        assert not stale.verify_token(token)
        assert reload(totp_device).last_t == step

    def test_totp_stale_instance_cannot_move_last_t_back(self, totp_device):
        # A token of the next step (the user's clock is ahead) is used first: the token of the
        # current step is older, so it is refused even by an instance that never saw last_t move.
        wait_for_fresh_step(totp_device)
        step = current_step(totp_device)
        first, stale = reload(totp_device), reload(totp_device)
        assert first.verify_token(totp_now(totp_device, 1))
        assert not stale.verify_token(totp_now(totp_device))
        assert reload(totp_device).last_t == step + 1

    def test_totp_success_writes_only_its_own_columns(self, totp_device):
        # A stale instance's success must not save() its stale copy over a concurrent change.
        wait_for_fresh_step(totp_device)
        stale = reload(totp_device)
        TOTPDevice.objects.filter(pk=totp_device.pk).update(name="renamed", confirmed=False)
        assert stale.verify_token(totp_now(totp_device))
        fresh = reload(totp_device)
        assert (fresh.name, fresh.confirmed) == ("renamed", False)

    def test_hotp(self, hotp_device):
        token = hotp_at(hotp_device)
        first, stale = reload(hotp_device), reload(hotp_device)
        assert first.verify_token(token)
        assert not stale.verify_token(token)
        assert reload(hotp_device).counter == 1

    def test_hotp_stale_instance_moves_counter_forward_only(self, hotp_device):
        first, stale = reload(hotp_device), reload(hotp_device)
        assert first.verify_token(hotp_at(hotp_device, 0))
        assert stale.verify_token(hotp_at(hotp_device, 1))  # a later token is still good
        assert reload(hotp_device).counter == 2
        assert not first.verify_token(hotp_at(hotp_device, 1))  # and it is now used
        assert reload(hotp_device).counter == 2

    def test_static(self, static_device):
        first, stale = reload(static_device), reload(static_device)
        assert first.verify_token(STATIC_TOKEN)
        assert not stale.verify_token(STATIC_TOKEN)
        assert not static_device.token_set.exists()

    def test_email(self, email_device):
        email_device.generate_token()
        token = email_device.token
        first, stale = reload(email_device), reload(email_device)
        assert first.verify_token(token)
        assert stale.token == token
        assert not stale.verify_token(token)
        assert reload(email_device).token is None

    def test_functional_api(self, user, totp_device, static_device):
        wait_for_fresh_step(totp_device)
        token = totp_now(totp_device)
        assert verify_token(user, totp_device.persistent_id, token) == totp_device
        assert verify_token(user, totp_device.persistent_id, token) is None
        assert match_token(user, STATIC_TOKEN) == static_device
        # (A failed match counts a failure on every device, so the replays come last.)
        assert match_token(user, STATIC_TOKEN) is None
        assert match_token(user, token) is None

    @pytest.mark.parametrize("fixture", ["totp_device", "hotp_device", "static_device", "email_device"])
    def test_failures_of_stale_instances_add_up(self, request, fixture):
        device = request.getfixturevalue(fixture)
        first, stale = reload(device), reload(device)
        assert not first.verify_token("wrong")
        assert not stale.verify_token("wrong")
        assert reload(device).throttling_failure_count == 2


@pytest.mark.django_db
class TestGuessesAtOnce:
    """Guesses loaded before any of them failed: a right one that comes after a failure is
    judged by the throttle in the row, not by the state its instance loaded."""

    @pytest.mark.parametrize("kind", KINDS)
    def test_a_right_token_after_a_concurrent_failure_is_refused(self, devices_of, kind):
        device, token = devices_of(kind)
        guessing, right = reload(device), reload(device)
        assert not guessing.verify_token(wrong_token(kind, device, token))
        assert not right.verify_token(token)
        assert_unused(kind, device, token)
        assert reload(device).throttling_failure_count == 1
        assert right.throttling_failure_count == 1  # the instance now holds the row's throttle

    @pytest.mark.parametrize("kind", KINDS)
    def test_once_the_lock_is_over_a_stale_instance_is_judged_again(self, devices_of, kind):
        device, token = devices_of(kind)
        guessing, right = reload(device), reload(device)
        assert not guessing.verify_token(wrong_token(kind, device, token))
        type(device).objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
        assert right.verify_token(token)
        fresh = reload(device)
        assert (fresh.throttling_failure_count, fresh.throttling_failure_timestamp) == (0, None)
        assert fresh.last_used_at is not None

    def test_a_lost_race_for_the_token_reads_the_throttle_once(self, totp_device,
                                                               django_assert_num_queries):
        # The guard held (no failure counted): the step was used by the first instance, so the
        # claim is refused after one more query, with no retry and no failure counted.
        wait_for_fresh_step(totp_device)
        token = totp_now(totp_device)
        first, stale = reload(totp_device), reload(totp_device)
        assert first.verify_token(token)
        with django_assert_num_queries(2):
            assert not stale.verify_token(token)
        assert reload(totp_device).throttling_failure_count == 0

    def test_the_guard_costs_no_query_on_success(self, totp_device, django_assert_num_queries):
        wait_for_fresh_step(totp_device)
        device = reload(totp_device)
        with django_assert_num_queries(1) as captured:
            assert device.verify_token(totp_now(device))
        assert "throttling_failure_count" in captured.captured_queries[0]["sql"].split("WHERE")[1]

    @override_settings(OTP_TOTP_THROTTLE_FACTOR=0)
    def test_without_throttling_there_is_no_guard(self, totp_device):
        wait_for_fresh_step(totp_device)
        token = totp_now(totp_device)
        guessing, right = reload(totp_device), reload(totp_device)
        assert not guessing.verify_token(wrong_totp(totp_device))
        assert right.verify_token(token)
