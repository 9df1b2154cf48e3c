"""django_otp.oath against the RFC test values and against an independent implementation (oathtool)."""

import ast
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest

import django_otp.oath
from django_otp.oath import TOTP, hotp, totp

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "oath-vectors.json").read_text())
RFC_KEY = VECTORS["hotp_sha1_6"]["key_ascii"].encode()  # b"12345678901234567890"

# RFC 6238 Appendix B: the seed for each digest is the same ASCII text repeated to the digest's size.
SEEDS = {"sha1": RFC_KEY, "sha256": (RFC_KEY * 2)[:32], "sha512": (RFC_KEY * 4)[:64]}

# RFC 4226 Appendix D, "Truncated" column: the 31-bit values before reduction to 6 digits.
RFC4226_TRUNCATED = [1284755224, 1094287082, 137359152, 1726969429, 1640338314,
                     868254676, 1918287922, 82162583, 673399871, 645520489]


def at_time(unix_time, key=RFC_KEY, **kwargs):
    """A TOTP for ``key`` with its clock fixed at ``unix_time``."""
    otp = TOTP(key, **kwargs)
    otp.time = unix_time
    return otp


# --- HOTP ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("counter, expected", list(enumerate(VECTORS["hotp_sha1_6"]["values"])))
def test_hotp_rfc4226_appendix_d(counter, expected):
    assert hotp(RFC_KEY, counter) == expected
    assert hotp(RFC_KEY, counter, digits=6) == expected


@pytest.mark.parametrize("counter, truncated", list(enumerate(RFC4226_TRUNCATED)))
def test_hotp_digits_reduce_the_truncated_value(counter, truncated):
    assert hotp(RFC_KEY, counter, digits=10) == truncated
    assert hotp(RFC_KEY, counter, digits=8) == truncated % 10**8
    assert hotp(RFC_KEY, counter, digits=7) == truncated % 10**7


def test_hotp_returns_an_int_without_leading_zeros():
    # Counter 7 of the RFC key is 162583 in 6 digits but 082162583 in 9: the int drops the zero.
    value = hotp(RFC_KEY, 7, digits=9)
    assert type(value) is int
    assert value == 82162583


def test_hotp_counter_is_an_unsigned_64_bit_number():
    assert 0 <= hotp(RFC_KEY, 2**64 - 1) < 10**6
    # Out of range counters are errors, never silently wrapped onto another counter.
    for counter in (-1, 2**64):
        with pytest.raises((struct.error, ValueError, OverflowError)):
            hotp(RFC_KEY, counter)


# --- TOTP against RFC 6238 Appendix B ---------------------------------------------------------

TOTP_ROWS = [(row["time"], digest, row[digest]) for row in VECTORS["totp_8"] for digest in SEEDS]


@pytest.mark.parametrize("unix_time, digest, expected", TOTP_ROWS)
def test_totp_rfc6238_appendix_b(unix_time, digest, expected):
    otp = at_time(unix_time, SEEDS[digest], digits=8, digest=digest)
    assert otp.token() == int(expected)
    assert f"{otp.token():08d}" == expected


