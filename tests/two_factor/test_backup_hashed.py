"""Backup tokens stored hashed (``OTP_STATIC_HASH_TOKENS``): shown once, right after they are
generated, then only counted; they sign in through the backup step as before."""

import re
import time
from datetime import timedelta

import pytest
from django import forms
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from two_factor import events
from two_factor.flows import backup as backup_flows
from two_factor.flows.backup import (
    StaleBatch,
    backup_token_count,
    generate_backup_tokens,
    new_batch,
    replace_backup_tokens,
)
from two_factor.forms import BackupTokensForm
from two_factor.signals import security_event
from two_factor.views.backup import BackupTokensView

from .test_backup_tokens import URL, inserts
from .test_login import STEP, otp_status, post_password, post_token
from .test_login import URL as LOGIN_URL

CODE = re.compile(r"<code>([a-z0-9]{8})</code>")
EXPIRED = ("This page had expired, so no new tokens were generated. Press the button again to "
           "generate them.")


@pytest.fixture
def hashing_on(settings):
    settings.OTP_STATIC_HASH_TOKENS = True
    settings.OTP_STATIC_HASH_ITERATIONS = 1000  # small, for speed
    return settings


@pytest.fixture
def generated_events():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    security_event.connect(receiver)
    yield received
    security_event.disconnect(receiver)


def shown_codes(response):
    return CODE.findall(response.content.decode())


