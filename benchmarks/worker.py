"""One measurement round of one implementation; prints one JSON line. Driven by ``run.py``.

    python benchmarks/worker.py SCENARIO[,SCENARIO...] --impl ours|theirs [--quick]

The same file serves both implementations: ours and the old packages have the same module names
(``django_otp``, ``two_factor``), so which one runs is decided by the interpreter (the virtual
environment) that ``run.py`` starts this file with. ``--impl`` only labels the output and names
the PostgreSQL database of scenario 6.

Scenarios: ``verify`` (1), ``signin`` (2, with Django's password-only sign-in as the floor),
``otp_page`` (3, with a login_required page as the floor), ``qr`` (4), ``backup`` (5), ``load`` (6:
gunicorn on PostgreSQL, driven from here by a bounded load generator).

Everything runs outside any test transaction, as in production (SQLite in autocommit mode,
database-backed sessions, the MD5 hasher so that password hashing is not the story). The SQLite
file of scenarios 1-5 lives in /dev/shm (tmpfs) so that fsync is not the story either;
``verify_disk`` repeats scenario 1 with the file on disk.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

PASSWORD = "benchmark-password"
HERE = Path(__file__).resolve().parent
PG = {"HOST": "127.0.0.1", "PORT": "5432", "USER": "postgres", "PASSWORD": ""}


# --- settings (identical for both implementations) ------------------------------------------


def settings_dict(database: dict) -> dict:
    return {
        "SECRET_KEY": "benchmark-only-not-secret",
        "DEBUG": False,
        "USE_TZ": True,
        "ALLOWED_HOSTS": ["*"],
        "DATABASES": {"default": database},
        "INSTALLED_APPS": [
            "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "django_otp", "django_otp.plugins.otp_totp",
            "django_otp.plugins.otp_hotp", "django_otp.plugins.otp_static",
            "django_otp.plugins.otp_email", "two_factor",
        ],
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        "ROOT_URLCONF": "worker",
        "TEMPLATES": [{
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [str(HERE / "templates")],
            "APP_DIRS": True,
            "OPTIONS": {"context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]},
        }],
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "LOGIN_URL": "two_factor:login",
        "LOGIN_REDIRECT_URL": "/done/",
        "TWO_FACTOR_PATCH_ADMIN": False,
        "LOGGING_CONFIG": None,
    }


def sqlite_db(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def postgres_db(name: str) -> dict:
    return {"ENGINE": "django.db.backends.postgresql", "NAME": name, "CONN_MAX_AGE": 60, **PG}


def configure(database: dict) -> None:
    import django
    from django.conf import settings

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    sys.modules.setdefault("worker", sys.modules[__name__])
    settings.configure(**settings_dict(database))
    django.setup()


def _build_urlpatterns():
    from django.contrib.auth import views as auth_views
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.urls import include, path

    from django_otp.decorators import otp_required
    from two_factor.urls import urlpatterns as tf_urls

    def page(request):
        return HttpResponse("ok")

    return [
        path("", include(tf_urls)),
        # The floor renders the same template in both environments (benchmarks/templates).
        path("django-login/", auth_views.LoginView.as_view(
            template_name="floor_login.html"), name="django_login"),
        path("done/", page),
        path("otp-page/", otp_required(page)),
        path("login-page/", login_required(page)),
    ]


def __getattr__(name):  # the URLconf, built on first use (after django.setup())
    if name == "urlpatterns":
        patterns = _build_urlpatterns()
        globals()["urlpatterns"] = patterns
        return patterns
    raise AttributeError(name)


# --- helpers ---------------------------------------------------------------------------------


def totp_token(key_hex: str, when: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238, independent of both packages."""
    counter = int(when) // step
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 10 ** digits:0{digits}d}"


