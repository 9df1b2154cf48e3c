"""The demo site in a real browser, one test per path a person takes through it.

Each test has a user of its own. Where the point is the setup, it is done through the pages;
elsewhere the user and their authenticator app's secret are put in the database first, and
oathtool (not the code under test) computes the codes from that secret. Each secret answers
one code only, so no test waits for the next 30-second step (a code is accepted once).
"""

from __future__ import annotations

import re

import pytest

from .helpers import (
    PASSWORD,
    add_totp_device,
    create_user,
    decode_qr,
    enter_token,
    expect,
    expect_signed_in,
    expect_token_step,
    field,
    new_secret,
    oathtool_totp,
    parse_otpauth,
    save_doc_screenshot,
    session_status,
    sign_in_with_password,
    sign_out,
    sign_up,
    unique_username,
    user_with_totp,
)

pytestmark = pytest.mark.browser


def setup_authenticator_app(page) -> tuple[str, str]:
    """Run the setup wizard for an authenticator app as its owner would: scan the QR code from
    the screen, read the otpauth:// URL, answer with the app's code.

    Returns the secret (base32) and the account named in the URL."""
    page.goto("/account/two_factor/setup/")
    page.get_by_role("button", name="Next", exact=True).click()  # the welcome step
    page.get_by_label("Token generator").check()
    page.get_by_role("button", name="Next", exact=True).click()

    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    url = decode_qr(qr.screenshot())
    assert url.startswith("otpauth://totp/"), url
    parts = parse_otpauth(url)
    assert parts["secret"] and parts["digits"] == "6", url
    # The issuer is the site's name (get_current_site), in the label and as a parameter.
    assert parts["issuer"] and parts["issuer"] == parts["label_issuer"], url
    save_doc_screenshot(page, "setup-qr.png")

    enter_token(page, oathtool_totp(parts["secret"]))
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    return parts["secret"], parts["account"]


def test_1_sign_up_and_set_up_an_authenticator_app_from_the_qr_code(page):
    username = unique_username("alice")
    sign_up(page, username)
    assert session_status(page) == "unverified"  # signed in with a password only

    page.goto("/account/two_factor/")
    page.get_by_role("link", name="Enable Two-Factor Authentication").click()
    secret, account = setup_authenticator_app(page)
    assert account == username

    # The setup verified this session: the OTP-only page opens.
    page.goto("/secret/")
    expect(page.get_by_role("heading", name="Secret page")).to_be_visible()
    page.goto("/account/two_factor/")
    expect(page.get_by_role("heading", name="Primary method")).to_be_visible()


def test_2_sign_in_with_password_and_authenticator_code(page, demo):
    username, secret = user_with_totp(demo, "bob")

    # The OTP-only page sends an anonymous visitor to the sign-in, and back after it.
    page.goto("/secret/")
    expect(page).to_have_url(re.compile(r"/account/login/\?next=/secret/"))
    sign_in_with_password(page, username, path=page.url)
    expect_token_step(page)
    save_doc_screenshot(page, "login-token.png")

    enter_token(page, oathtool_totp(secret))
    expect(page).to_have_url(re.compile(r"/secret/$"))
    expect(page.get_by_role("heading", name="Secret page")).to_be_visible()
    expect(page.get_by_text("You are verified with Token generator")).to_be_visible()


def test_3_a_backup_token_works_once(page, demo):
    username, secret = user_with_totp(demo, "carol")
    sign_in_with_password(page, username)
    enter_token(page, oathtool_totp(secret))
    expect_signed_in(page, verified=True)

    page.goto("/account/two_factor/backup/tokens/")
    page.get_by_role("button", name="Generate new tokens").click()
    tokens = page.get_by_role("list", name="Your backup tokens").locator("code").all_inner_texts()
    assert len(tokens) == 10 and all(tokens), tokens
    sign_out(page)

    def sign_in_with_backup_token(token):
        sign_in_with_password(page, username)
        expect_token_step(page)
        page.get_by_role("button", name="Use Backup Token").click()
        expect(page.get_by_text("Enter one of the backup tokens")).to_be_visible()
        enter_token(page, token)

    sign_in_with_backup_token(tokens[0])
    expect_signed_in(page, verified=True)
    expect(page.get_by_text("Verified with a backup token")).to_be_visible()
    sign_out(page)

    sign_in_with_backup_token(tokens[0])  # the same token, a second time
    expect(page.get_by_text("Invalid token")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/account/login/"))
    assert session_status(page) == "anonymous"


def test_4_remember_this_browser_until_the_password_changes(page, demo):
    username, secret = user_with_totp(demo, "dave")
    sign_in_with_password(page, username)
    enter_token(page, oathtool_totp(secret), remember=True)
    expect_signed_in(page, verified=True)
    sign_out(page)

    # The browser is remembered: the password is enough, and the session is verified.
    sign_in_with_password(page, username)
    expect_signed_in(page, verified=True)

    new_password = PASSWORD + "-new"
    page.goto("/accounts/password/")
    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label(field("New password")).fill(new_password)
    page.get_by_label("New password confirmation").fill(new_password)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    sign_out(page)

    # A new password forgets every remembered browser: the token is asked again.
    sign_in_with_password(page, username, new_password)
    expect_token_step(page)


def test_5_backup_phone_by_text_message(page, demo):
    username, secret = user_with_totp(demo, "erin")
    sign_in_with_password(page, username)
    enter_token(page, oathtool_totp(secret))
    expect_signed_in(page, verified=True)

    page.goto("/account/two_factor/")
    page.get_by_role("link", name="Add Phone Number").click()
    page.get_by_label("Phone number").fill("+31 6 12345678")
    page.get_by_label("Text message").check()
    since = demo.log_size()
    page.get_by_role("button", name="Next", exact=True).click()
    sms = re.compile(r'Fake SMS to \+31612345678: "Your token is: (\d+)"')
    page.get_by_label(field("Token")).fill(demo.wait_for_log(sms, since).group(1))
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page).to_have_url(f"{demo.url}/")  # LOGIN_REDIRECT_URL (home), as before
    page.goto("/account/two_factor/")
    expect(page.get_by_role("heading", name="Backup phone numbers")).to_be_visible()
    sign_out(page)

    # The code that confirmed the number was used, which ends its send cooldown: the sign-in
    # may have a new one sent at once.
    sign_in_with_password(page, username)
    expect_token_step(page)
    since = demo.log_size()
    page.get_by_role("button", name=re.compile(r"Send text message to")).click()
    expect(page.get_by_text("We sent you a text message, please enter the token we sent.")).to_be_visible()
    enter_token(page, demo.wait_for_log(sms, since).group(1))
    expect_signed_in(page, verified=True)
    expect(page.get_by_text("Verified with Text message")).to_be_visible()


