"""One line per setting: what it does. The keys must be exactly those of each package's DEFAULTS.

``twofold_docs`` renders ``django_otp.conf.DEFAULTS`` and ``two_factor.conf.DEFAULTS`` with these
lines and fails the build when a setting has no line here or a line names no setting.
"""

from __future__ import annotations

from typing import Any

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "django_otp.conf": {
        "OTP_LOGIN_URL":
            "Where ``otp_required`` (and our views it used to protect) send a user who is not verified. "
            "``None`` means Django's ``LOGIN_URL``.",
        "OTP_ADMIN_HIDE_SENSITIVE_DATA":
            "When true, the device admins leave the secret fields (keys, tokens) out of the change "
            "forms of existing devices (the add form keeps them, as in django-otp) and out of "
            "their lists, refuse filters on them (which would spell them out), and their QR code "
            "pages answer 403. (Whatever the setting, a backup token's text form is never its "
            "code, so delete pages do not list codes.) When it is not set, it is true if "
            "``OTP_ENCRYPTION_KEYS`` is set and false otherwise.",
        "OTP_TOTP_ISSUER":
            "The issuer shown by authenticator apps for TOTP devices: a string, or a callable given "
            "the device. ``None`` leaves it out of ``TOTPDevice.config_url`` (the admin's QR "
            "code). The setup wizard, which has no device yet, uses it when it is a string, and "
            "the current site's name otherwise.",
        "OTP_TOTP_IMAGE":
            "URL of an image that some authenticator apps show next to the account (a string, or a "
            "callable given the device), in ``TOTPDevice.config_url`` (the admin's QR code); the "
            "setup wizard's QR code has none.",
        "OTP_TOTP_SYNC":
            "When true, a TOTP device remembers the clock drift of the tokens it accepts, so that a "
            "phone whose clock is a step off keeps working.",
        "OTP_TOTP_THROTTLE_FACTOR":
            "Seconds of lock-out after the first failed TOTP token; doubles with every further "
            "failure. 0 turns throttling off.",
        "OTP_HOTP_ISSUER":
            "As ``OTP_TOTP_ISSUER``, for HOTP (counter-based) devices.",
        "OTP_HOTP_THROTTLE_FACTOR":
            "As ``OTP_TOTP_THROTTLE_FACTOR``, for HOTP devices.",
        "OTP_STATIC_THROTTLE_FACTOR":
            "As ``OTP_TOTP_THROTTLE_FACTOR``, for static (backup) tokens.",
        "OTP_EMAIL_SENDER":
            "The ``From`` address of token emails. ``None`` means Django's ``DEFAULT_FROM_EMAIL``.",
        "OTP_EMAIL_SUBJECT":
            "The subject of token emails.",
        "OTP_EMAIL_BODY_TEMPLATE":
            "A template string for the plain-text body of token emails; overrides "
            "``OTP_EMAIL_BODY_TEMPLATE_PATH``.",
        "OTP_EMAIL_BODY_TEMPLATE_PATH":
            "The template file of the plain-text body of token emails (context: ``token``, "
            "``device``). The default body is the token alone, as django-otp sent it; "
            "``'otp/email/token_message.txt'`` sends a sentence with the token and a warning "
            "for someone who did not ask for it, in the user's language.",
        "OTP_EMAIL_BODY_HTML_TEMPLATE":
            "A template string for an HTML alternative body; overrides "
            "``OTP_EMAIL_BODY_HTML_TEMPLATE_PATH``.",
        "OTP_EMAIL_BODY_HTML_TEMPLATE_PATH":
            "The template file of an HTML alternative body. ``None``: plain text only.",
        "OTP_EMAIL_TOKEN_VALIDITY":
            "Seconds an emailed token stays valid.",
        "OTP_EMAIL_COOLDOWN_DURATION":
            "Seconds before another token may be emailed to the same device. 0 turns the "
            "cooldown off.",
        "OTP_EMAIL_THROTTLE_FACTOR":
            "As ``OTP_TOTP_THROTTLE_FACTOR``, for email devices.",
        "OTP_ENCRYPTION_KEYS":
            "Keys that encrypt the secrets of TOTP, HOTP and phone devices in the database, newest "
            "first: the newest encrypts, every one decrypts. ``None`` stores secrets in plain text, "
            "as django-otp does. A key is the URL-safe base64 of 32 random bytes. See "
            ":doc:`/security`.",
        "OTP_STATIC_HASH_TOKENS":
            "When true, new static (backup) tokens are stored salted and hashed, and shown only "
            "once. Tokens stored in plain text keep working. See :doc:`/security`.",
        "OTP_STATIC_HASH_ITERATIONS":
            "PBKDF2-SHA256 iterations of a newly hashed static token (a positive integer). "
            "Each stored hash names its own count, so changing it leaves older tokens working. "
            "See :doc:`/security`.",
    },
    "two_factor.conf": {
        "TWO_FACTOR_PATCH_ADMIN":
            "When true, the login page of every admin site redirects to the two_factor sign-in "
            "(a site class with its own ``login`` keeps it). It does not by itself demand a "
            "second factor: see :doc:`/howto/admin`.",
        "TWO_FACTOR_QR_FACTORY":
            "Accepted so that old settings files load; ignored. QR codes are always SVG, drawn by "
            "``django_otp.qr``.",
        "TWO_FACTOR_TOTP_DIGITS":
            "Digits of the tokens of authenticator apps set up through the wizard: 6 or 8.",
        "TWO_FACTOR_LOGIN_TIMEOUT":
            "Seconds allowed between the password step and the token step of the sign-in; after "
            "that the password is asked again. 0: no limit.",
        "TWO_FACTOR_CALL_GATEWAY":
            "Dotted path of the gateway class that places voice calls. Setting it offers the "
            "``call`` method; ``None`` hides it.",
        "TWO_FACTOR_SMS_GATEWAY":
            "Dotted path of the gateway class that sends text messages. Setting it offers the "
            "``sms`` method; ``None`` hides it.",
        "TWO_FACTOR_PHONE_THROTTLE_FACTOR":
            "As ``OTP_TOTP_THROTTLE_FACTOR``, for phone devices.",
        "TWO_FACTOR_REMEMBER_COOKIE_AGE":
            "Seconds a \"don't ask again on this browser\" cookie skips the token step. ``None`` "
            "turns the option off.",
        "TWO_FACTOR_REMEMBER_COOKIE_PREFIX":
            "Prefix of the names of remember cookies (one cookie per remembered device, a random name "
            "after the prefix).",
        "TWO_FACTOR_REMEMBER_COOKIE_DOMAIN":
            "``Domain`` attribute of remember cookies; ``None``: the current host only.",
        "TWO_FACTOR_REMEMBER_COOKIE_PATH":
            "``Path`` attribute of remember cookies.",
        "TWO_FACTOR_REMEMBER_COOKIE_SECURE":
            "``Secure`` attribute of remember cookies: set it to true on HTTPS sites (the check "
            "``two_factor.W005`` of ``check --deploy`` says so when ``SESSION_COOKIE_SECURE`` is on).",
        "TWO_FACTOR_REMEMBER_COOKIE_HTTPONLY":
            "``HttpOnly`` attribute of remember cookies: scripts cannot read them.",
        "TWO_FACTOR_REMEMBER_COOKIE_SAMESITE":
            "``SameSite`` attribute of remember cookies.",
        "TWO_FACTOR_WEBAUTHN_RP_NAME":
            "The site's name as browsers show it during WebAuthn ceremonies. Required: without it "
            "the ``webauthn`` method is not offered.",
        "TWO_FACTOR_WEBAUTHN_RP_ID":
            "The WebAuthn relying party id, a registrable domain such as ``example.com``. "
            "``None``: the host of the request.",
        "TWO_FACTOR_WEBAUTHN_AUTHENTICATOR_ATTACHMENT":
            "``'platform'`` (built into the device), ``'cross-platform'`` (a roaming key) or "
            "``None`` (either).",
        "TWO_FACTOR_WEBAUTHN_PREFERRED_TRANSPORTS":
            "A list of transports (``'usb'``, ``'nfc'``, ``'ble'``, ``'internal'``, ``'hybrid'``, "
            "...) hinted to the browser, or ``None``.",
        "TWO_FACTOR_WEBAUTHN_UV_REQUIREMENT":
            "Whether the authenticator must verify the user (PIN, biometrics): ``'required'``, "
            "``'preferred'`` or ``'discouraged'``.",
        "TWO_FACTOR_WEBAUTHN_ATTESTATION_CONVEYANCE":
            "The attestation asked of new credentials: ``'none'``, ``'indirect'``, ``'direct'`` or "
            "``'enterprise'``.",
        "TWO_FACTOR_WEBAUTHN_PEM_ROOT_CERTS_BYTES_BY_FMT":
            "With attestation asked for: extra root certificates to trust, as a dict from "
            "attestation format (``webauthn.helpers.structs.AttestationFormat``) to a list of "
            "PEM-encoded certificates (bytes); ``None`` trusts only py_webauthn's own.",
        "TWO_FACTOR_WEBAUTHN_THROTTLE_FACTOR":
            "As ``OTP_TOTP_THROTTLE_FACTOR``, for WebAuthn devices.",
        "TWILIO_ACCOUNT_SID":
            "Account SID of the Twilio gateway (required by it).",
        "TWILIO_AUTH_TOKEN":
            "Auth token of the Twilio gateway (required by it).",
        "TWILIO_CALLER_ID":
            "The number Twilio calls and texts from (texts use the messaging service when one is "
            "set).",
        "TWILIO_MESSAGING_SERVICE_SID":
            "When set, text messages go through this Twilio messaging service.",
        "PHONENUMBER_DEFAULT_REGION":
            "Region (``'NL'``, ``'US'``, ...) assumed for phone numbers typed without a country "
            "code; ``None``: numbers must start with ``+``.",
        "TWO_FACTOR_REAUTHENTICATION_AGE":
            "Seconds a verification counts as recent. When set, disabling two-factor "
            "authentication, the backup tokens and adding or removing a device ask for a token "
            "again (the password, for a user without a device) if the last one is older; a "
            "sign-in by remember cookie does not count. ``None``: they do not.",
        "TWO_FACTOR_ENFORCE_SUPERUSERS":
            "With ``RequireTwoFactorMiddleware``: superusers must use two factors.",
        "TWO_FACTOR_ENFORCE_STAFF":
            "With ``RequireTwoFactorMiddleware``: staff users must use two factors.",
        "TWO_FACTOR_ENFORCE_GROUPS":
            "With ``RequireTwoFactorMiddleware``: names of groups whose members must use two "
            "factors.",
        "TWO_FACTOR_ENFORCE_CALLABLE":
            "With ``RequireTwoFactorMiddleware``: a callable, or its dotted path, given the user; "
            "true means the user must use two factors.",
        "TWO_FACTOR_ENFORCE_GRACE_PERIOD":
            "Seconds after ``date_joined`` during which a user the policy covers is reminded, not "
            "yet sent to the setup page. ``None``: no grace.",
        "TWO_FACTOR_ENFORCE_EXEMPT_URLS":
            "URL names (``'app:name'``) or path regular expressions (matched at the start of "
            "``request.path_info``) that the policy leaves alone, beyond the sign-in, setup and "
            "sign-out pages it always allows.",
        "TWO_FACTOR_AUDIT_LOG":
            "When true, every security event is recorded in the ``SecurityEvent`` model, shown to "
            "the user on the profile page and to staff in the admin.",
        "TWO_FACTOR_TRUSTED_BROWSERS":
            "When true, each remember-this-browser cookie has a server-side record: the profile "
            "lists them, and the user can revoke one or all of them.",
        "TWO_FACTOR_NOTIFY_EMAIL":
            "When true, the user gets an email when a device is added or removed and when "
            "two-factor authentication is turned off.",
        "TWO_FACTOR_FAST_FORM_RENDERING":
            "When true (the default), the wizards' forms write Django's own input and label "
            "templates in Python, to the byte (``two_factor.rendering``, see the performance "
            "page); an input or label whose template the site overrides comes from its template "
            "either way. False: every input and label goes through Django's templates, as in "
            "django-two-factor-auth, for instance for a test that asserts which widget templates "
            "were rendered.",
    },
}


def drift(module: str, defaults: dict[str, Any]) -> list[str]:
    """What differs between a settings module's DEFAULTS and its descriptions (empty: nothing)."""
    described = DESCRIPTIONS.get(module, {})
    problems = [f"{name} is in {module}.DEFAULTS but has no description in "
                f"docs/_ext/setting_descriptions.py" for name in defaults if name not in described]
    problems += [f"{name} is described in docs/_ext/setting_descriptions.py but is not in "
                 f"{module}.DEFAULTS" for name in described if name not in defaults]
    return problems
