"""How fast is ``TOTPDevice.verify_token``, and how many queries does it make?

Run from the repository root with the project installed:

    python benchmarks/verify_totp.py [-n 10000]

The script configures Django itself (a SQLite database file in a temporary directory), migrates,
creates one user with one TOTP device, then times ``-n`` successful verifications and ``-n``
failed ones. Every successful call must really succeed: the clock that the TOTP model reads is
replaced by a fake one that moves one time step forward per call, so each call sees a fresh,
unused step. The timed loops contain only the ``verify_token`` calls (and setting the fake clock).
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from worker import FakeClock  # the stand-in for the TOTP model's ``time`` module


def configure(db_path: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark-only-not-secret",
        USE_TZ=True,
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db_path)}},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django_otp",
            "django_otp.plugins.otp_totp",
            "django_otp.plugins.otp_hotp",
            "django_otp.plugins.otp_static",
            "django_otp.plugins.otp_email",
        ],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    django.setup()


def token_at(device, when: float) -> str:
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = when
    return f"{totp.token():0{device.digits}d}"


def show_queries(title: str, queries) -> None:
    print(f"{title}: {len(queries)} SQL quer{'y' if len(queries) == 1 else 'ies'}")
    for query in queries:
        print(f"    {query['sql']}")


def report(label: str, n: int, seconds: float) -> None:
    print(f"{label}: {n:,} calls in {seconds:.3f} s = {n / seconds:,.0f} calls/s "
          f"({seconds / n * 1e6:.1f} µs per call)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="calls per timed loop (default 10000)")
    args = parser.parse_args()
    n = args.n

    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as tmp:
        configure(Path(tmp) / "bench.sqlite3")

        import django
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test.utils import CaptureQueriesContext, override_settings

        import django_otp.plugins.otp_totp.models as totp_models
        from django_otp.plugins.otp_totp.models import TOTPDevice

        call_command("migrate", verbosity=0, interactive=False)
        user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-password")
        device = TOTPDevice.objects.create(user=user, name="default")

        print(f"Python {sys.version.split()[0]} ({platform.python_implementation()}), "
              f"Django {django.__version__}, SQLite {sqlite3.sqlite_version}")
        print(f"Machine: {platform.platform()}, {platform.machine()}, {platform.processor() or '?'}")
        print(f"Database: SQLite file in {tmp}, autocommit: each verification commits one UPDATE,")
        print("          so the commit (journal write and fsync) is most of the time per call")
        print()

        step = device.step
        # Start in the middle of the current step; call i sees step start + i, and its own token.
        start = (int(time.time()) // step) * step + step / 2
        moments = [start + i * step for i in range(n + 1)]
        tokens = [token_at(device, when) for when in moments]
        clock = FakeClock(moments[0])
        real_time_module, totp_models.time = totp_models.time, clock
        try:
            # One successful verification, its queries captured (outside the timed loop).
            with CaptureQueriesContext(connection) as captured:
                assert device.verify_token(tokens[0]), "the first verification failed"
            show_queries("One successful verification", captured.captured_queries)

            accepted = 0
            began = time.perf_counter()
            for when, token in zip(moments[1:], tokens[1:], strict=True):
                clock.now = when
                accepted += device.verify_token(token)
            elapsed = time.perf_counter() - began
            if accepted != n:
                print(f"ERROR: only {accepted} of {n} verifications succeeded", file=sys.stderr)
                return 1
            device.refresh_from_db()
            assert device.last_t == (int(moments[-1]) - device.t0) // step + device.drift
            report("Successful verify_token", n, elapsed)
            print()

            # Failed verifications: a token that matches no step near the clock, throttling off
            # so that every call is checked against the key and counted.
            valid = {token_at(device, clock.now + k * step) for k in range(-3, 4)}
            wrong = next(t for t in (f"{i:0{device.digits}d}" for i in range(10**6)) if t not in valid)
            with override_settings(OTP_TOTP_THROTTLE_FACTOR=0):
                with CaptureQueriesContext(connection) as captured:
                    assert not device.verify_token(wrong), "the wrong token was accepted"
                show_queries("One failed verification", captured.captured_queries)
                rejected = 0
                began = time.perf_counter()
                for _ in range(n):
                    rejected += not device.verify_token(wrong)
                elapsed = time.perf_counter() - began
            if rejected != n:
                print(f"ERROR: only {rejected} of {n} wrong tokens were refused", file=sys.stderr)
                return 1
            device.refresh_from_db()
            assert device.throttling_failure_count == n + 1, device.throttling_failure_count
            report("Failed verify_token (throttle factor 0)", n, elapsed)
            print()

            # For scale: the same successful check in Python alone, with no database write.
            from django_otp.oath import TOTP

            totp = TOTP(device.bin_key, step, device.t0, device.digits, 0)
            began = time.perf_counter()
            for when, token in zip(moments[1:], tokens[1:], strict=True):
                totp.time = when
                totp.drift = 0
                totp.verify(int(token), device.tolerance)
            report("For scale, django_otp.oath.TOTP.verify alone (no database)", n,
                   time.perf_counter() - began)
        finally:
            totp_models.time = real_time_module
            connection.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
