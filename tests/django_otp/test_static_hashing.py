"""Static tokens stored salted and hashed (``OTP_STATIC_HASH_TOKENS``).

With hashing on, the database holds no code; each code works once; plaintext tokens stored
before keep working; the iterations live in each stored string; verifying costs one SELECT and
one DELETE (and the success or failure UPDATE), generating ten tokens one INSERT.
"""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from django_otp import match_token
from django_otp.conf import settings as otp_settings
from django_otp.plugins.otp_static import hashing
from django_otp.plugins.otp_static.lib import add_static_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from two_factor.flows.backup import generate_backup_tokens


def check_password(code, stored):
    """Django's own PBKDF2 hasher (the test settings list MD5 only) agrees with ours."""
    return PBKDF2PasswordHasher().verify(code, stored)


CODES = ["abcd2345", "efgh6789", "jkmn2345", "pqrs6789", "tuvw2345"]
ITERATIONS = 1000  # small, for speed; the default is measured, not tested


@pytest.fixture
def hashing_on(settings):
    settings.OTP_STATIC_HASH_TOKENS = True
    settings.OTP_STATIC_HASH_ITERATIONS = ITERATIONS
    return settings


@pytest.fixture
def device(user):
    return StaticDevice.objects.create(user=user, name="backup")


@pytest.fixture
def hashed_device(hashing_on, device):
    device.add_tokens(CODES)
    return device


def stored_tokens():
    with connection.cursor() as cursor:
        cursor.execute("SELECT token FROM otp_static_statictoken")
        return [row[0] for row in cursor.fetchall()]


def queries_of(captured, verb):
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith(verb)]


# The stored form


def test_stored_form_is_a_django_pbkdf2_hash(hashing_on):
    stored = hashing.stored_forms(["abcd2345"])[0]
    assert re.fullmatch(rf"pbkdf2_sha256\${ITERATIONS}\$[A-Za-z0-9_-]{{22}}\$[A-Za-z0-9+/=]{{44}}",
                        stored)
    assert check_password("abcd2345", stored)  # Django's own hasher agrees
    assert not check_password("abcd2346", stored)
    assert len(stored) <= StaticToken._meta.get_field("token").max_length


def test_without_the_setting_tokens_are_stored_as_they_are():
    assert otp_settings.OTP_STATIC_HASH_TOKENS is False  # the default
    assert hashing.stored_forms(CODES) == CODES


def test_one_salt_per_batch(hashing_on):
    first, second = hashing.stored_forms(CODES), hashing.stored_forms(CODES)
    assert len({hashing.parse_params(value) for value in first}) == 1
    assert len(set(first)) == len(CODES)
    assert hashing.parse_params(first[0]) != hashing.parse_params(second[0])
    assert not set(first) & set(second)


@pytest.mark.parametrize("value", [
    "abcd2345", "pbkdf2_sha256$ab", "pbkdf2_sha256$x$salt$hash", "pbkdf2_sha256$0$salt$hash",
    "pbkdf2_sha256$1000$$hash", "pbkdf2_sha256$1000$salt$", "pbkdf2_sha256$1$2$3$4",
    "md5$1000$salt$hashhashhash", "pbkdf2_sha256$١٠٠٠$salt$hash",
])
def test_what_is_not_a_hash(value):
    assert hashing.parse_params(value) is None
    assert not hashing.is_hashed(value)


@pytest.mark.parametrize("iterations", [0, -1, "1000", None, True, 10**9])
def test_iterations_must_be_a_positive_integer(hashing_on, iterations):
    hashing_on.OTP_STATIC_HASH_ITERATIONS = iterations
    with pytest.raises(ImproperlyConfigured, match="OTP_STATIC_HASH_ITERATIONS"):
        hashing.stored_forms(["abcd2345"])


