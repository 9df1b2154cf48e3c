"""Backup tokens: see them, and replace them by ten new ones, from a verified session only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from two_factor.flows.backup import backup_device, backup_token_count, generate_backup_tokens
from two_factor.views import BackupTokensView

from .conftest import login_password_only

URL = "/account/two_factor/backup/tokens/"


def inserts(queries, table="otp_static_statictoken"):
    return [q["sql"] for q in queries if q["sql"].startswith("INSERT") and table in q["sql"]]


def test_url_and_class_attributes():
    assert reverse("two_factor:backup_tokens") == URL
    assert BackupTokensView.number_of_tokens == 10
    assert BackupTokensView.template_name == "two_factor/core/backup_tokens.html"
    assert BackupTokensView.success_url == "two_factor:backup_tokens"


def test_anonymous_is_sent_to_login(client, db, settings):
    settings.LOGIN_URL = "/custom-login/"  # OTP_LOGIN_URL defaults to it, as otp_required does
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/custom-login/?next={URL}"
    settings.OTP_LOGIN_URL = "two_factor:login"
    assert client.get(URL).url == f"{reverse('two_factor:login')}?next={URL}"


@pytest.mark.parametrize("with_device", [True, False])
def test_password_only_session_is_sent_to_otp_login(client, user, settings, with_device):
    """As django_otp's ``otp_required``: a redirect with ``next``, device or not."""
    if with_device:
        StaticDevice.objects.create(user=user, name="default")
    settings.OTP_LOGIN_URL = "/otp-login/"
    login_password_only(client, user)
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == f"/otp-login/?next={URL}"
    response = client.post(URL)
    assert response.status_code == 302
    assert StaticDevice.objects.filter(user=user).count() == int(with_device)
    assert not StaticToken.objects.exists()


def test_get_creates_the_device_once(verified_client, user):
    response = verified_client.get(URL)
    assert response.status_code == 200
    device = StaticDevice.objects.get(user=user, name="backup")
    assert response.context["device"] == device
    assert response.context["tokens"] == []
    assert "You don't have any backup codes yet." in response.content.decode()
    verified_client.get(URL)
    assert StaticDevice.objects.filter(user=user).count() == 1
    assert response["Cache-Control"].startswith("max-age=0")


def test_get_shows_the_tokens(verified_client, backup_device):
    response = verified_client.get(URL)
    assert response.context["device"] == backup_device
    assert [t.token for t in response.context["tokens"]] == ["backup01", "backup02", "backup03"]
    for token in ("backup01", "backup02", "backup03"):
        assert f"<code>{token}</code>" in response.content.decode()


def test_post_replaces_every_token_by_ten_new_ones(verified_client, user, backup_device, settings):
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # each failure below is then about the token alone
    response = verified_client.post(URL)
    assert response.status_code == 302
    assert response.url == URL
    tokens = list(backup_device.token_set.values_list("token", flat=True))
    assert len(tokens) == len(set(tokens)) == 10
    assert not {"backup01", "backup02", "backup03"} & set(tokens)
    page = verified_client.get(URL).content.decode()
    assert all(f"<code>{token}</code>" in page for token in tokens)
    assert match_token(user, "backup01") is None
    assert match_token(user, tokens[0]) == backup_device
    assert match_token(user, tokens[0]) is None  # once only
    assert backup_token_count(user) == 9


def test_post_writes_the_tokens_in_one_insert(verified_client, backup_device):
    with CaptureQueriesContext(connection) as captured:
        verified_client.post(URL)
    assert len(inserts(captured.captured_queries)) == 1


def test_generation_query_count(django_assert_num_queries, user, backup_device):
    # SAVEPOINT, SELECT ... FOR UPDATE of the device, DELETE the old tokens, one INSERT,
    # RELEASE SAVEPOINT (outside the test's transaction: BEGIN and COMMIT, not logged).
    with django_assert_num_queries(5) as captured:
        tokens = generate_backup_tokens(user, 10)
    sqls = [q["sql"] for q in captured.captured_queries]
    assert len(inserts(captured.captured_queries)) == 1
    assert len([sql for sql in sqls if sql.startswith("DELETE")]) == 1
    assert sorted(tokens) == sorted(StaticToken.objects.values_list("token", flat=True))


def test_generation_creates_the_device_when_missing(user, other_user):
    tokens = generate_backup_tokens(user, 3)
    device = StaticDevice.objects.get(user=user)
    assert device.name == "backup"
    assert sorted(device.token_set.values_list("token", flat=True)) == sorted(tokens)
    assert backup_device(other_user, create=False) is None
    assert backup_token_count(other_user) == 0


def test_other_users_tokens_are_untouched(user, other_user, backup_device):
    theirs = StaticDevice.objects.create(user=other_user, name="backup")
    theirs.token_set.create(token="theirs01")
    generate_backup_tokens(user)
    assert list(theirs.token_set.values_list("token", flat=True)) == ["theirs01"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_leaves_one_set(user):
    from tests.django_otp.test_concurrency import run_at_once

    backup_device(user)
    run_at_once(lambda _prepared: generate_backup_tokens(user, 10), n=8)
    assert StaticToken.objects.filter(device__user=user).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("first_use", ["page", "generation"])
def test_concurrent_first_uses_make_one_backup_device(user, first_use):
    # The page (a GET makes the device) or a generation, twice at once, for a user with none:
    # one device, or the tokens shown could sit on one that the sign-in never reads.
    from tests.django_otp.test_concurrency import run_at_once

    action = (lambda _p: backup_device(user)) if first_use == "page" else \
        (lambda _p: generate_backup_tokens(user, 10))
    run_at_once(action, n=8)
    assert StaticDevice.objects.filter(user=user, name="backup").count() == 1
    if first_use == "generation":
        assert StaticToken.objects.filter(device__user=user).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_generation_that_finds_the_device_made_meanwhile_locks_it(user, monkeypatch):
    # Y finds no device; another request makes one (with tokens) before Y takes the user's lock.
    # Y then deletes those tokens; Z, generating too, locks the device and deletes the same
    # tokens. Had Y used the device without locking it, Z would wait for Y's tokens and Y (its
    # INSERT checks the device row) for Z's lock: a deadlock. Y locks it: Z waits, then goes.
    import threading
    import time

    from two_factor.flows import backup as backup_flows

    saw_none, device_made, y_deleted = threading.Event(), threading.Event(), threading.Event()
    real_lock, real_bulk_create = backup_flows.lock_user_row, StaticToken.objects.bulk_create

    def lock_user_row(locked_user):
        if threading.current_thread().name == "Y":
            saw_none.set()
            assert device_made.wait(10)
        real_lock(locked_user)

    def bulk_create(objs, *args, **kwargs):
        if threading.current_thread().name == "Y":
            y_deleted.set()
            time.sleep(0.5)  # Z reaches the device (and waits on Y's lock of it)
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(backup_flows, "lock_user_row", lock_user_row)
    monkeypatch.setattr(StaticToken.objects, "bulk_create", bulk_create)
    errors = []

    def generate(wait_for=None):
        try:
            if wait_for is not None:
                assert wait_for.wait(10)
            generate_backup_tokens(user, 10)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate, name="Y"),
               threading.Thread(target=generate, args=(y_deleted,), name="Z")]
    threads[0].start()
    assert saw_none.wait(10)
    made = StaticDevice.objects.create(user=user, name="backup")
    made.token_set.create(token="older001")
    device_made.set()
    threads[1].start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert StaticDevice.objects.filter(user=user).count() == 1
    assert StaticToken.objects.filter(device__user=user).count() == 10
