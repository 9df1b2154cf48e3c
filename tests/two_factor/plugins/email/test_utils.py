"""``mask_email``."""

import pytest

from two_factor.plugins.email.utils import mask_email


@pytest.mark.parametrize(("email", "masked"), [
    ("alice@example.com", "a***e@example.com"),  # as the old package showed it
    ("bouke@example.com", "b***e@example.com"),
    ("bob@example.com", "b**@example.com"),  # short: only the first character shows
    ("jo@example.com", "j*@example.com"),
    ("x@example.com", "*@example.com"),
    ("first.last@mail.example.co.uk", "f********t@mail.example.co.uk"),
    ("alice@localhost", "a***e@localhost"),
    ("Alice.Smith@Example.COM", "A*********h@Example.COM"),
    ('"a@b"@example.com', '"***"@example.com'),
    ("élodie@exämple.fr", "é****e@exämple.fr"),
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
    assert masked != email and masked.split("@")[1] == email.split("@")[1]
