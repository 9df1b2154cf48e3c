"""``mask_email``, and the limit on setup mails of a session."""

import pytest

from two_factor.plugins.email.utils import (
    SETUP_SENT_SESSION_KEY,
    mask_email,
    record_setup_mail,
    setup_mail_wait,
)


@pytest.mark.parametrize(("email", "masked"), [
    ("alice@example.com", "a***e@e*****e.com"),
    ("bob@example.com", "b**@e*****e.com"),
    ("jo@example.com", "j*@e*****e.com"),
    ("x@example.com", "*@e*****e.com"),
    ("alice@ab.io", "a***e@a*.io"),
    ("alice@a.io", "a***e@*.io"),
    ("first.last@mail.example.co.uk", "f********t@m**l.e*****e.c*.uk"),
    ("alice@localhost", "a***e@l*******t"),
    ("Alice.Smith@Example.COM", "A*********h@E*****e.COM"),
    ('"a@b"@example.com', '"***"@e*****e.com'),
    ("élodie@exämple.fr", "é****e@e*****e.fr"),
    ("no-at-sign", "n********n"),
    ("", ""),
    (None, ""),
])
def test_mask_email(email, masked):
    assert mask_email(email) == masked


@pytest.mark.parametrize("email", ["alice@example.com", "x@y.z", "first.last@mail.example.co.uk"])
def test_masking_keeps_the_shape_and_hides_the_rest(email):
    masked = mask_email(email)
    assert len(masked) == len(email)
    assert masked.count("@") == email.count("@")
    assert masked != email


def test_setup_mail_wait():
    session = {}
    assert setup_mail_wait(session, 60, now=1000.0) == 0
    record_setup_mail(session, now=1000.0)
    assert session[SETUP_SENT_SESSION_KEY] == 1000.0
    assert setup_mail_wait(session, 60, now=1010.0) == 50
    assert setup_mail_wait(session, 60, now=1060.0) == 0
    assert setup_mail_wait(session, 0, now=1010.0) == 0  # no cooldown: no limit


@pytest.mark.parametrize("stored", ["1000", None, [], 5000.0])
def test_setup_mail_wait_ignores_odd_values(stored):
    # Not a number, or a moment in the future (a clock that went back): no wait.
    assert setup_mail_wait({SETUP_SENT_SESSION_KEY: stored}, 60, now=1010.0) == 0
