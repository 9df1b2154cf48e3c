"""django_otp.util: key validation, random secrets, typed-token parsing and otpauth:// URLs."""

import string
from base64 import b32decode, b32encode
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.core.exceptions import ValidationError

from django_otp.util import hex_validator, otpauth_url, parse_numeric_token, random_hex, random_number_token

# --- hex_validator ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "00", "0123456789abcdef", "ABCDEF", "aBcD", "ff" * 40])
def test_hex_validator_accepts_hex(value):
    assert hex_validator()(value) is None


def test_hex_validator_accepts_bytes():
    assert hex_validator(2)(b"beef") is None


@pytest.mark.parametrize("value", [
    "0",                # odd length
    "abc",              # odd length
    "zz",               # not hex
    "0x12",             # no prefix allowed
    "12 34",            # no spaces
    " 1234",
    "12\n",
    "é1",               # unicode letter
    "\uff11\uff12",     # fullwidth digits "１２"
    "\u0661\u0662",     # Arabic-Indic digits "١٢"
    None,
    1234,
])
def test_hex_validator_refuses_non_hex(value):
    with pytest.raises(ValidationError) as info:
        hex_validator()(value)
    assert info.value.code == "invalid"


def test_hex_validator_checks_the_exact_byte_length():
    validate = hex_validator(20)
    assert validate("ab" * 20) is None
    for wrong in ("ab" * 19, "ab" * 21, "", "ab" * 10):
        with pytest.raises(ValidationError) as info:
            validate(wrong)
        assert info.value.code == "length"


def test_hex_validator_length_counts_bytes_not_characters():
    assert hex_validator(3)("abcdef") is None
    with pytest.raises(ValidationError):
        hex_validator(6)("abcdef")


def test_hex_validator_reports_bad_hex_before_length():
    with pytest.raises(ValidationError) as info:
        hex_validator(2)("xyz")
    assert info.value.code == "invalid"


# --- random_hex and random_number_token ---------------------------------------------------------

HEX_DIGITS = set("0123456789abcdef")


def test_random_hex_default_is_20_bytes():
    value = random_hex()
    assert isinstance(value, str)
    assert len(value) == 40
    assert bytes.fromhex(value)


@pytest.mark.parametrize("length", [0, 1, 10, 20, 32, 40])
def test_random_hex_length_and_charset(length):
    value = random_hex(length)
    assert len(value) == 2 * length
    assert set(value) <= HEX_DIGITS
    assert hex_validator(length)(value) is None


def test_random_hex_values_differ():
    values = {random_hex() for _ in range(200)}
    assert len(values) == 200


def test_random_hex_uses_every_hex_digit():
    # 2000 characters miss one of 16 digits with probability below 1e-50.
    assert set(random_hex(1000)) == HEX_DIGITS


def test_random_number_token_default_is_six_digits():
    token = random_number_token()
    assert isinstance(token, str)
    assert len(token) == 6
    assert set(token) <= set(string.digits)


@pytest.mark.parametrize("length", [1, 4, 8, 12])
def test_random_number_token_length(length):
    token = random_number_token(length)
    assert len(token) == length
    assert set(token) <= set(string.digits)


def test_random_number_token_uses_every_digit_and_varies():
    assert set(random_number_token(1000)) == set(string.digits)
    assert len({random_number_token(12) for _ in range(200)}) == 200


def test_random_number_token_keeps_leading_zeros():
    # Among 2000 six-digit tokens about 200 start with 0; none may be shortened.
    tokens = [random_number_token() for _ in range(2000)]
    assert any(token.startswith("0") for token in tokens)
    assert all(len(token) == 6 for token in tokens)


# --- parse_numeric_token ----------------------------------------------------------------------


@pytest.mark.parametrize("typed, value", [
    ("123456", 123456),
    ("000123", 123),
    ("  123456  ", 123456),
    ("\t123456\r\n", 123456),
    ("123 456", 123456),
    ("12 34 56", 123456),
    (" 1234 5678 ", 12345678),
    ("0", 0),
    ("9999999999", 9999999999),
])
def test_parse_numeric_token_accepts_ascii_digits(typed, value):
    assert parse_numeric_token(typed) == value


@pytest.mark.parametrize("typed", [
    "",
    "   ",
    "12a456",
    "abcdef",
    "123-456",
    "123.456",
    "+123456",
    "-123456",
    "123_456",               # int() would accept this
    "0x1234",
    "123\t456",
    "123\u00a0456",          # no-break space
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic "١٢٣٤٥٦": int() would accept this
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # fullwidth "１２３４５６": int() would accept this
    "\u00b2\u00b3",          # superscripts: str.isdigit() is True
    "1" * 11,
    "1" * 1000,
])
def test_parse_numeric_token_refuses_anything_else(typed):
    assert parse_numeric_token(typed) is None


def test_parse_numeric_token_max_digits():
    assert parse_numeric_token("123456", max_digits=6) == 123456
    assert parse_numeric_token("1234567", max_digits=6) is None
    assert parse_numeric_token("12345678", max_digits=8) == 12345678
    assert parse_numeric_token("123 456 78", max_digits=8) == 12345678


@pytest.mark.parametrize("token", [None, b"123456", 123456.0, ["123456"], True, False])
def test_parse_numeric_token_refuses_other_types(token):
    assert parse_numeric_token(token) is None