def test_the_table_and_a_dump_hold_no_code(hashed_device, user):
    codes = CODES + generate_backup_tokens(user, 10)
    stored = stored_tokens()
    assert len(stored) == 10  # the backup device of two_factor is this device: replaced
    assert all(value.startswith("pbkdf2_sha256$") for value in stored)
    out = StringIO()
    call_command("dumpdata", "otp_static", stdout=out)
    dump = out.getvalue()
    assert "pbkdf2_sha256$" in dump
    assert not [code for code in codes if code in dump or any(code in v for v in stored)]


def test_str_of_a_hashed_token_is_not_its_hash(hashed_device):
    token = hashed_device.token_set.first()
    assert token.is_hashed
    assert str(token) == "(hashed)"
    assert str(StaticToken(token="abcd2345")) == "(not shown)"  # never the code


# Verification


def test_each_code_verifies_exactly_once(hashed_device):
    for code in CODES:
        assert hashed_device.verify_token(code)
        assert not hashed_device.verify_token(code)
        hashed_device.throttle_reset()
    assert not hashed_device.token_set.exists()
    assert hashed_device.last_used_at is not None


def test_a_wrong_code_fails_and_is_throttled(hashed_device):
    assert not hashed_device.verify_token("wrong234")
    assert hashed_device.throttling_failure_count == 1
    assert hashed_device.token_set.count() == len(CODES)
    assert not hashed_device.verify_token(CODES[0])  # throttled: refused, and not used up
    assert hashed_device.token_set.count() == len(CODES)
    hashed_device.throttle_reset()
    assert hashed_device.verify_token(CODES[0])
    assert hashed_device.throttling_failure_count == 0


def test_a_code_of_another_device_is_refused(hashing_on, device, other_user):
    theirs = StaticDevice.objects.create(user=other_user, name="backup")
    theirs.add_tokens(["theirs22"])
    device.add_tokens(["mine2345"])
    assert not device.verify_token("theirs22")
    assert theirs.token_set.count() == 1


def test_the_stored_hash_is_not_a_code(hashed_device):
    # Someone who has read the table cannot type a hash in: it is no code, and too long.
    stored = hashed_device.token_set.values_list("token", flat=True).first()
    for attempt in (stored, stored[:16], stored.split("$")[-1][:16]):
        hashed_device.throttle_reset()
        assert not hashed_device.verify_token(attempt)
    assert hashed_device.token_set.count() == len(CODES)


@pytest.mark.parametrize("hashed", [False, True])
@pytest.mark.parametrize(("typed", "accepted"), [
    ("abcd2345", True), ("  abcd2345 ", True), ("\tabcd2345\n", True),
    ("ABCD2345", False), ("abcd 2345", False), ("abcd2345x", False), ("", False),
])
def test_normalisation_is_the_same_hashed_or_not(settings, device, hashed, typed, accepted):
    settings.OTP_STATIC_HASH_TOKENS = hashed
    settings.OTP_STATIC_HASH_ITERATIONS = ITERATIONS
    device.add_tokens(["abcd2345"])
    assert device.token_set.get().is_hashed is hashed
    assert device.verify_token(typed) is accepted


@pytest.mark.parametrize("hashed", [False, True])
@pytest.mark.parametrize(("typed", "accepted"), [(12345678, True), (1234567, False), (True, False),
                                                 (12345678.0, False), (None, False)])
def test_an_int_is_its_digits_as_with_django_otp(settings, device, hashed, typed, accepted):
    settings.OTP_STATIC_HASH_TOKENS = hashed
    settings.OTP_STATIC_HASH_ITERATIONS = ITERATIONS
    device.add_tokens(["12345678"])
    assert device.verify_token(typed) is accepted