def make_users(count: int, prefix: str, with_device: bool = True):
    """``count`` users (MD5 password) each with a confirmed TOTP device; bulk inserts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from django_otp.plugins.otp_totp.models import TOTPDevice

    User = get_user_model()
    hashed = make_password(PASSWORD)
    User.objects.bulk_create([User(username=f"{prefix}{i}", password=hashed) for i in range(count)])
    users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
    if not with_device:
        return [(u, None) for u in users]
    devices = TOTPDevice.objects.bulk_create([
        TOTPDevice(user=u, name="default", confirmed=True, key=os.urandom(20).hex()) for u in users])
    return list(zip(users, devices, strict=True))


def counted(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, len(queries.captured_queries)


def request(call, status: int, times: list[list[float]] | None, step: int) -> int:
    """Make one request of a sign-in; check its status; its time (ms) into ``times[step]``."""
    began = time.perf_counter()
    response, n = counted(call)
    if times is not None:
        times[step].append((time.perf_counter() - began) * 1000)
    assert response.status_code == status, (
        f"request {step + 1} of the sign-in answered {response.status_code}, not {status}")
    return n


def sign_in(client, user, device, times: list[list[float]] | None = None) -> list[int]:
    """GET login, POST password, POST token; the queries of each request."""
    token = totp_token(device.key, time.time())  # valid for the sign-in's few milliseconds
    return [
        request(lambda: client.get("/account/login/"), 200, times, 0),
        request(lambda: client.post("/account/login/", {
            "login_view-current_step": "auth", "auth-username": user.username,
            "auth-password": PASSWORD}), 200, times, 1),
        request(lambda: client.post("/account/login/", {
            "login_view-current_step": "token", "token-otp_token": token}), 302, times, 2),
    ]


def django_sign_in(client, user, times: list[list[float]] | None = None) -> list[int]:
    return [
        request(lambda: client.get("/django-login/"), 200, times, 0),
        request(lambda: client.post("/django-login/", {
            "username": user.username, "password": PASSWORD}), 302, times, 1),
    ]


def rate(n: int, seconds: float) -> float:
    return n / seconds


# --- scenarios 1-5 (SQLite file) -------------------------------------------------------------


class FakeClock:
    """Stands in for the ``time`` module inside the TOTP model: ``time()`` returns ``now``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


