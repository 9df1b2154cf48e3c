"""How many SQL queries does each request of the two-factor sign-in make?

Run from the repository root with the project installed:

    python benchmarks/login_queries.py [--sql]

Django is configured here (a SQLite file, database-backed sessions, the MD5 hasher so that the
password check is not the story) and every request runs outside any test transaction, as in
production: what is counted is what a real server would send to the database. For scale it also
counts Django's own password-only sign-in (``django.contrib.auth.views.LoginView``), the floor.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

PASSWORD = "benchmark-password"


def configure(db_path: Path) -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark-only-not-secret",
        DEBUG=False,
        USE_TZ=True,
        ALLOWED_HOSTS=["testserver"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(db_path)}},
        INSTALLED_APPS=[
            "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
            "django.contrib.messages", "django_otp", "django_otp.plugins.otp_totp",
            "django_otp.plugins.otp_hotp", "django_otp.plugins.otp_static",
            "django_otp.plugins.otp_email", "two_factor",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        ROOT_URLCONF=__name__,
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates",
                    "APP_DIRS": True,
                    "OPTIONS": {"context_processors": ["django.template.context_processors.request"]}}],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGIN_URL="two_factor:login",
        LOGIN_REDIRECT_URL="/done/",
        TWO_FACTOR_PATCH_ADMIN=False,
    )
    django.setup()


def _urlpatterns():
    from django.contrib.auth import views as auth_views
    from django.http import HttpResponse
    from django.urls import include, path

    from two_factor.urls import urlpatterns as tf_urls

    return [
        path("", include(tf_urls)),
        path("django-login/", auth_views.LoginView.as_view(
            template_name="two_factor/core/login.html"), name="django_login"),
        path("done/", lambda request: HttpResponse("ok")),
    ]


def counted(client, method: str, url: str, data=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    return response, list(queries.captured_queries)


def two_factor_sign_in(user, device):
    from django.test import Client

    from django_otp.oath import TOTP

    client = Client()
    steps = []
    response, queries = counted(client, "get", "/account/login/")
    steps.append(("GET login", response.status_code, queries))
    response, queries = counted(client, "post", "/account/login/", {
        "login_view-current_step": "auth", "auth-username": user.username, "auth-password": PASSWORD})
    steps.append(("POST password", response.status_code, queries))
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    response, queries = counted(client, "post", "/account/login/", {
        "login_view-current_step": "token", "token-otp_token": f"{totp.token():06d}"})
    steps.append(("POST token", response.status_code, queries))
    assert response.status_code == 302, "the sign-in did not complete"
    return steps


def password_only_sign_in(user):
    from django.test import Client

    client = Client()
    steps = []
    response, queries = counted(client, "get", "/django-login/")
    steps.append(("GET login", response.status_code, queries))
    response, queries = counted(client, "post", "/django-login/",
                                {"username": user.username, "password": PASSWORD})
    steps.append(("POST password", response.status_code, queries))
    assert response.status_code == 302, "the password-only sign-in did not complete"
    return steps


def show(title: str, steps, sql: bool) -> int:
    total = sum(len(queries) for _label, _status, queries in steps)
    print(f"{title}: {total} queries")
    for label, status, queries in steps:
        print(f"  {label:<14} {len(queries):>3} queries  (HTTP {status})")
        if sql:
            for query in queries:
                print(f"      {query['sql'][:160]}")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sql", action="store_true", help="print every query")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="twofold-login-") as tmp:
        configure(Path(tmp) / "db.sqlite3")
        sys.modules[__name__].urlpatterns = _urlpatterns()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from django_otp.plugins.otp_totp.models import TOTPDevice

        call_command("migrate", verbosity=0)
        users = get_user_model().objects
        alice = users.create_user("alice", password=PASSWORD)
        device = TOTPDevice.objects.create(user=alice, name="default")
        bob = users.create_user("bob", password=PASSWORD)
        ours = show("two_factor sign-in (password, then token)", two_factor_sign_in(alice, device), args.sql)
        floor = show("Django's password-only sign-in (the floor)", password_only_sign_in(bob), args.sql)
        print(f"ours / floor: {ours} / {floor} queries")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
