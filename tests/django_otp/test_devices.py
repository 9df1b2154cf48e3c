"""The device plugins: what each accepts, refuses and stores; throttling; persistent ids."""

import re
import string
from base64 import b32encode
from datetime import timedelta
from unittest import mock
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.core import mail
from django.test import override_settings
from django.test.utils import isolate_apps
from django.utils import timezone

from django_otp.models import Device, VerifyNotAllowed
from django_otp.oath import TOTP
from django_otp.plugins.otp_email.models import EmailDevice
from django_otp.plugins.otp_hotp.models import HOTPDevice
from django_otp.plugins.otp_static.models import TOKEN_ALPHABET, StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.test_utils import frozen_now

from ..conftest import hotp_at

# The middle of a 30-second step, so that "now" is unambiguous.
NOW = 1_700_000_010 + 15


def clock(unix_time):
    """Set the clock that TOTP devices read."""
    return mock.patch("django_otp.plugins.otp_totp.models.time.time", return_value=unix_time)


def totp_at(device, unix_time):
    """The token that ``device`` shows at ``unix_time`` (with no drift)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = unix_time
    return f"{totp.token():0{device.digits}d}"


def step_at(device, unix_time):
    return int((unix_time - device.t0) // device.step)


def fresh(device):
    return type(device).objects.get(pk=device.pk)


# TOTP


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_totp_accepts_steps_within_tolerance(totp_device, offset):
    token = totp_at(totp_device, NOW + offset * 30)
    with clock(NOW):
        assert totp_device.verify_token(token)
    assert fresh(totp_device).last_t == step_at(totp_device, NOW) + offset


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_totp_refuses_steps_outside_tolerance(totp_device, offset):
    with clock(NOW):
        assert not totp_device.verify_token(totp_at(totp_device, NOW + offset * 30))
    assert fresh(totp_device).last_t == -1


def test_totp_wider_tolerance(totp_device):
    totp_device.tolerance = 2
    totp_device.save()
    with clock(NOW):
        assert totp_device.verify_token(totp_at(totp_device, NOW - 60))


def test_totp_refuses_a_replay(totp_device):
    token = totp_at(totp_device, NOW)
    stale = fresh(totp_device)
    with clock(NOW):
        assert totp_device.verify_token(token)
        assert not totp_device.verify_token(token)
        assert not stale.verify_token(token)
    with clock(NOW + 20):  # still within tolerance, a few seconds later
        assert not fresh(totp_device).verify_token(token)


def test_totp_refuses_older_steps_after_a_newer_one(totp_device):
    with clock(NOW):
        assert totp_device.verify_token(totp_at(totp_device, NOW + 30))
        assert not totp_device.verify_token(totp_at(totp_device, NOW))
        totp_device.throttle_reset()
        assert not totp_device.verify_token(totp_at(totp_device, NOW - 30))
    totp_device.throttle_reset()
    with clock(NOW + 60):
        assert totp_device.verify_token(totp_at(totp_device, NOW + 60))


def test_totp_stores_last_t_and_last_used_at(totp_device):
    moment = timezone.now() + timedelta(days=1)
    with clock(NOW), frozen_now(moment):
        assert totp_device.verify_token(totp_at(totp_device, NOW))
    stored = fresh(totp_device)
    assert stored.last_t == step_at(totp_device, NOW)
    assert stored.last_used_at == moment


def test_totp_failure_leaves_last_used_at_alone(totp_device):
    with clock(NOW):
        assert not totp_device.verify_token(totp_at(totp_device, NOW + 300))
    assert fresh(totp_device).last_used_at is None


@override_settings(OTP_TOTP_SYNC=True)
def test_totp_drift_follows_the_prover_when_sync_is_on(totp_device):
    with clock(NOW):
        assert totp_device.verify_token(totp_at(totp_device, NOW + 30))
    stored = fresh(totp_device)
    assert stored.drift == 1
    # With the drift learnt, the device's clock one step ahead is now "current".
    with clock(NOW + 90):
        assert stored.verify_token(totp_at(totp_device, NOW + 150))


@override_settings(OTP_TOTP_SYNC=False)
def test_totp_drift_unchanged_when_sync_is_off(totp_device):
    with clock(NOW):
        assert totp_device.verify_token(totp_at(totp_device, NOW + 30))
    stored = fresh(totp_device)
    assert stored.drift == 0
    assert stored.last_t == step_at(totp_device, NOW) + 1


def test_totp_eight_digits(user):
    device = TOTPDevice.objects.create(user=user, name="long", digits=8)
    # A moment whose token does not start with "00", so that its six-digit tail differs.
    moment = next(NOW + 30 * k for k in range(100) if not totp_at(device, NOW + 30 * k).startswith("00"))
    token = totp_at(device, moment)
    assert len(token) == 8
    with clock(moment):
        assert not device.verify_token(token[2:])  # the six-digit tail is not enough
        device.throttle_reset()
        assert device.verify_token(token)


@pytest.mark.parametrize("token", ["", "abcdef", "12345a", "１２３４５６", "1234567", None, [], 3.5])
def test_totp_refuses_malformed_tokens(totp_device, token):
    with clock(NOW):
        assert not totp_device.verify_token(token)


def test_totp_accepts_an_int_and_spaces(totp_device, user):
    token = totp_at(totp_device, NOW)
    other = TOTPDevice.objects.create(user=user, name="other", key=totp_device.key)
    with clock(NOW):
        assert totp_device.verify_token(int(token))
        assert other.verify_token(f" {token[:3]} {token[3:]} ")


# HOTP


@pytest.mark.parametrize("counter", range(6))
def test_hotp_accepts_counters_within_tolerance(hotp_device, counter):
    assert hotp_device.tolerance == 5
    assert hotp_device.verify_token(hotp_at(hotp_device, counter))
    assert fresh(hotp_device).counter == counter + 1


@pytest.mark.parametrize("counter", [6, 7, 100])
def test_hotp_refuses_counters_beyond_tolerance(hotp_device, counter):
    assert not hotp_device.verify_token(hotp_at(hotp_device, counter))
    assert fresh(hotp_device).counter == 0


def test_hotp_refuses_used_and_older_counters(hotp_device):
    assert hotp_device.verify_token(hotp_at(hotp_device, 3))
    for counter in (3, 2, 0):
        hotp_device.throttle_reset()
        assert not hotp_device.verify_token(hotp_at(hotp_device, counter))
    hotp_device.throttle_reset()
    assert hotp_device.verify_token(hotp_at(hotp_device, 4))
    stored = fresh(hotp_device)
    assert stored.counter == 5
    assert stored.last_used_at is not None


def test_hotp_stale_instance_cannot_replay(hotp_device):
    stale = fresh(hotp_device)
    token = hotp_at(hotp_device, 0)
    assert hotp_device.verify_token(token)
    assert not stale.verify_token(token)


# Static


def test_static_token_is_deleted_on_use(static_device):
    assert static_device.verify_token("abcd2345")
    assert not StaticToken.objects.filter(device=static_device).exists()
    static_device.throttle_reset()
    assert not static_device.verify_token("abcd2345")


def test_static_tokens_work_in_any_order(static_device):
    static_device.token_set.create(token="second22")
    assert static_device.verify_token("second22")
    assert static_device.verify_token("abcd2345")


def test_static_token_of_another_device_is_refused(static_device, other_user):
    theirs = StaticDevice.objects.create(user=other_user, name="backup")
    theirs.token_set.create(token="theirs22")
    assert not static_device.verify_token("theirs22")
    assert theirs.token_set.filter(token="theirs22").exists()


@pytest.mark.parametrize("token", ["", "abcd234", "x" * 17, "abcd\x002345", "\x00", None, 12345678])
def test_static_refuses_other_tokens(static_device, token):
    assert not static_device.verify_token(token)
    assert static_device.token_set.count() == 1


@pytest.mark.parametrize("length", [8, 4, 16])
def test_static_random_token_shape(length):
    tokens = {StaticToken.random_token(length) for _ in range(50)}
    assert len(tokens) > 45
    for token in tokens:
        assert re.fullmatch(f"[a-z2-7]{{{length}}}", token)  # django-otp's: lower-case base32
    assert re.fullmatch("[a-z2-7]{8}", StaticToken.random_token())


def test_static_random_tokens_use_the_whole_base32_alphabet():
    seen = set("".join(StaticToken.random_token(64) for _ in range(40)))
    assert seen == set(TOKEN_ALPHABET) == set(string.ascii_lowercase + "234567")


# Email


def _only_mail():
    assert len(mail.outbox) == 1
    return mail.outbox[0]


def test_email_challenge_goes_to_the_users_address(email_device, user):
    message = email_device.generate_challenge()
    assert message
    sent = _only_mail()
    stored = fresh(email_device)
    assert sent.to == [user.email]
    assert stored.token and stored.token in sent.body
    assert sent.subject == "OTP token"


def test_the_default_body_is_the_token_alone_as_django_otp_sent_it(email_device):
    email_device.generate_challenge()
    assert _only_mail().body == fresh(email_device).token  # a test may type the body in


def test_the_sentence_body_is_one_setting_away(email_device, settings):
    settings.OTP_EMAIL_BODY_TEMPLATE_PATH = "otp/email/token_message.txt"
    email_device.generate_challenge()
    body = _only_mail().body
    assert body.startswith(f"Your verification code is {fresh(email_device).token}.")
    assert "someone else knows your password" in body


def test_email_challenge_goes_to_the_devices_address(email_device):
    email_device.email = "elsewhere@example.org"
    email_device.save()
    email_device.generate_challenge()
    assert _only_mail().to == ["elsewhere@example.org"]


@override_settings(OTP_EMAIL_SUBJECT="Your code", OTP_EMAIL_SENDER="otp@example.net",
                   OTP_EMAIL_BODY_TEMPLATE="Code: {{ token }} for {{ device.name }}")
def test_email_subject_sender_and_body_template(email_device):
    email_device.generate_challenge()
    sent = _only_mail()
    assert sent.subject == "Your code"
    assert sent.from_email == "otp@example.net"
    assert sent.body == f"Code: {fresh(email_device).token} for email"
    assert sent.alternatives == []


@override_settings(DEFAULT_FROM_EMAIL="default@example.net")
def test_email_sender_defaults_to_default_from_email(email_device):
    email_device.generate_challenge()
    assert _only_mail().from_email == "default@example.net"


LOCMEM_TEMPLATES = [{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "OPTIONS": {"loaders": [
        ("django.template.loaders.locmem.Loader", {
            "mail/code.txt": "From a file: {{ token }}",
            "mail/code.html": "<p>From a file: <b>{{ token }}</b></p>",
        }),
        "django.template.loaders.app_directories.Loader",
    ]},
}]


@override_settings(TEMPLATES=LOCMEM_TEMPLATES, OTP_EMAIL_BODY_TEMPLATE_PATH="mail/code.txt",
                   OTP_EMAIL_BODY_HTML_TEMPLATE_PATH="mail/code.html")
def test_email_body_template_paths(email_device):
    email_device.generate_challenge()
    sent = _only_mail()
    token = fresh(email_device).token
    assert sent.body == f"From a file: {token}"
    assert sent.alternatives[0][0] == f"<p>From a file: <b>{token}</b></p>"
    assert sent.alternatives[0][1] == "text/html"


@override_settings(OTP_EMAIL_BODY_HTML_TEMPLATE="<b>{{ token }}</b>")
def test_email_html_template_string(email_device):
    email_device.generate_challenge()
    sent = _only_mail()
    token = fresh(email_device).token
    assert token in sent.body  # the plain text part still comes from the default template
    assert sent.alternatives[0][0] == f"<b>{token}</b>"


@override_settings(OTP_EMAIL_BODY_TEMPLATE=None, OTP_EMAIL_BODY_TEMPLATE_PATH=None)
def test_email_without_a_body_setting_still_carries_its_token(email_device):
    # Both settings emptied: the package's own text, never a mail without the token.
    email_device.generate_challenge()
    assert fresh(email_device).token in _only_mail().body


@isolate_apps("django_otp.plugins.otp_email")
def delivering_proxy():
    """A proxy of ``EmailDevice`` that delivers its tokens its own way, as sites do."""

    class TextMessageDevice(EmailDevice):
        delivered: list = []

        class Meta:
            proxy = True
            app_label = "otp_email"

        def send_mail(self, body, **kwargs):
            self.delivered.append((self.recipient, body, kwargs))

    return TextMessageDevice


@pytest.mark.parametrize("html", [None, "<b>{{ token }}</b>"])
def test_a_proxy_overriding_send_mail_delivers_the_token(email_device, user, html):
    proxy = delivering_proxy()
    device = proxy.objects.get(pk=email_device.pk)
    with override_settings(OTP_EMAIL_BODY_HTML_TEMPLATE=html):
        assert device.generate_challenge()
    token = fresh(email_device).token
    [(recipient, body, kwargs)] = proxy.delivered
    assert mail.outbox == []
    assert recipient == user.email
    assert token in body
    assert kwargs == ({} if html is None else {"html_message": f"<b>{token}</b>"})


@override_settings(OTP_EMAIL_SUBJECT="Your code", OTP_EMAIL_SENDER="otp@example.net")
def test_email_send_mail_passes_its_arguments_to_django(email_device, user):
    email_device.send_mail("the body", html_message="<p>the body</p>")
    sent = _only_mail()
    assert (sent.subject, sent.body, sent.from_email, sent.to) == (
        "Your code", "the body", "otp@example.net", [user.email])
    assert sent.alternatives[0][0] == "<p>the body</p>"


def test_generate_token_saves_an_unsaved_email_device(user):
    device = EmailDevice(user=user, name="new")
    device.generate_token()
    assert device.pk is not None
    assert fresh(device).token == device.token


def test_a_challenge_from_an_unsaved_email_device_saves_it_and_sends(user):
    device = EmailDevice(user=user, name="new")
    assert device.generate_challenge() == "sent by email"
    assert device.pk is not None
    assert fresh(device).token in _only_mail().body


def test_email_token_verifies_once(email_device):
    email_device.generate_challenge()
    token = fresh(email_device).token
    assert email_device.verify_token(token)
    assert fresh(email_device).token is None
    assert not fresh(email_device).verify_token(token)


@override_settings(OTP_EMAIL_TOKEN_VALIDITY=120)
@pytest.mark.parametrize(("seconds", "accepted"), [(1, True), (119, True), (120, False), (121, False)])
def test_email_token_expires(email_device, seconds, accepted):
    start = timezone.now()
    with frozen_now(start):
        email_device.generate_challenge()
    with frozen_now(start + timedelta(seconds=seconds)):
        device = fresh(email_device)
        assert device.verify_token(device.token) is accepted


@override_settings(OTP_EMAIL_COOLDOWN_DURATION=60)
def test_email_cooldown_sends_one_mail(email_device):
    start = timezone.now()
    with frozen_now(start):
        first = email_device.generate_challenge()
    token = fresh(email_device).token
    with frozen_now(start + timedelta(seconds=59)):
        second = fresh(email_device).generate_challenge()
    assert second != first
    assert "moments ago" in second
    assert len(mail.outbox) == 1
    assert fresh(email_device).token == token
    with frozen_now(start + timedelta(seconds=60)):
        fresh(email_device).generate_challenge()
    assert len(mail.outbox) == 2
    assert fresh(email_device).token in mail.outbox[1].body


SMTP_DOWN = mock.patch("django_otp.plugins.otp_email.models.send_mail", side_effect=OSError("down"))


def test_email_send_failure_does_not_start_the_cooldown(email_device):
    with SMTP_DOWN, pytest.raises(OSError):
        email_device.generate_challenge()
    assert fresh(email_device).generate_is_allowed() == (True, None)
    assert fresh(email_device).generate_challenge() == "sent by email"
    assert len(mail.outbox) == 1


def test_is_interactive(totp_device, hotp_device, static_device, email_device):
    assert email_device.is_interactive()
    assert not totp_device.is_interactive()
    assert not hotp_device.is_interactive()
    assert not static_device.is_interactive()


def test_non_interactive_challenge_is_none(totp_device):
    assert totp_device.generate_challenge() is None


# Throttling


@override_settings(OTP_HOTP_THROTTLE_FACTOR=3)
@pytest.mark.parametrize("failures", [1, 2, 3, 4, 10])
def test_throttle_delay_is_factor_times_two_to_the_n_minus_one(hotp_device, failures):
    start = timezone.now()
    hotp_device.throttling_failure_count = failures
    hotp_device.throttling_failure_timestamp = start
    hotp_device.save()
    delay = timedelta(seconds=3 * 2 ** (failures - 1))
    with frozen_now(start + delay - timedelta(milliseconds=1)):
        allowed, info = fresh(hotp_device).verify_is_allowed()
        assert not allowed
        assert info["reason"] is VerifyNotAllowed.N_FAILED_ATTEMPTS
        assert info["failure_count"] == failures
        # While locked, even the right token is refused and not consumed.
        assert not fresh(hotp_device).verify_token(hotp_at(hotp_device, 0))
    with frozen_now(start + delay):
        assert fresh(hotp_device).verify_is_allowed() == (True, None)
        assert fresh(hotp_device).verify_token(hotp_at(hotp_device, 0))


def test_failures_accumulate(hotp_device):
    start = timezone.now()
    for n in range(1, 4):
        with frozen_now(start + timedelta(days=n)):
            assert not fresh(hotp_device).verify_token("000000x")
        assert fresh(hotp_device).throttling_failure_count == n


@pytest.mark.parametrize(("setting", "fixture"), [
    ("OTP_TOTP_THROTTLE_FACTOR", "totp_device"), ("OTP_HOTP_THROTTLE_FACTOR", "hotp_device"),
    ("OTP_STATIC_THROTTLE_FACTOR", "static_device"), ("OTP_EMAIL_THROTTLE_FACTOR", "email_device"),
])
def test_throttle_factor_zero_disables_the_lock(request, settings, setting, fixture):
    setattr(settings, setting, 0)
    device = request.getfixturevalue(fixture)
    for _ in range(5):
        assert not device.verify_token("wrong!")
    device = fresh(device)
    assert device.throttling_failure_count == 5
    assert device.verify_is_allowed() == (True, None)


@pytest.mark.parametrize("fixture", ["totp_device", "hotp_device", "static_device", "email_device"])
def test_one_failure_locks_with_the_default_factor(request, fixture):
    device = request.getfixturevalue(fixture)
    assert not device.verify_token("wrong!")
    assert not fresh(device).verify_is_allowed()[0]


def test_throttle_never_touches_another_device(user, totp_device):
    second = TOTPDevice.objects.create(user=user, name="second")
    for _ in range(3):
        totp_device.throttle_reset(commit=False)
        assert not totp_device.verify_token("000000x")
    assert fresh(totp_device).throttling_failure_count == 3
    assert fresh(second).throttling_failure_count == 0
    assert fresh(second).verify_is_allowed() == (True, None)
    with clock(NOW):
        assert second.verify_token(totp_at(second, NOW))


def test_success_resets_the_failure_count(hotp_device):
    hotp_device.throttling_failure_count = 1
    hotp_device.throttling_failure_timestamp = timezone.now() - timedelta(hours=1)
    hotp_device.save()
    assert fresh(hotp_device).verify_token(hotp_at(hotp_device, 0))
    stored = fresh(hotp_device)
    assert stored.throttling_failure_count == 0
    assert stored.throttling_failure_timestamp is None


@pytest.mark.parametrize("count", [31, 64, 1000, 2**31 - 1])
def test_huge_failure_counts_do_not_overflow(totp_device, count):
    totp_device.throttling_failure_count = count
    totp_device.throttling_failure_timestamp = timezone.now()
    totp_device.save()
    device = fresh(totp_device)
    allowed, info = device.verify_is_allowed()
    assert not allowed
    assert info["failure_count"] == count
    assert info["locked_until"] > timezone.now() + timedelta(days=365)
    assert not device.verify_token("123456")


# Persistent ids


@pytest.mark.parametrize(("fixture", "label"), [
    ("totp_device", "otp_totp.totpdevice"), ("hotp_device", "otp_hotp.hotpdevice"),
    ("static_device", "otp_static.staticdevice"), ("email_device", "otp_email.emaildevice"),
])
def test_persistent_id_round_trip(request, fixture, label):
    device = request.getfixturevalue(fixture)
    assert device.persistent_id == f"{label}/{device.pk}"
    assert type(device).model_label() == label
    found = Device.from_persistent_id(device.persistent_id)
    assert type(found) is type(device)
    assert found.pk == device.pk


def test_from_persistent_id_legacy_form(totp_device, email_device):
    legacy = f"django_otp.plugins.otp_totp.models.TOTPDevice/{totp_device.pk}"
    assert Device.from_persistent_id(legacy) == totp_device
    legacy = f"django_otp.plugins.otp_email.models.EmailDevice/{email_device.pk}"
    assert Device.from_persistent_id(legacy) == email_device


GARBAGE_IDS = [
    "", "x", "/", "otp_totp.totpdevice", "otp_totp.totpdevice/", "otp_totp.totpdevice/abc",
    "otp_totp.totpdevice/1/2", "otp_totp.totpdevice/-1", "otp_totp.totpdevice/1.0",
    "otp_totp.totpdevice/ 1", "otp_totp.totpdevice/\u0661", "otp_totp.totpdevice/\uff11",
    "otp_totp.totpdevice/" + "9" * 30, "otp_totp.totpdevice/999999",
    "otp_totp.totpdevice/999999999999999999", "otp_totp.totpdevice/\x00", "otp_totp\x00.totpdevice/1",
    "auth.user/1", "nope.nope/1", "otp.device/1", "django_otp.models.Device/1",
    "sessions.session/1", "a.b.c/1", "x" * 1000, "/" * 1000, "otp_totp.totpdevice/" + "1" * 1000,
    None, 1, b"otp_totp.totpdevice/1", ["otp_totp.totpdevice/1"],
]


@pytest.mark.parametrize("persistent_id", GARBAGE_IDS)
def test_from_persistent_id_garbage_is_none(totp_device, persistent_id):
    assert Device.from_persistent_id(persistent_id) is None
    assert Device.from_persistent_id(persistent_id, for_verify=True) is None


def test_from_persistent_id_of_a_non_device_model(static_device, user):
    token = static_device.token_set.get()
    assert Device.from_persistent_id(f"otp_static.statictoken/{token.pk}") is None
    assert Device.from_persistent_id(f"auth.user/{user.pk}") is None


def test_from_persistent_id_of_a_deleted_device(totp_device):
    persistent_id = totp_device.persistent_id
    totp_device.delete()
    assert Device.from_persistent_id(persistent_id) is None


def test_afrom_persistent_id(totp_device, email_device):
    find = async_to_sync(Device.afrom_persistent_id)
    assert find(totp_device.persistent_id) == totp_device
    assert find(email_device.persistent_id, for_verify=True) == email_device
    assert find("otp_totp.totpdevice/abc") is None
    assert find(None) is None
    assert find(f"otp_hotp.hotpdevice/{totp_device.pk + 1000}") is None
    assert find(f"django_otp.plugins.otp_totp.models.TOTPDevice/{totp_device.pk}") == totp_device
    for garbage in GARBAGE_IDS:
        assert find(garbage) is None


@pytest.mark.django_db(transaction=True)
def test_afrom_persistent_id_for_verify_outside_a_transaction(user, monkeypatch):
    # A device verified on its locked row: PostgreSQL refuses the lock outside a transaction.
    device = TOTPDevice.objects.create(user=user, name="locked")
    monkeypatch.setattr(TOTPDevice, "claims_tokens_atomically", False)
    assert async_to_sync(Device.afrom_persistent_id)(device.persistent_id, for_verify=True) == device


# Provisioning URLs


def _parse_otpauth(url):
    parts = urlsplit(url)
    assert parts.scheme == "otpauth"
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    return parts.netloc, unquote(parts.path[1:]), query


def test_totp_config_url(totp_device):
    kind, label, query = _parse_otpauth(totp_device.config_url)
    assert (kind, label) == ("totp", "alice")
    assert query["secret"] == b32encode(totp_device.bin_key).decode()
    assert query["digits"] == "6"
    assert query["period"] == "30"
    assert "issuer" not in query
    assert "image" not in query


@override_settings(OTP_TOTP_ISSUER="Example: Co", OTP_TOTP_IMAGE="https://example.com/logo.png")
def test_totp_config_url_issuer_string_digits_period(user):
    device = TOTPDevice.objects.create(user=user, name="t", digits=8, step=60)
    kind, label, query = _parse_otpauth(device.config_url)
    assert label == "Example Co:alice"
    assert query["issuer"] == "Example Co"
    assert query["digits"] == "8"
    assert query["period"] == "60"
    assert query["image"] == "https://example.com/logo.png"


@override_settings(OTP_TOTP_ISSUER="Example", OTP_TOTP_IMAGE="https://x.invalid/i.png")
def test_totp_config_url_with_issuer_and_image_as_django_otp_writes_it(user):
    device = TOTPDevice.objects.create(user=user, name="t", key="d2e8a68036f68960b1c30532bb5c56da5090825b")
    assert device.config_url == (
        "otpauth://totp/Example%3Aalice?secret=2LUKNABW62EWBMODAUZLWXCW3JIJBAS3"
        "&algorithm=SHA1&digits=6&period=30&issuer=Example&image=https://x.invalid/i.png")


@pytest.mark.parametrize("model", [TOTPDevice, HOTPDevice])
def test_config_url_label_and_secret_as_django_otp_writes_them(user, settings, model):
    settings.OTP_TOTP_ISSUER = settings.OTP_HOTP_ISSUER = "example.com"
    device = model.objects.create(user=user, name="d")
    url = device.config_url
    assert urlsplit(url).path == "/example.com%3Aalice"
    assert urlsplit(url).query.startswith(
        "secret=" + b32encode(device.bin_key).decode().replace("=", "%3D"))
    user.username = "alice@example.com"
    assert urlsplit(device.config_url).path == "/example.com%3Aalice%40example.com"


def test_totp_config_url_issuer_callable(totp_device, settings):
    settings.OTP_TOTP_ISSUER = lambda device: f"Site of {device.user.get_username()}"
    _kind, label, query = _parse_otpauth(totp_device.config_url)
    assert query["issuer"] == "Site of alice"
    assert label == "Site of alice:alice"


def test_hotp_config_url(hotp_device, settings):
    hotp_device.counter = 7
    kind, label, query = _parse_otpauth(hotp_device.config_url)
    assert (kind, label) == ("hotp", "alice")
    assert query["counter"] == "7"
    assert query["digits"] == "6"
    assert query["secret"] == b32encode(hotp_device.bin_key).decode()
    settings.OTP_HOTP_ISSUER = "Hardware"
    assert _parse_otpauth(hotp_device.config_url)[2]["issuer"] == "Hardware"
    settings.OTP_HOTP_ISSUER = lambda device: device.name.upper()
    assert _parse_otpauth(hotp_device.config_url)[1] == "HOTP:alice"


def test_str_of_a_device_without_its_user(user):
    assert str(TOTPDevice(name="phone")) == "phone (None)"
    assert str(TOTPDevice(name="phone", user_id=user.pk + 1000)) == "phone (None)"  # user gone
    assert str(TOTPDevice(name="phone", user=user)) == f"phone ({user})"


def test_email_device_str_and_recipient(email_device, user):
    assert str(email_device) == f"email ({user})"
    assert email_device.recipient == user.email
    assert isinstance(fresh(email_device), EmailDevice)
    assert HOTPDevice.objects.devices_for_user(user).count() == 0


def test_a_used_email_token_ends_the_send_cooldown(email_device):
    email_device.generate_challenge()
    assert not fresh(email_device).generate_is_allowed()[0]
    device = fresh(email_device)
    assert device.verify_token(device.token)
    assert fresh(email_device).generate_is_allowed() == (True, None)