def add_virtual_authenticator(page):
    """Chromium's virtual authenticator (DevTools protocol): a platform authenticator that
    keeps passkeys and says yes at once, as if its owner touched it."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True,
    }})
    return cdp


def test_6_security_key_and_passkey(page):
    username = unique_username("frank")
    add_virtual_authenticator(page)
    sign_up(page, username)

    needs_script = page.get_by_text("Your browser must run JavaScript to use a security key.")
    register = page.get_by_role("button", name="Register your security key")

    def to_the_webauthn_step() -> None:
        page.goto("/account/two_factor/setup/")
        page.get_by_role("button", name="Next", exact=True).click()
        page.get_by_label("WebAuthn").check()
        page.get_by_role("button", name="Next", exact=True).click()

    # Its script blocked (a 404, a policy), the step says why the button does nothing.
    page.route("**/webauthn.js", lambda route: route.abort())
    to_the_webauthn_step()
    expect(needs_script).to_be_visible()
    expect(register).to_be_disabled()
    page.unroute("**/webauthn.js")

    to_the_webauthn_step()
    expect(needs_script).to_be_hidden()
    register.click()
    expect(page.get_by_role("heading", name="Two-factor authentication is on")).to_be_visible()
    sign_out(page)

    # Password, then the key.
    sign_in_with_password(page, username)
    expect(page.get_by_text("Use your security key or passkey")).to_be_visible()
    page.get_by_role("button", name="Use your security key").click()
    expect(page.locator("[data-session-status]")).to_have_attribute("data-session-status", "verified")
    expect(page.get_by_text("Verified with WebAuthn")).to_be_visible()
    sign_out(page)

    # A passkey alone: no username, no password.
    page.goto("/account/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.locator("[data-session-status]")).to_have_attribute("data-session-status", "verified")
    expect(page.get_by_text(f"Signed in as {username}")).to_be_visible()
    expect(page.get_by_text("Verified with WebAuthn")).to_be_visible()


def expect_admin_refused(page) -> None:
    page.goto("/admin/")
    expect(page).not_to_have_url(re.compile(r"^[^?]*/admin/$"))
    expect(page.get_by_role("heading", name="Site administration")).to_have_count(0)


def test_7_admin_admits_verified_staff_only(page, demo):
    username = unique_username("grace")
    create_user(demo, username, staff=True)

    # Staff without a device, signed in with the password: sent to set one up.
    sign_in_with_password(page, username)
    expect_signed_in(page, verified=False)
    expect_admin_refused(page)
    expect(page).to_have_url(re.compile(r"/account/two_factor/setup/"))

    # Staff with a device whose session is not verified: sent to the sign-in.
    totp_hex, secret = new_secret()
    add_totp_device(demo, username, totp_hex)
    expect_admin_refused(page)
    expect(page).to_have_url(re.compile(r"/account/login/"))

    # Signed in with the password and a code: the admin opens.
    page.goto("/")
    sign_out(page)
    sign_in_with_password(page, username)
    enter_token(page, oathtool_totp(secret))
    expect_signed_in(page, verified=True)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()


def test_8_disable_two_factor_then_password_alone(page, demo):
    username, secret = user_with_totp(demo, "heidi")
    sign_in_with_password(page, username)
    enter_token(page, oathtool_totp(secret))
    expect_signed_in(page, verified=True)

    page.goto("/account/two_factor/")
    page.get_by_role("link", name="Disable two-factor authentication").click()
    page.get_by_label("Yes, I am sure").check()
    page.get_by_role("button", name="Disable").click()
    expect(page).to_have_url(f"{demo.url}/")  # LOGIN_REDIRECT_URL (home), as before
    page.goto("/account/two_factor/")
    expect(page.get_by_text("Two-factor authentication is not enabled")).to_be_visible()
    sign_out(page)

    sign_in_with_password(page, username)
    expect_signed_in(page, verified=False)
