"""The documentation: the quick-start snippets work in a new project, and the settings tables
cannot drift from the code (docs/_ext/setting_descriptions.py, which the Sphinx build uses too).

The quick-start project runs in a subprocess, so that its settings never meet pytest-django's.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = DOCS / "snippets"

# What `django-admin startproject` writes, less what the quick start does not touch.
BASE_SETTINGS = '''
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = "docs-test-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "quickstart_urls"
TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "DIRS": [],
    "APP_DIRS": True,
    "OPTIONS": {"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]},
}]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
STATIC_URL = "static/"
USE_TZ = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
'''

SCRIPT = '''
import django
from django.core.management import call_command

django.setup()
call_command("check", fail_level="WARNING")
call_command("migrate", verbosity=0)

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from django_otp.plugins.otp_totp.models import TOTPDevice

assert reverse("two_factor:login") == "/account/login/"
client = Client()
response = client.get("/account/login/")
assert response.status_code == 200, response.status_code
assert 'name="auth-username"' in response.content.decode()

# The first sign-in: no device yet, so the password is enough; then the profile offers setup.
get_user_model().objects.create_user("alice", password="correct horse")
response = client.post("/account/login/", {
    "login_view-current_step": "auth", "auth-username": "alice", "auth-password": "correct horse"})
assert response.status_code == 302 and response["Location"] == "/account/two_factor/", response
response = client.get("/account/two_factor/")
assert response.status_code == 200
assert reverse("two_factor:setup") in response.content.decode()
assert TOTPDevice.objects.count() == 0

# The profile's "Sign out" button posts to the snippet's logout URL, which signs out.
assert f'action="{reverse("logout")}"' in response.content.decode()
assert client.post(reverse("logout")).status_code == 302
assert client.get("/account/two_factor/").status_code == 302
client.post("/account/login/", {
    "login_view-current_step": "auth", "auth-username": "alice", "auth-password": "correct horse"})

# The view snippet: a signed-in user without a verified device is sent to LOGIN_URL.
import quickstart_views
from django.test import RequestFactory
request = RequestFactory().get("/secret/")
request.user = get_user_model().objects.get(username="alice")
request.user.is_verified = lambda: False
response = quickstart_views.secret(request)
assert response.status_code == 302 and response["Location"].startswith("/account/login/"), response
print("quick start OK")
'''


def test_quickstart_snippets_make_a_working_project(tmp_path):
    settings = BASE_SETTINGS + "\n# docs/snippets/quickstart_settings.py\n" + \
        (SNIPPETS / "quickstart_settings.py").read_text()
    (tmp_path / "quickstart_settings.py").write_text(settings)
    (tmp_path / "quickstart_urls.py").write_text((SNIPPETS / "quickstart_urls.py").read_text())
    (tmp_path / "quickstart_views.py").write_text((SNIPPETS / "quickstart_views.py").read_text())
    (tmp_path / "run.py").write_text(textwrap.dedent(SCRIPT))
    env = {"DJANGO_SETTINGS_MODULE": "quickstart_settings", "PYTHONPATH": str(tmp_path),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "run.py"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "quick start OK" in result.stdout


def test_quickstart_page_includes_the_tested_snippets():
    page = (DOCS / "quickstart.rst").read_text()
    for name in ("quickstart_settings.py", "quickstart_urls.py", "quickstart_views.py"):
        assert f".. literalinclude:: snippets/{name}" in page


def test_every_template_is_named_on_the_templates_page():
    page = (DOCS / "howto" / "templates.rst").read_text()
    names = [str(path.relative_to(directory)) for directory in (ROOT / "src").rglob("templates")
             for path in directory.rglob("*") if path.is_file()]
    assert len(names) > 20
    # By its path, or (in a row that lists a directory's templates) by its name after the first.
    assert [name for name in names if name not in page and f"``{name.rsplit('/', 1)[-1]}``" not in page] == []


@pytest.fixture
def extension():
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import setting_descriptions

        yield setting_descriptions
    finally:
        sys.path.remove(str(DOCS / "_ext"))


@pytest.mark.parametrize("module", ["django_otp.conf", "two_factor.conf"])
def test_every_setting_is_described_and_nothing_else(extension, module):
    import importlib

    assert extension.drift(module, importlib.import_module(module).DEFAULTS) == []


def test_drift_is_reported_both_ways(extension):
    problems = extension.drift("two_factor.conf", {"TWO_FACTOR_NEW_THING": 1})
    assert any("TWO_FACTOR_NEW_THING is in two_factor.conf.DEFAULTS" in p for p in problems)
    assert any("TWO_FACTOR_PATCH_ADMIN is described" in p for p in problems)
