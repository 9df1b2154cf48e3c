"""End-to-end tests: Playwright drives Debian's Chromium against the demo site (example/).

The demo runs in a subprocess (``manage.py runserver``) on a free loopback port with a SQLite
file of its own; its output goes to a log file, where the fake SMS/call gateway writes its tokens.
The browser opens it as http://localhost:PORT: WebAuthn needs a host name, not an IP address.

Without Chromium (or the Python packages, or oathtool) the tests are skipped, with a line that
says why; under CI=true that is an error instead. On PostgreSQL runs (TWOFOLD_DB=postgres) they
are skipped: the demo is SQLite only, and one run of them is enough.

A failed test leaves a screenshot of its page in test-artifacts/browser/<test name>.png.
TWOFOLD_SCREENSHOTS=1 also refreshes the README's images in docs/images/.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MANAGE = ROOT / "example" / "manage.py"
CHROMIUM = os.environ.get("TWOFOLD_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
VIEWPORT = {"width": 1200, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
]
ON_CI = os.environ.get("CI", "").lower() == "true"
ON_POSTGRES = os.environ.get("TWOFOLD_DB") == "postgres"
HERE = Path(__file__).resolve().parent


def missing_requirement() -> str | None:
    """What the browser tests miss here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found ({CHROMIUM})"
    if shutil.which("oathtool") is None:
        return "oathtool not found"
    for module, package in (("playwright", "playwright"), ("zxingcpp", "zxing-cpp"), ("PIL", "Pillow")):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {package} is not installed"
    return None


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def report_header() -> str:
    """The line of pytest's header about the browser tests (tests/conftest.py prints it)."""
    if ON_POSTGRES:
        return "browser tests: skipped on PostgreSQL (the demo site runs on SQLite)"
    reason = missing_requirement()
    if reason is None:
        return f"browser tests: {CHROMIUM}"
    return f"browser tests: {reason}: {'they fail under CI=true' if ON_CI else 'skipped'}"


def pytest_collection_modifyitems(config, items):
    # This hook sees every item of the session: touch only the browser tests.
    ours = [item for item in items if _is_browser_test(item)]
    reason = missing_requirement()
    for item in ours:
        item.add_marker(pytest.mark.browser)
        if ON_POSTGRES:
            item.add_marker(pytest.mark.skip(
                reason="browser tests run in the SQLite run only (the demo site is SQLite)"))
        elif reason is not None and not ON_CI:
            item.add_marker(pytest.mark.skip(reason=f"{reason}: browser tests skipped"))
        # Under CI=true a missing requirement is not skipped: the browser fixture fails.


# The demo site


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Demo:
    """The demo site in a subprocess: its URL, its log, and ``manage.py`` commands on its data."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.database = directory / "demo.sqlite3"
        self.log_path = directory / "server.log"
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "demo.settings",  # pytest-django set it to tests.settings
            "DEMO_DATABASE": str(self.database),
            "DEMO_DEBUG": "1",  # tracebacks in the page (and its screenshot) and in the log
            "PYTHONUNBUFFERED": "1",
        }
        self.process: subprocess.Popen | None = None

    def manage(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run([sys.executable, str(MANAGE), *args], env=self.env, cwd=ROOT,
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run ``code`` in ``manage.py shell`` on the demo's database; its stdout."""
        return self.manage("shell", "--no-imports", "-c", code)

    def start(self) -> None:
        self.manage("migrate", "--noinput", timeout=120)
        self._log = open(self.log_path, "w")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, str(MANAGE), "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo site exited ({self.process.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the demo site did not answer within 30 s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def wait_for_log(self, pattern, since: int = 0, timeout: float = 10):
        """The last match of the regex ``pattern`` in the log written after offset ``since``."""
        deadline = time.monotonic() + timeout
        while True:
            with open(self.log_path, "rb") as log:
                log.seek(since)
                text = log.read().decode(errors="replace")
            matches = list(pattern.finditer(text))
            if matches:
                return matches[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern.pattern!r} not in the demo's log:\n{text[-3000:]}")
            time.sleep(0.1)


@pytest.fixture(scope="session")
def browser_requirements():
    if ON_POSTGRES:
        pytest.skip("browser tests run in the SQLite run only (the demo site is SQLite)")
    reason = missing_requirement()
    if reason is not None:
        if ON_CI:
            pytest.fail(f"{reason}, and CI=true needs the browser tests "
                        "(.ci/run installs chromium, oathtool and the [dev] extra)", pytrace=False)
        pytest.skip(f"{reason}: browser tests skipped")


@pytest.fixture(scope="session")
def demo(browser_requirements, tmp_path_factory):
    site = Demo(tmp_path_factory.mktemp("demo"))
    try:
        site.start()
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="module")
def browser(browser_requirements):
    """Chromium, for the tests of one module. Not longer: Playwright's sync API runs an asyncio
    loop in this thread, and while it runs Django refuses database queries in the other tests
    ("You cannot call this from an async context")."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser, demo):
    ctx = browser.new_context(base_url=demo.url, viewport=VIEWPORT, locale="en-US")
    ctx.set_default_timeout(10_000)
    ctx.set_default_navigation_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    """A page of the demo, which sends a strict Content-Security-Policy (demo/middleware.py): a
    script or style that the policy refuses fails the test, even when the page still works."""
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    assert refused == [], f"the Content-Security-Policy refused: {refused}"


# A screenshot of each failed test's page, for the reader.


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when not in ("setup", "call") or not report.failed or not _is_browser_test(item):
        return
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if page is None or page.is_closed():
        return
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{item.name}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
    except Exception as error:  # the browser may be gone: say so, keep the test's own error
        report.sections.append(("browser screenshot", f"no screenshot: {error}"))
        return
    report.sections.append(("browser screenshot", f"{path} (page {page.url})"))
    demo = item.funcargs.get("demo")
    if demo is not None:
        report.sections.append(("demo site log (end)", demo.log()[-4000:]))