@pytest.mark.parametrize("unix_time, digest, expected", TOTP_ROWS)
def test_hotp_digest_matches_totp_at_the_same_step(unix_time, digest, expected):
    assert hotp(SEEDS[digest], unix_time // 30, digits=8, digest=digest) == int(expected)


def test_rfc_rows_with_sha1_are_the_default_digest():
    for row in VECTORS["totp_8"]:
        assert at_time(row["time"], digits=8).token() == int(row["sha1"])


def run_in_one_step(func, step=30):
    """Call ``func(current_step)`` until the clock stays in one step during the call."""
    for _attempt in range(5):
        before = int(time.time() // step)
        result = func(before)
        if int(time.time() // step) == before:
            return result
    raise AssertionError("the clock kept crossing step boundaries")


@pytest.mark.parametrize("unix_time, digest, expected", TOTP_ROWS)
def test_totp_function_uses_the_current_time(unix_time, digest, expected):
    # totp() reads the clock: shift it onto the RFC time step through ``drift``.
    def token_at_rfc_step(now_step):
        return totp(SEEDS[digest], digits=8, drift=unix_time // 30 - now_step, digest=digest)

    assert run_in_one_step(token_at_rfc_step) == int(expected)


def test_totp_function_passes_step_t0_and_digits():
    key = bytes(range(1, 21))

    def token_and_expected(now_step):
        # t0 = 600 is ten steps of 60 s: t() is now_step - 10 + drift.
        return totp(key, step=60, t0=600, digits=8, drift=2), hotp(key, now_step - 8, digits=8)

    actual, expected = run_in_one_step(token_and_expected, step=60)
    assert actual == expected


# --- TOTP state: t(), time, step, t0, drift ---------------------------------------------------

def test_t_is_the_step_number():
    assert at_time(0).t() == 0
    assert at_time(29.999).t() == 0
    assert at_time(30).t() == 1
    assert at_time(59).t() == 1
    assert at_time(1234567890).t() == 41152263


def test_t_with_step_t0_and_drift():
    assert at_time(1000, step=60).t() == 16
    assert at_time(1000, step=60, t0=100).t() == 15  # (1000 - 100) // 60
    assert at_time(1000, step=60, t0=100, drift=3).t() == 18
    assert at_time(1000, step=60, t0=100, drift=-2).t() == 13


def test_step_t0_and_drift_change_the_token():
    base = at_time(1111111109, digits=8)
    assert base.token() == 7081804
    # The same step reached through each parameter gives the same token.
    same_step = base.t()
    assert at_time(1111111109 * 2, digits=8, step=60).t() == same_step
    assert at_time(1111111109 * 2, digits=8, step=60).token() == 7081804
    assert at_time(1111111109 + 3000, digits=8, t0=3000).token() == 7081804
    assert at_time(1111111109 - 300, digits=8, drift=10).token() == 7081804
    # A different step gives a different token.
    assert at_time(1111111109, digits=8, drift=1).token() == hotp(RFC_KEY, same_step + 1, 8)


def test_time_can_be_fixed_and_released():
    otp = TOTP(RFC_KEY)
    before = time.time()
    assert before <= otp.time <= time.time()
    otp.time = 59
    assert otp.time == 59
    assert otp.t() == 1
    otp.time = 1111111111.5
    assert otp.time == 1111111111.5
    assert otp.t() == 37037037
    otp.time = None
    before = time.time()
    assert before <= otp.time <= time.time()


def test_token_follows_the_fixed_time():
    otp = at_time(59, digits=8)
    assert otp.token() == 94287082
    otp.time = 1111111109
    assert otp.token() == 7081804


# --- TOTP.verify ------------------------------------------------------------------------------

NOW = 1_700_000_015  # step 56666667
NOW_T = NOW // 30


def token_at(t, digits=6):
    return hotp(RFC_KEY, t, digits)


def test_verify_accepts_the_current_token_without_moving_drift():
    otp = at_time(NOW)
    assert otp.verify(token_at(NOW_T))
    assert otp.drift == 0
    assert otp.t() == NOW_T


def test_verify_default_tolerance_is_zero():
    otp = at_time(NOW)
    assert not otp.verify(token_at(NOW_T + 1))
    assert not otp.verify(token_at(NOW_T - 1))


def test_verify_rejects_a_wrong_token():
    otp = at_time(NOW)
    wrong = (token_at(NOW_T) + 1) % 10**6
    assert not otp.verify(wrong, tolerance=1)
    assert otp.drift == 0


@pytest.mark.parametrize("offset", [-2, -1, 1, 2])
def test_verify_within_tolerance_leaves_drift_at_the_match(offset):
    otp = at_time(NOW)
    assert otp.verify(token_at(NOW_T + offset), tolerance=2)
    assert otp.drift == offset
    assert otp.t() == NOW_T + offset
    assert otp.token() == token_at(NOW_T + offset)


@pytest.mark.parametrize("offset", [-3, 3, 10])
def test_verify_outside_tolerance_fails(offset):
    otp = at_time(NOW)
    assert not otp.verify(token_at(NOW_T + offset), tolerance=2)
    assert otp.drift == 0


def test_verify_starts_from_the_existing_drift():
    otp = at_time(NOW, drift=5)
    assert otp.verify(token_at(NOW_T + 6), tolerance=1)
    assert otp.drift == 6
    assert otp.t() == NOW_T + 6


def test_failed_verify_restores_a_nonzero_drift():
    otp = at_time(NOW, drift=5)
    assert not otp.verify(token_at(NOW_T), tolerance=1)  # 5 steps behind the drifted clock
    assert otp.drift == 5
    assert otp.t() == NOW_T + 5


def test_verify_refuses_steps_below_min_t():
    otp = at_time(NOW)
    assert not otp.verify(token_at(NOW_T - 1), tolerance=1, min_t=NOW_T)
    assert otp.drift == 0
    assert not otp.verify(token_at(NOW_T), tolerance=1, min_t=NOW_T + 1)
    assert otp.drift == 0


def test_verify_accepts_steps_at_or_above_min_t():
    otp = at_time(NOW)
    assert otp.verify(token_at(NOW_T), tolerance=1, min_t=NOW_T)
    assert otp.t() == NOW_T
    otp = at_time(NOW)
    assert otp.verify(token_at(NOW_T + 1), tolerance=1, min_t=NOW_T + 1)
    assert otp.t() == NOW_T + 1


def test_verify_min_t_applies_to_the_drifted_step():
    otp = at_time(NOW, drift=-2)  # t() is NOW_T - 2
    assert not otp.verify(token_at(NOW_T - 3), tolerance=1, min_t=NOW_T - 2)
    assert otp.verify(token_at(NOW_T - 2), tolerance=1, min_t=NOW_T - 2)
    assert otp.drift == -2


def test_verify_with_8_digits_and_another_digest():
    otp = at_time(1234567890 + 30, SEEDS["sha256"], digits=8, digest="sha256")
    assert otp.verify(91819424, tolerance=1)
    assert otp.drift == -1
    assert not at_time(1234567890, SEEDS["sha256"], digits=8, digest="sha512").verify(91819424)


# --- The module stays free of Django ----------------------------------------------------------

def imported_modules(path):
    modules = set()
    for node in ast.walk(ast.parse(Path(path).read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add("." * node.level + (node.module or ""))
    return modules


def test_oath_imports_no_django():
    modules = imported_modules(django_otp.oath.__file__)
    assert modules, "the parser found no imports at all"
    assert not {name for name in modules if name.split(".")[0] in {"django", "django_otp"}}
    assert not {name for name in modules if name.startswith(".")}, "relative imports reach the package"
    assert {name.split(".")[0] for name in modules} <= set(sys.stdlib_module_names)


# --- Cross-check against oathtool (OATH Toolkit) ----------------------------------------------

SEED = 20090213  # fixed, so a failure can be replayed; it is printed in every failure message
CASES = 200
WINDOW = 4  # oathtool -w 4 prints 5 consecutive values per process


@pytest.fixture(scope="module")
def oathtool():
    path = shutil.which("oathtool")
    if path is None:
        message = "oathtool is not installed (Debian/Ubuntu package 'oathtool')"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; CI must install it")
        pytest.skip(message)
    return path


def run_oathtool(oathtool, *args):
    result = subprocess.run([oathtool, *args], capture_output=True, text=True, check=False, timeout=10)
    assert result.returncode == 0, f"oathtool {' '.join(args)} failed: {result.stderr}"
    return result.stdout.split()


def random_cases(kind):
    """``CASES`` reproducible random parameter sets; ``kind`` gives each test its own stream."""
    rng = random.Random(f"{SEED}-{kind}")
    for index in range(CASES):
        yield index, rng, rng.randbytes(rng.randint(10, 40)), rng.choice([6, 8])


def test_hotp_matches_oathtool(oathtool):
    for index, rng, key, digits in random_cases("hotp"):
        counter = rng.choice([rng.randrange(1000), rng.randrange(2**32), rng.randrange(2**64 - WINDOW)])
        args = ["--hotp", "-d", str(digits), "-c", str(counter), "-w", str(WINDOW), key.hex()]
        expected = run_oathtool(oathtool, *args)
        actual = [f"{hotp(key, counter + i, digits):0{digits}d}" for i in range(WINDOW + 1)]
        assert actual == expected, f"seed {SEED}, case {index}: oathtool {' '.join(args)}"


def test_totp_matches_oathtool(oathtool):
    for index, rng, key, digits in random_cases("totp"):
        now = rng.randrange(2**33)
        step = rng.choice([30, 60, rng.randint(1, 600)])
        t0 = rng.choice([0, rng.randrange(now + 1)])
        digest = rng.choice(["sha1", "sha256", "sha512"])
        args = [f"--totp={digest.upper()}", "-d", str(digits), "-N", f"@{now}", "-w", str(WINDOW)]
        if step != 30:
            args += ["-s", str(step)]
        if t0:
            args += ["-S", f"@{t0}"]
        args.append(key.hex())
        expected = run_oathtool(oathtool, *args)
        # oathtool's window starts at the current step and runs forward.
        actual = [f"{at_time(now, key, step=step, t0=t0, digits=digits, drift=i, digest=digest).token():0{digits}d}"
                  for i in range(WINDOW + 1)]
        assert actual == expected, f"seed {SEED}, case {index}: oathtool {' '.join(args)}"


def test_totp_defaults_are_rfc_6238s(monkeypatch):
    """``totp(key)`` alone: 30 s steps from 0, six digits, no drift (RFC 6238's first vector,
    94287082 at 59 s, cut to six digits)."""
    from django_otp import oath

    monkeypatch.setattr(oath._time, "time", lambda: 59)
    assert oath.totp(b"12345678901234567890") == 287082


def test_the_clock_can_be_patched_where_django_otp_tests_patch_it(monkeypatch):
    """``django_otp.oath.time`` (django-otp's own tests replace it) and ``time.time``."""
    from unittest import mock

    from django_otp import oath

    with mock.patch("django_otp.oath.time", return_value=59):
        assert oath.totp(b"12345678901234567890") == 287082
    monkeypatch.setattr("time.time", lambda: 59)
    assert oath.TOTP(b"12345678901234567890").t() == 1


def test_verify_skips_steps_that_no_counter_holds():
    totp = TOTP(b"12345678901234567890", step=30, t0=0)
    totp.time = 10  # step 0: a tolerance of 1 would also try step -1, which does not exist
    assert totp.verify(hotp(b"12345678901234567890", 0), tolerance=1)
    assert totp.t() == 0
    totp.time = 10
    totp.drift = -5  # every step tried is below 0
    assert not totp.verify(123456, tolerance=1) and totp.drift == -5


def test_verify_takes_the_last_counter_and_skips_what_is_past_it():
    key = b"12345678901234567890"
    totp = TOTP(key, step=1, t0=0)
    totp.time = float(2**63)  # a step that exists (HOTP's counter is 8 bytes)
    assert totp.verify(hotp(key, 2**63), tolerance=0)
    totp = TOTP(key, step=1, t0=0)
    totp.time = float(2**64)  # past the last counter: nothing to check, and no error
    assert not totp.verify(123456, tolerance=0)


def test_verify_takes_the_very_last_counter():
    key = b"12345678901234567890"
    totp = TOTP(key, step=1, t0=0)
    totp.time = 0
    totp.drift = 2**64 - 1  # the last step an 8-byte counter holds; the one after it is skipped
    assert totp.verify(hotp(key, 2**64 - 1), tolerance=1)
    assert totp.t() == 2**64 - 1
