"""``mask_email``."""

import pytest

from two_factor.plugins.email.utils import mask_email


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