def test_post_shows_ten_codes_once(hashing_on, verified_client, user, backup_device):
    response = verified_client.post(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert response.context["tokens_shown_once"] is True
    assert response.context["remaining"] == 10
    assert response.context["device"] == backup_device
    codes = shown_codes(response)
    assert len(codes) == len(set(codes)) == 10
    assert [t.token for t in response.context["tokens"]] == codes
    assert "will not be shown again" in response.content.decode()
    stored = list(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10
    assert all(value.startswith("pbkdf2_sha256$") for value in stored)
    assert not [code for code in codes if any(code in value for value in stored)]


def test_get_counts_the_codes_and_shows_none(hashing_on, verified_client, user):
    codes = generate_backup_tokens(user, 10)
    response = verified_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert shown_codes(response) == [] and not [code for code in codes if code in page]
    assert response.context["tokens"] == []
    assert response.context["tokens_shown_once"] is False
    assert response.context["remaining"] == 10
    assert "You have 10 backup tokens left" in page
    assert "pbkdf2_sha256" not in page
    assert "Generate new tokens" in page


def test_get_without_tokens(hashing_on, verified_client):
    response = verified_client.get(URL)
    assert response.context["remaining"] == 0
    assert "You don't have any backup codes yet." in response.content.decode()


def test_get_one_token_left(hashing_on, verified_client, user):
    codes = generate_backup_tokens(user, 2)
    assert StaticDevice.objects.get(user=user).verify_token(codes[0])
    assert "You have 1 backup token left" in verified_client.get(URL).content.decode()


def test_a_shown_code_signs_in_through_the_backup_step(hashing_on, verified_client, client,
                                                      user_with_totp, django_user_model):
    codes = shown_codes(verified_client.post(URL))
    verified_client.logout()
    response = post_password(client)
    assert response.context["backup_tokens"] == 10
    client.post(LOGIN_URL, {STEP: "token", "wizard_goto_step": "backup"})
    response = post_token(client, f" {codes[4]} ", step="backup")
    assert response.status_code == 302
    device = StaticDevice.objects.get(user=user_with_totp, name="backup")
    assert otp_status(client)["device"] == device.persistent_id
    assert backup_token_count(user_with_totp) == 9
    # The profile counts what is left; the backup page too.
    assert client.get("/account/two_factor/").context["backup_tokens"] == 9
    assert client.get(URL).context["remaining"] == 9


def test_a_used_code_does_not_sign_in_again(hashing_on, client, user_with_totp, default_totp):
    codes = generate_backup_tokens(user_with_totp, 10)
    assert StaticDevice.objects.get(user=user_with_totp).verify_token(codes[0])
    post_password(client)
    client.post(LOGIN_URL, {STEP: "token", "wizard_goto_step": "backup"})
    response = post_token(client, codes[0], step="backup")
    assert response.status_code == 200
    assert response.context["wizard"]["form"].errors
    assert backup_token_count(user_with_totp) == 9


def test_new_codes_replace_the_shown_ones(hashing_on, verified_client, user):
    first = shown_codes(verified_client.post(URL))
    second = shown_codes(verified_client.post(URL))
    assert not set(first) & set(second)
    device = StaticDevice.objects.get(user=user)
    assert not device.verify_token(first[0])
    device.throttle_reset()
    assert device.verify_token(second[0])


def test_generating_through_the_view_is_one_insert(hashing_on, verified_client, backup_device):
    with CaptureQueriesContext(connection) as captured:
        response = verified_client.post(URL)
    assert response.status_code == 200
    assert len(inserts(captured.captured_queries)) == 1


def test_generation_query_count_is_unchanged(hashing_on, user, backup_device,
                                            django_assert_num_queries):
    # SAVEPOINT, SELECT ... FOR UPDATE, DELETE the old tokens, one INSERT, RELEASE SAVEPOINT.
    with django_assert_num_queries(5) as captured:
        codes = generate_backup_tokens(user, 10)
    assert len(inserts(captured.captured_queries)) == 1
    assert len(codes) == 10
    assert all(t.is_hashed for t in backup_device.token_set.all())


@pytest.mark.parametrize("hashed", [False, True])
def test_generating_through_the_view_is_a_security_event(settings, verified_client, user,
                                                         generated_events, hashed):
    settings.OTP_STATIC_HASH_TOKENS = hashed
    settings.OTP_STATIC_HASH_ITERATIONS = 1000
    verified_client.get(URL)
    assert generated_events == []
    verified_client.post(URL)
    generated = [e for e in generated_events if e["event"] == events.BACKUP_TOKENS_GENERATED]
    assert len(generated) == 1
    assert generated[0]["user"] == user
    assert generated[0]["device"] == StaticDevice.objects.get(user=user, name="backup")
    assert generated[0]["request"] is not None


def test_without_hashing_the_post_still_redirects_and_the_get_lists(verified_client, user):
    response = verified_client.post(URL)
    assert response.status_code == 302 and response.url == URL
    codes = sorted(StaticToken.objects.values_list("token", flat=True))
    response = verified_client.get(URL)
    assert sorted(shown_codes(response)) == codes
    assert response.context["tokens_shown_once"] is False
    assert response.context["remaining"] == 10


def test_plaintext_codes_from_before_are_counted_not_listed(settings, verified_client,
                                                            backup_device):
    settings.OTP_STATIC_HASH_TOKENS = True
    response = verified_client.get(URL)
    assert response.context["remaining"] == 3
    assert "backup01" not in response.content.decode()


# A double click: the page's batch sent twice gives the same codes


BATCH = re.compile(r'name="batch" value="([^"]+)"')


def page_batch(response):
    (batch,) = BATCH.findall(response.content.decode())
    return batch


def test_the_page_sends_a_new_batch_each_time(hashing_on, verified_client):
    first = page_batch(verified_client.get(URL))
    second = page_batch(verified_client.get(URL))
    assert first != second
    answer = verified_client.post(URL, {"batch": first})
    assert page_batch(answer) not in (first, second)  # the button then makes new codes


def test_a_double_click_shows_the_codes_that_are_kept(hashing_on, verified_client, user):
    batch = page_batch(verified_client.get(URL))
    first = shown_codes(verified_client.post(URL, {"batch": batch}))
    second = shown_codes(verified_client.post(URL, {"batch": batch}))
    assert first == second and len(set(first)) == 10
    assert backup_token_count(user) == 10
    device = StaticDevice.objects.get(user=user)
    assert device.verify_token(second[0]) and device.verify_token(second[9])


def test_whichever_request_writes_last_the_codes_are_the_same(hashing_on, user, backup_device):
    batch = new_batch()
    _, first = replace_backup_tokens(user, 10, batch=batch)
    stored_first = set(backup_device.token_set.values_list("token", flat=True))
    _, second = replace_backup_tokens(user, 10, batch=batch)
    assert first == second
    assert stored_first.isdisjoint(backup_device.token_set.values_list("token", flat=True))
    assert backup_device.verify_token(first[3])


def later_by(monkeypatch, seconds):
    """The clock moved on by ``seconds``: ``timezone.now`` (the claims) and ``time.time`` (the
    signer; ``django.core.signing.time`` is the ``time`` module, so every caller's)."""
    moved, moved_time = timezone.now() + timedelta(seconds=seconds), time.time() + seconds
    monkeypatch.setattr("django.utils.timezone.now", lambda: moved)
    monkeypatch.setattr("django.core.signing.time.time", lambda: moved_time)


def sent_again(user, batch):
    """The tokens that ``batch`` generates now, or None when it is refused (``StaleBatch``)."""
    try:
        return replace_backup_tokens(user, 10, batch=batch)[1]
    except StaleBatch:
        return None


def test_a_batch_sent_again_later_is_refused_and_changes_nothing(hashing_on, user, backup_device,
                                                                 monkeypatch):
    batch = new_batch()
    _, first = replace_backup_tokens(user, 10, batch=batch)
    later_by(monkeypatch, backup_flows.BATCH_REPEAT_SECONDS + 1)
    with pytest.raises(StaleBatch):
        replace_backup_tokens(user, 10, batch=batch)
    assert backup_device.verify_token(first[0]) and backup_token_count(user) == 9


@pytest.mark.parametrize(("after", "repeat"), [(30, True), (31, False)])
def test_the_repeat_window_is_thirty_seconds(hashing_on, user, monkeypatch, after, repeat):
    batch = new_batch()
    later_by(monkeypatch, 0)  # the clock stands still: only the seconds below count
    _, first = replace_backup_tokens(user, 10, batch=batch)
    later_by(monkeypatch, after)
    assert sent_again(user, batch) == (first if repeat else None)


@pytest.mark.parametrize(("age", "valid"), [(3600, True), (3601, False)])
def test_a_batch_is_valid_for_an_hour(hashing_on, user, monkeypatch, age, valid):
    signed_at = 1_800_000_000
    monkeypatch.setattr("django.core.signing.time.time", lambda: signed_at)
    batch = new_batch()
    monkeypatch.setattr("django.core.signing.time.time", lambda: signed_at + age)
    codes = sent_again(user, batch)
    assert len(codes) == 10 if valid else codes is None


def test_a_resent_page_never_brings_a_used_code_back(hashing_on, verified_client, user,
                                                     monkeypatch, generated_events):
    """The tab that showed the codes, reloaded minutes later (the browser sends the form again):
    its batch was claimed in the database, which, unlike a cache, forgets no claim early."""
    batch = page_batch(verified_client.get(URL))
    codes = shown_codes(verified_client.post(URL, {"batch": batch}))
    device = StaticDevice.objects.get(user=user, name="backup")
    assert device.verify_token(codes[0])
    later_by(monkeypatch, 120)
    cache.clear()  # another process's locmem, a restart, an eviction
    generated_events.clear()
    resent = verified_client.post(URL, {"batch": batch})
    assert resent.status_code == 200 and shown_codes(resent) == []
    assert EXPIRED in resent.content.decode()
    assert page_batch(resent) != batch  # the button now makes new codes
    assert generated_events == []
    device.throttle_reset()
    assert not device.verify_token(codes[0])
    device.throttle_reset()
    assert device.verify_token(codes[1]) and backup_token_count(user) == 8


def test_the_button_of_a_refused_page_generates(hashing_on, verified_client, user, monkeypatch):
    batch = page_batch(verified_client.get(URL))
    verified_client.post(URL, {"batch": batch})
    later_by(monkeypatch, 120)
    again = verified_client.post(URL, {"batch": page_batch(verified_client.post(URL, {"batch": batch}))})
    assert len(shown_codes(again)) == 10 and backup_token_count(user) == 10


@pytest.mark.parametrize("batch", ["forged:1abc:xyz", "no-signature",
                                   signing.TimestampSigner(salt="another").sign("x")])
def test_a_batch_that_is_not_ours_is_refused(hashing_on, verified_client, user, backup_device, batch):
    answer = verified_client.post(URL, {"batch": batch})
    assert answer.status_code == 200 and shown_codes(answer) == []
    assert EXPIRED in answer.content.decode()
    assert backup_device.verify_token("backup01")  # the tokens from before are kept


def test_an_expired_batch_is_refused(hashing_on, user, backup_device, monkeypatch):
    """Both clicks of a double click on a page left open too long are refused: given random
    codes each, the database could keep the first one's while the browser shows the second."""
    batch = new_batch()
    later_by(monkeypatch, backup_flows.BATCH_MAX_AGE + 1)
    for _click in range(2):
        with pytest.raises(StaleBatch):
            replace_backup_tokens(user, 10, batch=batch)
    assert backup_device.verify_token("backup01")


class ConfirmingForm(BackupTokensForm):
    """A site's form: a box of its own."""

    confirm = forms.BooleanField(label="The old codes stop working")


def test_a_refused_page_keeps_a_sites_form_as_it_was_sent(hashing_on, verified_client, monkeypatch):
    monkeypatch.setattr(BackupTokensView, "form_class", ConfirmingForm)
    monkeypatch.setattr(BackupTokensView, "prefix", "codes")
    answer = verified_client.post(URL, {"codes-batch": "forged", "codes-confirm": "on"})
    form = answer.context["form"]
    assert form.prefix == "codes" and form.non_field_errors() == [EXPIRED]
    assert list(form.errors) == ["__all__"]  # the box was ticked: no error of its own
    assert form["confirm"].value() is True
    again = verified_client.post(URL, {"codes-batch": form["batch"].value(), "codes-confirm": "on"})
    assert len(shown_codes(again)) == 10


@pytest.mark.parametrize("ahead, repeat", [(10, True), (-10, True), (40, False), (-40, False)])
def test_the_repeat_window_counts_either_side_of_the_clock(hashing_on, user, monkeypatch, ahead,
                                                            repeat):
    """A first use recorded by a server whose clock is ahead: a double click within the window
    either way, else refused (as a page sent again late)."""
    batch = new_batch()
    _, first = replace_backup_tokens(user, 10, batch=batch)
    monkeypatch.setattr(backup_flows.once, "claimed_at", lambda name: time.time() + ahead)
    assert sent_again(user, batch) == (first if repeat else None)


def test_a_first_use_that_this_transaction_cannot_see_is_a_first_use(hashing_on, user, monkeypatch):
    """In a REPEATABLE READ transaction, the claim a concurrent request made is refused to this
    one's INSERT yet not seen by its SELECT: a double click, not a page sent again."""
    batch = new_batch()
    _, first = replace_backup_tokens(user, 10, batch=batch)
    monkeypatch.setattr(backup_flows.once, "claimed_at", lambda name: None)
    assert replace_backup_tokens(user, 10, batch=batch)[1] == first


def test_another_users_batch_gives_other_codes(hashing_on, user, other_user):
    batch = new_batch()
    assert set(replace_backup_tokens(user, 10, batch=batch)[1]).isdisjoint(
        replace_backup_tokens(other_user, 10, batch=batch)[1])


def test_batch_codes_look_like_random_ones(user):
    _, codes = replace_backup_tokens(user, 10, batch=new_batch())
    assert all(re.fullmatch(r"[a-z2-7]{8}", code) for code in codes)
    assert len(set(codes)) == 10


@pytest.mark.parametrize("data", [{}, {"batch": ""}])
def test_a_form_without_a_batch_still_generates(hashing_on, verified_client, user, data):
    # An overridden template from before batches posts only the CSRF token.
    first, second = (shown_codes(verified_client.post(URL, data)) for _ in range(2))
    assert len(first) == len(second) == 10 and set(first).isdisjoint(second)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_batch_sent_by_eight_requests_at_once_keeps_their_codes(hashing_on, user):
    from tests.django_otp.test_concurrency import run_at_once

    device = StaticDevice.objects.create(user=user, name="backup")
    batch = new_batch()
    results = run_at_once(lambda _prepared: replace_backup_tokens(user, 10, batch=batch)[1], n=8)
    assert all(codes == results[0] for codes in results)
    assert StaticToken.objects.filter(device=device).count() == 10
    assert device.verify_token(results[0][0])
