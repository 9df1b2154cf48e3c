"""two_factor.flows.session: the new session key of a sign-in, in one UPDATE for DB sessions."""

import pytest
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import cached_db, db, signed_cookies
from django.contrib.sessions.models import Session
from django.test import RequestFactory

from two_factor.flows.session import login, renew_session_key

from .test_login import post_password, post_token, totp_now


def saved_session(engine=db, **data):
    session = engine.SessionStore()
    session.update(data)
    session.save()
    return session


def request_with(session, user=None):
    request = RequestFactory().post("/")
    request.session = session
    request.user = user
    return request


@pytest.mark.django_db
def test_the_row_is_renamed_in_one_statement(django_assert_num_queries):
    session = saved_session(cart="3 apples")
    old_key = session.session_key
    with django_assert_num_queries(1):
        renew_session_key(session)
    assert session.session_key != old_key and session.modified
    assert not Session.objects.filter(session_key=old_key).exists()
    session.save()
    assert db.SessionStore(session.session_key).load() == {"cart": "3 apples"}


@pytest.mark.django_db
def test_a_session_without_a_row_cycles_as_django_does():
    session = db.SessionStore("k" * 32)  # a key the database has never seen (a planted one)
    session["wizard"] = 1
    renew_session_key(session)
    assert session.session_key != "k" * 32
    assert db.SessionStore(session.session_key).load() == {"wizard": 1}


@pytest.mark.django_db
@pytest.mark.parametrize("engine", [cached_db, signed_cookies])
def test_other_engines_cycle_as_usual(engine, monkeypatch):
    session = saved_session(engine, wizard=1)
    cycled = []
    monkeypatch.setattr(type(session), "cycle_key", lambda self: cycled.append(self))
    renew_session_key(session)
    assert cycled == [session]


@pytest.mark.django_db
def test_login_keeps_the_data_of_a_session_of_nobody(user):
    session = saved_session(wizard="state")
    old_key = session.session_key
    login(request_with(session), user)
    assert session.session_key != old_key
    assert session["wizard"] == "state" and session[SESSION_KEY] == str(user.pk)


@pytest.mark.django_db
def test_login_empties_a_session_of_another_user(user, other_user):
    session = saved_session(**{SESSION_KEY: str(other_user.pk), "cart": "theirs",
                               HASH_SESSION_KEY: other_user.get_session_auth_hash()})
    old_key = session.session_key
    login(request_with(session), user)
    assert "cart" not in session and session[SESSION_KEY] == str(user.pk)
    session.save()
    assert session.session_key != old_key


@pytest.mark.django_db
def test_login_empties_a_session_of_the_same_user_with_an_old_password(user):
    session = saved_session(**{SESSION_KEY: str(user.pk), "cart": "old",
                               HASH_SESSION_KEY: "a hash of the password before"})
    login(request_with(session), user)
    assert "cart" not in session


@pytest.mark.django_db
def test_login_renews_a_session_already_of_this_user(user):
    session = saved_session(**{SESSION_KEY: str(user.pk), "cart": "mine",
                               HASH_SESSION_KEY: user.get_session_auth_hash()})
    old_key = session.session_key
    login(request_with(session), user)
    assert session.session_key != old_key and session["cart"] == "mine"


def test_a_planted_key_is_worth_nothing_after_the_sign_in(client, user_with_totp, default_totp):
    post_password(client)
    planted = client.session.session_key  # what an attacker fixed in the victim's browser
    post_token(client, totp_now(default_totp))
    assert not Session.objects.filter(session_key=planted).exists()
    assert Session.objects.get(session_key=client.session.session_key).get_decoded()[
        SESSION_KEY] == str(user_with_totp.pk)
