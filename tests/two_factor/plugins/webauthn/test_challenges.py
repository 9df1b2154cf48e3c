"""Challenges in the session: one per purpose, each taken once, for a limited time."""

import pytest

from two_factor.plugins.webauthn import challenges

pytestmark = pytest.mark.django_db  # a challenge taken is claimed in the database


class User:
    def __init__(self, pk):
        self.pk = pk


def test_issue_and_take_once():
    session = {}
    value = challenges.issue(session, "login", user=User(7))
    taken = challenges.take(session, "login")
    assert taken == challenges.Challenge(value, "7", None)
    assert challenges.take(session, "login") is None
    assert session == {}


def test_a_challenge_is_taken_once_even_from_a_copy_of_the_session():
    # Two requests of one session (each with its own copy), or a cookie session sent again.
    session = {}
    value = challenges.issue(session, "passkey")
    copy = dict(session)
    assert challenges.take(session, "passkey").value == value
    assert challenges.take(copy, "passkey") is None
    assert copy == {}  # taken out of that copy too


def test_one_per_purpose():
    session = {}
    register = challenges.issue(session, "register", user=User(1), user_handle="aGFuZGxl")
    passkey = challenges.issue(session, "passkey")
    newer = challenges.issue(session, "passkey")
    assert challenges.take(session, "passkey").value == newer != passkey
    assert challenges.take(session, "register") == challenges.Challenge(register, "1", "aGFuZGxl")


def test_expired(monkeypatch):
    session = {}
    challenges.issue(session, "passkey")
    later = challenges.now() + challenges.MAX_AGE + 1
    monkeypatch.setattr(challenges, "now", lambda: later)
    assert challenges.take(session, "passkey") is None
    assert challenges.SESSION_KEY not in session


def test_from_the_future(monkeypatch):
    session = {}
    challenges.issue(session, "passkey")
    earlier = challenges.now() - 10
    monkeypatch.setattr(challenges, "now", lambda: earlier)
    assert challenges.take(session, "passkey") is None


@pytest.mark.parametrize("stored", [
    None, "x", [], {"passkey": "x"}, {"passkey": {}}, {"passkey": {"challenge": "AAAA"}},
    {"passkey": {"challenge": "!!", "issued": 1e18}}, {"passkey": {"challenge": 5, "issued": "now"}},
])
def test_damaged_records(stored):
    session = {challenges.SESSION_KEY: stored}
    assert challenges.take(session, "passkey") is None


def test_bind_keeps_the_challenge_of_the_same_user():
    session = {}
    challenges.bind(session, "login", User(3))
    assert challenges.bound_user_pk(session, "login") == "3"
    assert challenges.take(session, "login") is None  # bound, but nothing issued yet
    value = challenges.issue(session, "login", user=User(3))
    challenges.bind(session, "login", User(3))
    assert challenges.take(session, "login").value == value


def test_bind_to_another_user_drops_the_challenge():
    session = {}
    challenges.issue(session, "login", user=User(3))
    challenges.bind(session, "login", User(4))
    assert challenges.bound_user_pk(session, "login") == "4"
    assert challenges.take(session, "login") is None
