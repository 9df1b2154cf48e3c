"""Ours against the old packages, in one run: ``python benchmarks/run.py [--quick]``.

Creates ``benchmarks/.venv-theirs`` (django-two-factor-auth 1.18.1 + django-otp 1.7.5 from the
package index, pinned to the Django version of our environment, plus gunicorn and psycopg) and
uses this interpreter's environment for ours. Then, for several rounds, runs ``worker.py`` once in
each environment, alternating which goes first, and prints each figure as ours / theirs with the
spread (min-max over the rounds) and the ratio, oriented so that > 1 means ours is better. Writes
the table to ``benchmarks/RESULTS.md``. No timing is asserted anywhere; a worker that fails an
assertion (a sign-in that did not complete, a token refused) fails the run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
THEIRS_VENV = HERE / ".venv-theirs"
THEIRS_PINS = ["django-two-factor-auth==1.18.1", "django-otp==1.7.5"]
SMALL = ("verify", "verify_disk", "signin", "otp_page", "qr", "backup")

# (metric, label, unit, higher is better)
ROWS = [
    ("1. verify_token (TOTP)", [
        ("verify_per_s", "successful calls", "/s", True),
        ("verify_queries", "queries per successful call", "", False),
        ("disk_verify_per_s", "successful calls, SQLite file on disk (an fsync each)", "/s",
         True)]),
    ("2. Sign-in, test client (GET login, POST password, POST token)", [
        ("signin_per_s", "sign-ins", "/s", True),
        ("signin_queries", "queries per sign-in", "", False),
        ("signin_get_ms", "GET login (median)", "ms", False),
        ("signin_password_ms", "POST password (median)", "ms", False),
        ("signin_token_ms", "POST token (median)", "ms", False),
        ("floor_signin_per_s", "floor: Django LoginView sign-ins", "/s", True),
        ("floor_signin_queries", "floor: queries per Django sign-in", "", False),
        ("floor_get_ms", "floor: GET (median)", "ms", False),
        ("floor_post_ms", "floor: POST password (median)", "ms", False)]),
    ("3. Page of a verified user", [
        ("otp_page_per_s", "otp_required page", "req/s", True),
        ("otp_page_queries", "queries per otp_required request", "", False),
        ("floor_login_page_per_s", "floor: login_required page", "req/s", True),
        ("floor_login_page_queries", "floor: queries per login_required request", "", False)]),
    ("4. QR code of the setup step (GET two_factor:qr)", [
        ("qr_per_s", "renders", "/s", True),
        ("qr_bytes", "response size", "bytes", False)]),
    ("5. Backup tokens", [
        ("backup_generate_ms", "generate 10 (POST backup_tokens view)", "ms", False),
        ("backup_generate_queries", "queries to generate 10", "", False),
        ("backup_verify_ms", "verify one (StaticDevice.verify_token)", "ms", False),
        ("backup_verify_queries", "queries to verify one", "", False)]),
    ("6. Sign-in under load (gunicorn 2 sync workers, PostgreSQL, 8 clients)", [
        ("load_signin_per_s", "sign-ins", "/s", True),
        ("load_p50_ms", "p50 latency of a sign-in", "ms", False),
        ("load_p99_ms", "p99 latency of a sign-in", "ms", False),
        ("floor_load_signin_per_s", "floor: Django LoginView sign-ins", "/s", True),
        ("floor_load_p50_ms", "floor: p50 latency", "ms", False),
        ("floor_load_p99_ms", "floor: p99 latency", "ms", False)]),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def ensure_envs(ours_python: str) -> str:
    django_version = subprocess.run(
        [ours_python, "-c", "import django; print(django.__version__)"],
        check=True, capture_output=True, text=True).stdout.strip()
    pip = [ours_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if subprocess.run([ours_python, "-c", "import gunicorn"], capture_output=True).returncode:
        log("installing gunicorn into our environment")
        subprocess.run([*pip, "gunicorn"], check=True)
    theirs_python = str(THEIRS_VENV / "bin" / "python")
    want = [*THEIRS_PINS, f"Django=={django_version}", "gunicorn", "psycopg[binary]"]
    stamp = THEIRS_VENV / ".installed"
    if not stamp.exists() or stamp.read_text() != "\n".join(want):
        log(f"creating {THEIRS_VENV} with {' '.join(want)}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(THEIRS_VENV)], check=True)
        subprocess.run([theirs_python, "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", *want], check=True)
        stamp.write_text("\n".join(want))
    return theirs_python


def run_worker(python: str, scenarios: str, impl: str, quick: bool) -> dict:
    cmd = [python, str(HERE / "worker.py"), scenarios, "--impl", impl, *(["--quick"] * quick)]
    began = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
    if proc.returncode:
        raise SystemExit(f"worker failed ({impl}, {scenarios}):\n{proc.stderr[-4000:]}")
    log(f"  {impl:<6} {scenarios:<10} {time.perf_counter() - began:5.1f} s")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def fmt(value: float) -> str:
    if value >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}" if value < 10 else f"{value:.1f}"


def cell(values: list[float]) -> str:
    med = statistics.median(values)
    lo, hi = min(values), max(values)
    return fmt(med) if lo == hi else f"{fmt(med)} ({fmt(lo)}–{fmt(hi)})"


def table(samples: dict[str, dict[str, list[float]]]) -> list[str]:
    lines = ["| Figure | Ours | Theirs | Ratio, > 1: ours better (paired, min–max) |", "|---|---|---|---|"]
    for section, rows in ROWS:
        if not any(metric in samples["ours"] for metric, *_ in rows):
            continue
        lines.append(f"| **{section}** | | | |")
        for metric, label, unit, higher in rows:
            ours, theirs = samples["ours"].get(metric), samples["theirs"].get(metric)
            if not ours or not theirs:
                continue
            pairs = [(o / t if higher else t / o) if o and t else float("nan")
                     for o, t in zip(ours, theirs, strict=True)]
            ratio = statistics.median(pairs)
            spread = "" if min(pairs) == max(pairs) else f" ({min(pairs):.2f}–{max(pairs):.2f})"
            name = f"{label} ({unit})" if unit else label
            lines.append(f"| {name} | {cell(ours)} | {cell(theirs)} | {ratio:.2f}{spread} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 rounds, 5 s of load")
    parser.add_argument("--rounds", type=int, help="rounds of scenarios 1-5 (default 5; quick 2)")
    parser.add_argument("--load-rounds", type=int, help="rounds of scenario 6 (default 2; quick 1)")
    parser.add_argument("--no-load", action="store_true", help="skip scenario 6")
    parser.add_argument("--output", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    load_rounds = 0 if args.no_load else (args.load_rounds or (1 if args.quick else 2))

    started = time.perf_counter()
    ours_python = sys.executable
    theirs_python = ensure_envs(ours_python)
    pythons = {"ours": ours_python, "theirs": theirs_python}
    samples: dict[str, dict[str, list[float]]] = {"ours": {}, "theirs": {}}
    versions: dict[str, dict] = {}
    extras: dict[str, dict] = {"ours": {}, "theirs": {}}
    # Each scenario in its own pair of workers, so that both sides of a pair run under the same
    # conditions (the machine may be shared); the ratio is the median of the paired ratios.
    plan = [(i, name) for i in range(rounds) for name in SMALL]
    plan += [(i, "load") for i in range(load_rounds)]
    for i, scenarios in plan:
        log(f"round {i + 1}: {scenarios}")
        order = ("ours", "theirs") if i % 2 == 0 else ("theirs", "ours")
        for impl in order:
            result = run_worker(pythons[impl], scenarios, impl, args.quick)
            versions[impl] = result["versions"]
            for key, value in result["metrics"].items():
                if isinstance(value, (int, float)):
                    samples[impl].setdefault(key, []).append(value)
                else:
                    extras[impl][key] = value

    lines = table(samples)
    print("\n".join(lines))
    errors = {impl: {k: v for k, v in extras[impl].items() if k.endswith("error_sample") and v}
              for impl in extras}
    steps = {impl: extras[impl].get("signin_queries_steps") for impl in extras}
    write_results(Path(args.output), lines, versions, rounds, load_rounds, args.quick, steps,
                  errors, samples, time.perf_counter() - started)
    log(f"wrote {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


def write_results(path, lines, versions, rounds, load_rounds, quick, steps, errors, samples,
                  elapsed) -> None:
    uname = platform.uname()
    ours, theirs = versions.get("ours", {}), versions.get("theirs", {})
    load_errors = {impl: int(sum(samples[impl].get("load_errors", [])))
                   for impl in ("ours", "theirs")}
    text = [
        "# Benchmarks: django-twofold against django-two-factor-auth + django-otp",
        "",
        "Written by `make bench` (`python benchmarks/run.py`); do not edit by hand.",
        "",
        f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}"
        f"{' (--quick smoke run)' if quick else ''}",
        f"- Machine: {uname.system} {uname.release}, {uname.machine}, "
        f"{os.cpu_count()} CPUs, {platform.processor() or uname.machine}",
        f"- Python {ours.get('python')}, Django {ours.get('django')} (theirs: "
        f"Django {theirs.get('django')})",
        f"- Ours: django-twofold {ours.get('django-twofold')} (its own QR encoder)",
        f"- Theirs: django-two-factor-auth {theirs.get('django-two-factor-auth')}, "
        f"django-otp {theirs.get('django-otp')} (qrcode {theirs.get('qrcode')})",
        f"- gunicorn {ours.get('gunicorn')} / {theirs.get('gunicorn')}, "
        f"psycopg {ours.get('psycopg')} / {theirs.get('psycopg')}",
        f"- Rounds: {rounds} of scenarios 1-5 and {load_rounds} of scenario 6, alternating ours "
        f"and theirs (the first of each pair alternates too); {elapsed:.0f} s in all",
        "",
        "Each cell: the median over the rounds, and (min–max) when the rounds differ. The ratio is "
        "the median of the per-round ratios of a pair of workers run back to back. Scenarios "
        "1-5 run through Django's test client on a SQLite file in memory (tmpfs: autocommit, "
        "database sessions, the MD5 hasher; so the figures are the code, not the disk's fsync, "
        "which the on-disk verify row shows), scenario 6 through gunicorn on PostgreSQL with the load generator on "
        "the same machine (it shares the CPUs with the server). A floor is Django's own code, run "
        "in both environments: its ratio shows the noise of the run.",
        "",
        *lines,
        "",
        f"Queries per request of the sign-in (GET login + POST password + POST token): ours "
        f"{steps.get('ours')}, theirs {steps.get('theirs')}.",
        f"Failed sign-ins under load: ours {load_errors['ours']}, theirs {load_errors['theirs']}"
        + (f" ({errors})" if any(errors.values()) else "") + ".",
        "",
    ]
    path.write_text("\n".join(text))


if __name__ == "__main__":
    raise SystemExit(main())