def test_parse_numeric_token_accepts_ints_in_range():
    assert parse_numeric_token(123456) == 123456
    assert parse_numeric_token(0) == 0
    assert parse_numeric_token(999999, max_digits=6) == 999999
    assert parse_numeric_token(1000000, max_digits=6) is None
    assert parse_numeric_token(-1) is None


# --- otpauth_url ------------------------------------------------------------------------------

KEY = bytes(range(20))


def parse_otpauth(url):
    """(kind, label, query) of an otpauth:// URL, decoded as an authenticator app would."""
    parts = urlsplit(url)
    assert parts.scheme == "otpauth"
    query = parse_qs(parts.query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    return parts.netloc, unquote(parts.path[1:]), {name: values[0] for name, values in query.items()}


def unpadded_b32decode(secret):
    return b32decode(secret + "=" * (-len(secret) % 8))


def test_otpauth_url_totp_basics():
    kind, label, query = parse_otpauth(otpauth_url("totp", "alice", KEY))
    assert kind == "totp"
    assert label == "alice"
    assert unpadded_b32decode(query["secret"]) == KEY
    assert query["algorithm"] == "SHA1"
    assert "issuer" not in query


@pytest.mark.parametrize("length", [10, 11, 16, 20, 32, 40])
def test_otpauth_url_secret_is_padded_base32_as_django_otp_writes_it(length):
    key = bytes(range(length))
    url = otpauth_url("totp", "alice", key)
    _kind, _label, query = parse_otpauth(url)
    assert query["secret"] == b32encode(key).decode()  # the "=" padding kept
    assert f"secret={b32encode(key).decode().replace('=', '%3D')}&" in url
    assert b32decode(query["secret"]) == key


def test_otpauth_url_label_is_quoted_as_django_otp_quotes_it():
    # quote()'s default safe characters: the issuer's colon and the "@" are escaped.
    url = otpauth_url("totp", "alice", KEY, "example.com")
    assert urlsplit(url).path == "/example.com%3Aalice"
    assert urlsplit(otpauth_url("totp", "alice@example.com", KEY)).path == "/alice%40example.com"
    assert urlsplit(otpauth_url("totp", "al:ice", KEY, "ex:ample")).path == "/example%3Aal%3Aice"


def test_otpauth_url_issuer_with_spaces_and_account_with_at():
    url = otpauth_url("totp", "alice@example.com", KEY, "Example Corp")
    assert " " not in url
    assert "+" not in url  # spaces are %20: apps do not read "+" as a space in the label
    _kind, label, query = parse_otpauth(url)
    assert label == "Example Corp:alice@example.com"
    assert query["issuer"] == "Example Corp"


def test_otpauth_url_issuer_with_a_colon_keeps_the_label_unambiguous():
    # The label is "issuer:account"; a colon inside the issuer would move the split.
    _kind, label, query = parse_otpauth(otpauth_url("totp", "alice@example.com", KEY, "Example: Corp"))
    label_issuer, account = label.split(":", 1)
    assert account == "alice@example.com"
    assert label_issuer == query["issuer"]
    assert label_issuer.replace(" ", "") == "ExampleCorp"


def test_otpauth_url_quotes_reserved_and_unicode_characters():
    url = otpauth_url("totp", "bob&eve?x=1#f", KEY, "Bücher & Co/Ltd")
    _kind, label, query = parse_otpauth(url)
    assert label == "Bücher & Co/Ltd:bob&eve?x=1#f"
    assert query["issuer"] == "Bücher & Co/Ltd"
    assert set(query) == {"secret", "algorithm", "issuer"}
    assert url.isascii()


def test_otpauth_url_digits_and_period():
    _kind, _label, query = parse_otpauth(otpauth_url("totp", "alice", KEY, "Example", digits=8, period=60))
    assert query["digits"] == "8"
    assert query["period"] == "60"
    assert query["issuer"] == "Example"


def test_otpauth_url_issuer_then_image_as_django_otp_appends_them():
    url = otpauth_url("totp", "alice", KEY, "Example", digits=6, period=30,
                      image="https://x.invalid/i.png")
    assert url == ("otpauth://totp/Example%3Aalice?secret=AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT"
                   "&algorithm=SHA1&digits=6&period=30&issuer=Example&image=https://x.invalid/i.png")


def test_otpauth_url_image_keeps_colon_and_slash_only():
    url = otpauth_url("totp", "alice", KEY, None, image="https://x.invalid/a b?c=d&e#f.png")
    assert url.endswith("&algorithm=SHA1&image=https://x.invalid/a%20b%3Fc%3Dd%26e%23f.png")
    assert parse_otpauth(url)[2]["image"] == "https://x.invalid/a b?c=d&e#f.png"


def test_otpauth_url_issuer_is_quoted_as_django_otp_quotes_it():
    url = otpauth_url("totp", "alice", KEY, "Bücher & Co/Ltd")
    assert url.endswith("&issuer=B%C3%BCcher%20%26%20Co/Ltd")


def test_otpauth_url_hotp_counter_and_none_params_left_out():
    url = otpauth_url("hotp", "alice", KEY, None, digits=6, counter=5, image=None)
    kind, label, query = parse_otpauth(url)
    assert kind == "hotp"
    assert label == "alice"
    assert query["counter"] == "5"
    assert query["digits"] == "6"
    assert "image" not in query
    assert "issuer" not in query