@pytest.mark.parametrize("hashing_now", [False, True])
def test_plaintext_and_hashed_tokens_on_one_device(settings, device, hashing_now):
    device.token_set.create(token="plain234")  # stored before hashing was turned on
    settings.OTP_STATIC_HASH_TOKENS = True
    settings.OTP_STATIC_HASH_ITERATIONS = ITERATIONS
    device.add_tokens(["hashed23"])
    settings.OTP_STATIC_HASH_TOKENS = hashing_now
    assert sorted(t.is_hashed for t in device.token_set.all()) == [False, True]
    assert device.verify_token("hashed23")
    assert device.verify_token("plain234")
    assert not device.verify_token("plain234")
    device.throttle_reset()
    assert not device.verify_token("hashed23")
    assert not device.token_set.exists()


def test_a_duplicate_plaintext_token_still_works_twice(hashing_on, device):
    # As with django-otp: a plaintext token stored twice is two tokens.
    device.token_set.create(token="twice234")
    device.token_set.create(token="twice234")
    assert device.verify_token("twice234")
    assert device.verify_token("twice234")
    assert not device.verify_token("twice234")


def test_old_hashes_keep_working_when_the_iterations_change(hashing_on, device):
    device.add_tokens(["old23456", "old34567"])
    hashing_on.OTP_STATIC_HASH_ITERATIONS = 2 * ITERATIONS
    device.add_tokens(["new23456"])
    stored = sorted(device.token_set.values_list("token", flat=True))
    assert [v.split("$")[1] for v in stored].count(str(ITERATIONS)) == 2
    assert [v.split("$")[1] for v in stored].count(str(2 * ITERATIONS)) == 1
    assert device.verify_token("old23456")
    assert device.verify_token("new23456")
    assert device.verify_token("old34567")


def test_one_hash_per_distinct_salt():
    stored = [hashing.hash_token(code, hashing.HashParams(ITERATIONS, "salt1")) for code in CODES]
    stored.append(hashing.hash_token("other234", hashing.HashParams(2 * ITERATIONS, "salt2")))
    candidates = hashing.candidate_hashes("abcd2345", [*stored, "plain234"])
    assert len(candidates) == 2
    assert stored[0] in candidates


def test_match_token_finds_a_hashed_token(hashed_device, user, totp_device):
    assert match_token(user, CODES[1]) == hashed_device
    assert match_token(user, CODES[1]) is None


def test_a_stale_instance_cannot_use_a_used_code(hashed_device):
    first, stale = (StaticDevice.objects.get(pk=hashed_device.pk) for _ in range(2))
    assert first.verify_token(CODES[0])
    assert not stale.verify_token(CODES[0])
    assert hashed_device.token_set.count() == len(CODES) - 1


def test_losing_the_race_for_a_right_code_is_not_a_failure(hashed_device, monkeypatch):
    # Another request claims the code between this one's SELECT and DELETE (simulated here:
    # PostgreSQL's threads below do it for real). The code was right: no failure is counted.
    real = hashing.candidate_hashes

    def other_request_first(token, stored):
        monkeypatch.setattr(hashing, "candidate_hashes", real)
        assert StaticDevice.objects.get(pk=hashed_device.pk).verify_token(token)
        return real(token, stored)

    monkeypatch.setattr(hashing, "candidate_hashes", other_request_first)
    assert not hashed_device.verify_token(CODES[0])
    assert StaticDevice.objects.get(pk=hashed_device.pk).throttling_failure_count == 0
    assert hashed_device.token_set.count() == len(CODES) - 1


# Queries


def test_verifying_is_one_select_the_success_update_and_one_delete(hashed_device,
                                                                    django_assert_num_queries):
    device = StaticDevice.objects.get(pk=hashed_device.pk)
    with django_assert_num_queries(3) as captured:
        assert device.verify_token(CODES[2])
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT", "UPDATE", "DELETE"]
    assert "last_used_at" in captured.captured_queries[1]["sql"]


