"""The package's templates work under a strict Content-Security-Policy: no inline script, event
handler, style or ``javascript:`` URL. (The browser tests check the same in Chromium, against
the demo site's policy; this check runs everywhere.)"""

import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
TEMPLATES = sorted(path for path in SRC.rglob("*.html") if "templates" in path.parts)

INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I),
    "event handler": re.compile(r"<[^>]+\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.I),
    "style element": re.compile(r"<style\b", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def inline_code(source: str) -> list[str]:
    return [name for name, pattern in INLINE.items() if pattern.search(source)]


def test_every_app_and_plugin_is_read():
    assert {path.relative_to(SRC).parts[:3] for path in TEMPLATES} >= {
        ("two_factor", "templates", "two_factor"), ("django_otp", "templates", "otp"),
        ("django_otp", "plugins", "otp_totp"), ("django_otp", "plugins", "otp_hotp")}


def test_the_check_finds_each_kind():
    assert inline_code('<script>alert(1)</script>') == ["inline script"]
    assert inline_code('<script src="/a.js" defer></script>') == []
    assert inline_code('<button onclick="go()">') == ["event handler"]
    assert inline_code('<p style="color: red">') == ["style attribute"]
    assert inline_code("<style>p {}</style>") == ["style element"]
    assert inline_code('<a href="javascript:void(0)">') == ["javascript: URL"]
    assert inline_code('<button data-webauthn-start disabled>') == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: str(path.relative_to(SRC)))
def test_no_template_needs_unsafe_inline(path):
    assert inline_code(path.read_text(encoding="utf-8")) == []