def scenario_verify(quick: bool) -> dict:
    import django_otp.plugins.otp_totp.models as totp_models

    n = 300 if quick else 1500
    [(_user, device)] = make_users(1, "verify")
    step = device.step
    start = (int(time.time()) // step) * step + step / 2
    moments = [start + i * step for i in range(n + 1)]
    tokens = [totp_token(device.key, when) for when in moments]
    clock = FakeClock(moments[0])
    real, totp_models.time = totp_models.time, clock
    try:
        ok, queries = counted(lambda: device.verify_token(tokens[0]))
        assert ok, "the first verification failed"
        accepted = 0
        began = time.perf_counter()
        for when, token in zip(moments[1:], tokens[1:], strict=True):
            clock.now = when
            accepted += bool(device.verify_token(token))
        elapsed = time.perf_counter() - began
    finally:
        totp_models.time = real
    assert accepted == n, f"only {accepted} of {n} verifications succeeded"
    return {"verify_per_s": rate(n, elapsed), "verify_queries": queries}


def scenario_signin(quick: bool) -> dict:
    from django.test import Client

    n = 40 if quick else 100
    two = make_users(n + 1, "signin")
    plain = make_users(n + 1, "plain", with_device=False)
    first = sign_in(Client(), *two[0])
    floor_first = django_sign_in(Client(), plain[0][0])
    times: list[list[float]] = [[], [], []]
    began = time.perf_counter()
    for user, device in two[1:]:
        sign_in(Client(), user, device, times)
    elapsed = time.perf_counter() - began
    floor_times: list[list[float]] = [[], []]
    began = time.perf_counter()
    for user, _ in plain[1:]:
        django_sign_in(Client(), user, floor_times)
    floor_elapsed = time.perf_counter() - began
    # Each request's median time: where a sign-in's time goes, against Django's two requests.
    medians = dict(zip(
        ("signin_get_ms", "signin_password_ms", "signin_token_ms", "floor_get_ms",
         "floor_post_ms"), map(statistics.median, (*times, *floor_times)), strict=True))
    return {
        "signin_per_s": rate(n, elapsed), "signin_queries": sum(first),
        "signin_queries_steps": "+".join(map(str, first)),
        "floor_signin_per_s": rate(n, floor_elapsed), "floor_signin_queries": sum(floor_first),
        **medians,
    }


def scenario_otp_page(quick: bool) -> dict:
    from django.test import Client

    n = 500 if quick else 1000
    user, device = make_users(1, "page")[0]
    client = Client()
    sign_in(client, user, device)
    result = {}
    for name, url in (("otp_page", "/otp-page/"), ("floor_login_page", "/login-page/")):
        response, queries = counted(lambda url=url: client.get(url))
        assert response.status_code == 200, (url, response.status_code)
        began = time.perf_counter()
        for _ in range(n):
            client.get(url)
        result[f"{name}_per_s"] = rate(n, time.perf_counter() - began)
        result[f"{name}_queries"] = queries
    return result


def scenario_qr(quick: bool) -> dict:
    from django.test import Client

    n = 50 if quick else 200
    user, _ = make_users(1, "qr", with_device=False)[0]
    client = Client()
    response = client.post("/account/login/", {
        "login_view-current_step": "auth", "auth-username": user.username,
        "auth-password": PASSWORD})
    assert response.status_code == 302, response.status_code
    assert client.get("/account/two_factor/setup/").status_code == 200
    response = client.post("/account/two_factor/setup/", {"setup_view-current_step": "welcome"})
    if b'name="method-method"' in response.content or b"method-method" in response.content:
        response = client.post("/account/two_factor/setup/", {
            "setup_view-current_step": "method", "method-method": "generator"})
    assert b"generator-token" in response.content, "the setup wizard did not reach the QR step"
    response, queries = counted(lambda: client.get("/account/two_factor/qrcode/"))
    assert response.status_code == 200 and b"<svg" in response.content[:400], response.content[:200]
    began = time.perf_counter()
    for _ in range(n):
        client.get("/account/two_factor/qrcode/")
    return {"qr_per_s": rate(n, time.perf_counter() - began), "qr_queries": queries,
            "qr_bytes": len(response.content)}


def scenario_backup(quick: bool) -> dict:
    from django.test import Client

    from django_otp.plugins.otp_static.models import StaticDevice

    n = 30 if quick else 120
    user, device = make_users(1, "backup")[0]
    client = Client()
    sign_in(client, user, device)
    url = "/account/two_factor/backup/tokens/"
    gen_time = ver_time = 0.0
    gen_queries = ver_queries = 0
    for i in range(n + 1):
        began = time.perf_counter()
        response, q = counted(lambda: client.post(url, {}))
        gen = time.perf_counter() - began
        assert response.status_code == 302, response.status_code
        static = StaticDevice.objects.get(user=user)
        token = static.token_set.first().token
        assert static.token_set.count() == 10
        static = StaticDevice.objects.get(pk=static.pk)
        began = time.perf_counter()
        ok, vq = counted(lambda static=static, token=token: static.verify_token(token))
        ver = time.perf_counter() - began
        assert ok, "the backup token was refused"
        if i == 0:
            gen_queries, ver_queries = q, vq
        else:
            gen_time += gen
            ver_time += ver
    return {"backup_generate_ms": gen_time / n * 1e3, "backup_generate_queries": gen_queries,
            "backup_verify_ms": ver_time / n * 1e3, "backup_verify_queries": ver_queries}


# --- scenario 6: gunicorn on PostgreSQL ------------------------------------------------------


def pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(host=PG["HOST"], port=PG["PORT"], user=PG["USER"], dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(sql)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """A cookie-keeping HTTP/1.1 client on one keep-alive connection (per sign-in)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, data: dict | None = None) -> tuple[int, bytes]:
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if data is not None:
            data = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **data}
            body = urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
            headers["Referer"] = "http://127.0.0.1/"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            m = re.match(r"\s*([^=]+)=([^;]*)", header)
            if m:
                self.cookies[m.group(1)] = m.group(2)
        return response.status, content

    def close(self) -> None:
        self.conn.close()


def one_django_signin(port: int, username: str, _key_hex: str) -> None:
    b = Browser(port)
    try:
        status, _ = b.request("GET", "/django-login/")
        assert status == 200, f"GET django-login: {status}"
        status, _ = b.request("POST", "/django-login/", {"username": username, "password": PASSWORD})
        assert status == 302, f"POST django-login: {status}"
    finally:
        b.close()


def one_signin(port: int, username: str, key_hex: str) -> None:
    b = Browser(port)
    try:
        status, _ = b.request("GET", "/account/login/")
        assert status == 200, f"GET login: {status}"
        status, body = b.request("POST", "/account/login/", {
            "login_view-current_step": "auth", "auth-username": username,
            "auth-password": PASSWORD})
        assert status == 200 and b"token-otp_token" in body, f"POST password: {status}"
        status, _ = b.request("POST", "/account/login/", {
            "login_view-current_step": "token", "token-otp_token": totp_token(key_hex, time.time())})
        assert status == 302, f"POST token: {status}"
    finally:
        b.close()


def drive(sign_in_once, port: int, pool: list, clients: int, duration: float, prefix: str) -> dict:
    """``clients`` threads doing sign-ins back to back for ``duration`` seconds; each user once."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.perf_counter() + duration

    def client() -> None:
        while time.perf_counter() < stop_at:
            with lock:
                if not pool:
                    errors.append("user pool exhausted")
                    return
                username, key = pool.pop()
            began = time.perf_counter()
            try:
                sign_in_once(port, username, key)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(repr(exc))
                continue
            with lock:
                latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    if not latencies:
        raise RuntimeError(f"no sign-in completed: {errors[:3]}")
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3

    return {f"{prefix}_signin_per_s": len(latencies) / elapsed, f"{prefix}_p50_ms": pct(0.50),
            f"{prefix}_p99_ms": pct(0.99), f"{prefix}_errors": len(errors),
            f"{prefix}_error_sample": errors[:2]}


def scenario_load(quick: bool, impl: str) -> dict:
    duration = 5.0 if quick else 20.0
    clients = 8
    count = 1500 if quick else 5000
    dbname = f"bench_{impl}"
    pg_admin(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
    pg_admin(f"CREATE DATABASE {dbname}")
    try:
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0, interactive=False)
        pool = [(u.username, d.key) for u, d in make_users(count, "load")]
        plain = [(u.username, "") for u, _ in make_users(count, "plain", with_device=False)]
        connections.close_all()
        port = free_port()
        env = {**os.environ, "BENCH_DBNAME": dbname, "PYTHONPATH": str(HERE)}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        server = subprocess.Popen(
            [str(gunicorn), "--workers", "2", "--worker-class", "sync", "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(HERE), "wsgi:application"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    if server.poll() is not None or time.time() > deadline:
                        raise RuntimeError("gunicorn did not start: "
                                           + server.stderr.read().decode()[-2000:]) from None
                    time.sleep(0.1)
            # Warm-up: a few sign-ins (imports, connections in both gunicorn workers).
            for _ in range(4):
                one_signin(port, *pool.pop())
                one_django_signin(port, *plain.pop())
            result = drive(one_signin, port, pool, clients, duration, "load")
            result.update(drive(one_django_signin, port, plain, clients, duration / 2,
                                "floor_load"))
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        return result
    finally:
        from django.db import connections

        connections.close_all()
        pg_admin(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")


def scenario_verify_disk(quick: bool) -> dict:
    """Scenario 1 with the SQLite file on disk: each verification waits for its commit's fsync."""
    return {f"disk_{name}": value for name, value in scenario_verify(quick).items()}


SCENARIOS = {"verify": scenario_verify, "signin": scenario_signin, "otp_page": scenario_otp_page,
             "qr": scenario_qr, "backup": scenario_backup, "verify_disk": scenario_verify_disk}

# Scenarios 1-5 keep their SQLite file in memory (tmpfs), so that they measure the code of each
# implementation rather than the disk's fsync, as the MD5 hasher keeps PBKDF2 out of the story.
# ``verify_disk`` shows the same calls with a commit that reaches the disk.
MEMORY_DIR = "/dev/shm"


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    import django

    out = {"python": sys.version.split()[0], "django": django.__version__}
    for dist in ("django-twofold", "django-two-factor-auth", "django-otp", "qrcode",
                 "gunicorn", "psycopg"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("scenarios", help="comma-separated: " + ",".join([*SCENARIOS, "load"]))
    parser.add_argument("--impl", choices=["ours", "theirs"], required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    names = args.scenarios.split(",")
    result: dict = {"impl": args.impl, "versions": {}, "metrics": {}}
    in_memory = names != ["verify_disk"] and os.path.isdir(MEMORY_DIR)
    with tempfile.TemporaryDirectory(prefix="twofold-bench-",
                                     dir=MEMORY_DIR if in_memory else None) as tmp:
        if names == ["load"]:
            configure(postgres_db(f"bench_{args.impl}"))
            result["metrics"].update(scenario_load(args.quick, args.impl))
        else:
            configure(sqlite_db(Path(tmp) / "bench.sqlite3"))
            from django.core.management import call_command
            from django.db import connection

            call_command("migrate", verbosity=0, interactive=False)
            for name in names:
                result["metrics"].update(SCENARIOS[name](args.quick))
            connection.close()
        result["versions"] = versions()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