def test_a_wrong_code_is_one_select_and_the_failure_update(hashed_device,
                                                           django_assert_num_queries):
    device = StaticDevice.objects.get(pk=hashed_device.pk)
    with django_assert_num_queries(2) as captured:  # no stored hash matched: nothing to delete
        assert not device.verify_token("wrong234")
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["SELECT", "UPDATE"]
    assert "throttling_failure_count" in captured.captured_queries[1]["sql"]


def test_plaintext_tokens_cost_what_they_did(device, django_assert_num_queries):
    device.token_set.create(token="plain234")
    with django_assert_num_queries(3):  # SELECT, DELETE, success UPDATE
        assert device.verify_token("plain234")
    with django_assert_num_queries(2):  # SELECT, failure UPDATE: nothing to delete
        assert not device.verify_token("wrong234")


def test_adding_ten_tokens_is_one_insert(hashing_on, device, django_assert_num_queries):
    codes = [StaticToken.random_token() for _ in range(10)]
    with django_assert_num_queries(1) as captured:
        created = device.add_tokens(codes)
    assert len(queries_of(captured, "INSERT")) == 1
    assert [t.plaintext for t in created] == codes
    assert all(t.is_hashed for t in created)


# add_static_token, addstatictoken, the admin


def test_add_static_token_stores_the_hash_and_returns_the_code(hashing_on, user):
    static_token = add_static_token("alice", "chosen22")
    assert static_token.plaintext == "chosen22"
    assert static_token.is_hashed and check_password("chosen22", static_token.token)
    assert stored_tokens() == [static_token.token]
    assert match_token(user, "chosen22") == static_token.device


def test_add_static_token_refuses_a_token_too_long_to_type(user):
    with pytest.raises(ValueError, match="16"):
        add_static_token("alice", "x" * 17)
    assert not StaticToken.objects.exists()


def test_the_command_prints_the_code_not_the_hash(hashing_on, user):
    out = StringIO()
    call_command("addstatictoken", "alice", stdout=out)
    code = out.getvalue().strip()
    assert len(code) == 8
    assert code not in stored_tokens()[0]
    assert match_token(user, code) is not None


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user("root", password="pw", is_staff=True, is_superuser=True))
    return client


def change_url(device):
    return reverse("admin:otp_static_staticdevice_change", args=[device.pk])


def inline_post(device, rows, **extra):
    """The device's change form, with ``rows`` as the token inline: (pk or None, token)."""
    initial = sum(1 for pk, _token in rows if pk is not None)
    data = {"user": device.user_id, "name": device.name, "confirmed": "on",
            "throttling_failure_count": device.throttling_failure_count,
            "token_set-TOTAL_FORMS": len(rows), "token_set-INITIAL_FORMS": initial,
            "token_set-MIN_NUM_FORMS": 0, "token_set-MAX_NUM_FORMS": 1000, **extra}
    for i, (pk, token) in enumerate(rows):
        data.update({f"token_set-{i}-id": pk or "", f"token_set-{i}-device": device.pk,
                     f"token_set-{i}-token": token})
    return data


def test_the_admin_does_not_show_hashes(hashed_device, superuser_client):
    hashed_device.token_set.create(token="plain234")
    page = superuser_client.get(change_url(hashed_device)).content.decode()
    assert "pbkdf2_sha256" not in page
    assert "(hashed)" in page
    assert 'value="plain234"' in page  # stored in plain text: nothing to hide


def test_a_token_typed_in_the_admin_is_stored_hashed(hashed_device, superuser_client):
    hashed = list(hashed_device.token_set.order_by("pk").values_list("pk", "token"))
    plain = hashed_device.token_set.create(token="plain234")
    rows = [(pk, "") for pk, _token in hashed] + [(plain.pk, "plain234"), (None, "typed234")]
    response = superuser_client.post(change_url(hashed_device), inline_post(hashed_device, rows))
    assert response.status_code == 302, response.context["inline_admin_formsets"][0].formset.errors
    # Left empty, the hashed tokens are as they were; the plaintext one is untouched.
    assert set(hashed) <= set(hashed_device.token_set.values_list("pk", "token"))
    assert hashed_device.token_set.get(pk=plain.pk).token == "plain234"
    typed = hashed_device.token_set.exclude(pk__in=[pk for pk, _t in hashed] + [plain.pk]).get()
    assert typed.is_hashed and check_password("typed234", typed.token)
    assert hashed_device.verify_token("typed234")


