"""What a person does on the demo site, step by step, and the authenticator app they hold."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

try:
    from playwright.sync_api import expect
except ImportError:  # the tests are skipped (or fail under CI) before anything uses it
    expect = None

ROOT = Path(__file__).resolve().parents[2]
DOC_IMAGES = ROOT / "docs" / "images"
PASSWORD = "Tulip-Harbor-Lantern-83"


def field(label: str):
    """The label of a form field, exactly: Django adds a colon ("Password:")."""
    return re.compile(rf"^{re.escape(label)}:?$")


_usernames: set[str] = set()


def unique_username(name: str) -> str:
    """``name``, or ``name-2``, ... if taken: each test signs up a user of its own (the demo's
    database is new for each run, so the README's screenshots show plain names)."""
    candidate, number = name, 1
    while candidate in _usernames:
        number += 1
        candidate = f"{name}-{number}"
    _usernames.add(candidate)
    return candidate


# The authenticator app: oathtool, a program independent of the code under test.


def oathtool_totp(secret_b32: str) -> str:
    """The 6-digit code of ``secret_b32`` now, as an authenticator app computes it."""
    result = subprocess.run(["oathtool", "--totp", "-b", secret_b32], capture_output=True,
                            text=True, check=True, timeout=10)
    return result.stdout.strip()


def new_secret() -> tuple[str, str]:
    """A fresh TOTP secret: (hex for the database, base32 for oathtool)."""
    key = secrets.token_bytes(20)
    return key.hex(), base64.b32encode(key).decode().rstrip("=")


def decode_qr(png: bytes) -> str:
    """The text of the one QR code in the image ``png``, decoded from its pixels (zxing-cpp)."""
    import zxingcpp
    from PIL import Image

    results = [result for result in zxingcpp.read_barcodes(Image.open(BytesIO(png)))
               if result.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(results) == 1, f"expected one QR code in the image, found {len(results)}"
    return results[0].text


def parse_otpauth(url: str) -> dict[str, str]:
    """The parts of an otpauth://totp/ISSUER:%20ACCOUNT?secret=...&issuer=... URL."""
    parts = urlsplit(url)
    assert parts.scheme == "otpauth" and parts.netloc == "totp", url
    label = unquote(parts.path.lstrip("/"))
    issuer_in_label, _, account = label.rpartition(":")
    account = account.lstrip(" ")  # "Issuer: account", as authenticator apps read it
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return {"label_issuer": issuer_in_label, "account": account, **query}


# Users made directly in the demo's database (when the way they got there is not the point).


def create_user(demo, username: str, *, staff: bool = False, totp_hex: str | None = None) -> None:
    """A user with PASSWORD; with a confirmed TOTP device of key ``totp_hex`` if given."""
    code = [
        "from django.contrib.auth import get_user_model",
        "from django_otp.plugins.otp_totp.models import TOTPDevice",
        f"user = get_user_model().objects.create_user({username!r}, password={PASSWORD!r}, "
        f"is_staff={staff!r})",
    ]
    if totp_hex is not None:
        code.append(f"TOTPDevice.objects.create(user=user, name='default', key={totp_hex!r}, "
                    "confirmed=True)")
    demo.shell("\n".join(code))


def add_totp_device(demo, username: str, totp_hex: str) -> None:
    demo.shell("\n".join([
        "from django.contrib.auth import get_user_model",
        "from django_otp.plugins.otp_totp.models import TOTPDevice",
        f"user = get_user_model().objects.get(username={username!r})",
        f"TOTPDevice.objects.create(user=user, name='default', key={totp_hex!r}, confirmed=True)",
    ]))


def user_with_totp(demo, prefix: str, **kwargs) -> tuple[str, str]:
    """A new user with an authenticator app: (username, base32 secret)."""
    username = unique_username(prefix)
    totp_hex, secret = new_secret()
    create_user(demo, username, totp_hex=totp_hex, **kwargs)
    return username, secret


# Pages


def sign_up(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.get_by_label(field("Password")).fill(password)
    page.get_by_label("Password confirmation").fill(password)
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/account/two_factor/$"))
    expect(page.get_by_role("heading", name="Account security", level=1)).to_be_visible()


def sign_in_with_password(page, username: str, password: str = PASSWORD, path: str = "/account/login/") -> None:
    """The sign-in's first step. The browser is then on the token step, or signed in."""
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label(field("Password")).fill(password)
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_load_state()


def expect_token_step(page) -> None:
    """The sign-in asks for a token (the password was right)."""
    expect(page).to_have_url(re.compile(r"/account/login/"))
    expect(page.get_by_label(field("Token"))).to_be_visible()
    expect(page.get_by_label(field("Password"))).to_have_count(0)


def enter_token(page, token: str, remember: bool = False) -> None:
    page.get_by_label(field("Token")).fill(token)
    if remember:
        page.get_by_label("Don't ask again on this device", exact=False).check()
    page.get_by_role("button", name="Next", exact=True).click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.locator("[data-session-status]")).to_have_attribute("data-session-status", "anonymous")


def session_status(page) -> str:
    """How the home page describes this browser's session: anonymous, unverified or verified."""
    page.goto("/")
    return page.locator("[data-session-status]").get_attribute("data-session-status")


def expect_signed_in(page, verified: bool) -> None:
    """The sign-in is over (home page), verified by a second factor or not."""
    expect(page.get_by_label(field("Token"))).to_have_count(0)
    assert session_status(page) == ("verified" if verified else "unverified")


def save_doc_screenshot(page, name: str) -> None:
    """With TWOFOLD_SCREENSHOTS=1, refresh docs/images/NAME (a README image) from ``page``."""
    if os.environ.get("TWOFOLD_SCREENSHOTS") != "1":
        return
    DOC_IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOC_IMAGES / name), animations="disabled", caret="hide")