def test_a_code_typed_over_a_hashed_token_replaces_it(hashed_device, superuser_client):
    first = hashed_device.token_set.order_by("pk").first()
    rows = [(first.pk, "retyped2")]
    superuser_client.post(change_url(hashed_device), inline_post(hashed_device, rows))
    assert check_password("retyped2", hashed_device.token_set.get(pk=first.pk).token)


def test_empty_and_too_long_rows_in_the_admin(hashed_device, superuser_client):
    # An untouched extra row is ignored, as in any inline: no token is made.
    response = superuser_client.post(change_url(hashed_device),
                                     inline_post(hashed_device, [(None, "")]))
    assert response.status_code == 302
    response = superuser_client.post(change_url(hashed_device),
                                     inline_post(hashed_device, [(None, "x" * 17)]))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors
    assert hashed_device.token_set.count() == len(CODES)


def test_a_plaintext_row_emptied_in_the_admin_is_an_error(device, superuser_client):
    plain = device.token_set.create(token="plain234")
    response = superuser_client.post(change_url(device), inline_post(device, [(plain.pk, "")]))
    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][0].formset.errors
    assert device.token_set.get().token == "plain234"


# Migration


def test_the_token_column_is_wide_and_still_indexed(hashed_device):
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "otp_static_statictoken")
        columns = {c.name: c for c in connection.introspection.get_table_description(
            cursor, "otp_static_statictoken")}
    assert any(c["index"] and c["columns"] == ["token"] for c in constraints.values())
    if connection.vendor == "postgresql":
        assert columns["token"].display_size == 128


# Concurrency (PostgreSQL: threads with their own connections)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_one_hashed_code_one_success(settings, user):
    from .test_concurrency import THREADS, run_at_once

    settings.OTP_STATIC_HASH_TOKENS = True
    settings.OTP_STATIC_HASH_ITERATIONS = ITERATIONS
    device = StaticDevice.objects.create(user=user, name="backup")
    device.add_tokens(CODES)
    results = run_at_once(lambda mine: mine.verify_token(CODES[3]),
                          prepare=lambda i: StaticDevice.objects.get(pk=device.pk))
    assert sum(results) == 1
    assert results.count(False) == THREADS - 1
    assert device.token_set.count() == len(CODES) - 1
    assert not StaticDevice.objects.get(pk=device.pk).verify_token(CODES[3])


def test_the_default_iteration_count_is_the_documented_one(settings):
    # docs/security/backup-hashing.md argues for this count; the two must not drift apart.
    if hasattr(settings, "OTP_STATIC_HASH_ITERATIONS"):
        del settings.OTP_STATIC_HASH_ITERATIONS
    assert otp_settings.OTP_STATIC_HASH_ITERATIONS == 50_000
    page = (Path(__file__).resolve().parents[2] / "docs" / "security" / "backup-hashing.md")
    assert "OTP_STATIC_HASH_ITERATIONS = 50_000  # the default" in page.read_text()


@pytest.mark.parametrize(("iterations", "parsed"), [
    ("1", 1), ("999999999", 999_999_999), ("1000000000", None), ("0", None)])
def test_the_iterations_a_stored_hash_may_name(iterations, parsed):
    """Between 1 and 10**9 - 1: a row naming 10**9 would cost that many rounds per attempt."""
    from django_otp.plugins.otp_static.hashing import HashParams, parse_params

    stored = f"pbkdf2_sha256${iterations}$salt$hash"
    assert parse_params(stored) == (HashParams(parsed, "salt") if parsed else None)
