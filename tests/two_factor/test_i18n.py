"""The catalogs of both apps (the languages of ``LOCALES``), and guards that every
user-visible string is translatable.

The .po files are read by the small parser below (no extra dependency); the compiled .mo files are
read with the standard library's ``gettext``.
"""

from __future__ import annotations

import ast
import gettext as gettext_module
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from django_otp.forms import OTPTokenForm
from tests.conftest import totp_now

from .conftest import PASSWORD

SRC = Path(__file__).resolve().parents[2] / "src"
APPS = ("two_factor", "django_otp")
# Each locale shipped, with the Plural-Forms of its header.
LOCALES = {
    "nl": "nplurals=2; plural=(n != 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "es": "nplurals=3; plural=n == 1 ? 0 : n != 0 && n % 1000000 == 0 ? 1 : 2;",
    "it": "nplurals=2; plural=(n != 1);",
    "pt_BR": "nplurals=2; plural=(n > 1);",
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "ru": ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
           "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"),
    "ja": "nplurals=1; plural=0;",
    "zh_Hans": "nplurals=1; plural=0;",
    "sv": "nplurals=2; plural=(n != 1);",
    "tr": "nplurals=2; plural=(n > 1);",
    "cs": "nplurals=3; plural=(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2;",
    "da": "nplurals=2; plural=(n != 1);",
    "fi": "nplurals=2; plural=(n != 1);",
    "nb": "nplurals=2; plural=(n != 1);",
    "ko": "nplurals=1; plural=0;",
    "uk": ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : "
           "n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);"),
    "he": "nplurals=2; plural=(n != 1);",
    "ar": ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
           "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);"),
    "zh_Hant": "nplurals=1; plural=0;",
    "pt": "nplurals=2; plural=(n != 1);",
    "hu": "nplurals=2; plural=(n != 1);",
    "ro": "nplurals=3; plural=(n==1 ? 0 : (n==0 || (n%100 > 0 && n%100 < 20)) ? 1 : 2);",
    "sk": "nplurals=3; plural=(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2;",
    "el": "nplurals=2; plural=(n != 1);",
    "id": "nplurals=1; plural=0;",
    "vi": "nplurals=1; plural=0;",
}


def po_path(app: str, locale: str = "nl") -> Path:
    return SRC / app / "locale" / locale / "LC_MESSAGES" / "django.po"


# A tiny .po parser


@dataclass
class Entry:
    msgid: str
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


_UNESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(text: str) -> str:
    assert text.startswith('"') and text.endswith('"'), text
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), text[1:-1])


def parse_po(path: Path) -> list[Entry]:
    """The entries of ``path``, the header (``msgid ""``) first."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()
    obsolete = False
    target: tuple[str, int] | None = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            obsolete = True
            line = line[2:].strip()
            if not line:
                continue
        elif line.startswith("#,"):
            flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        elif line.startswith("#") or not line:
            continue
        keyword, _, rest = line.partition(" ")
        if keyword == "msgid":
            current = Entry(msgid=_unquote(rest), flags=flags, obsolete=obsolete)
            entries.append(current)
            flags, obsolete, target = set(), False, ("msgid", 0)
        elif keyword == "msgid_plural":
            current.msgid_plural = _unquote(rest)
            target = ("msgid_plural", 0)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            assert index == len(current.msgstr), f"{path}: msgstr out of order for {current.msgid!r}"
            current.msgstr.append(_unquote(rest))
            target = ("msgstr", index)
        elif line.startswith('"'):  # continuation of the last string
            kind, index = target
            if kind == "msgid":
                current.msgid += _unquote(line)
            elif kind == "msgid_plural":
                current.msgid_plural += _unquote(line)
            else:
                current.msgstr[index] += _unquote(line)
        else:
            raise AssertionError(f"{path}: cannot parse {raw!r}")
    return entries


def header_fields(entry: Entry) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in entry.msgstr[0].splitlines() if ": " in line)


def messages(app: str, locale: str = "nl") -> list[Entry]:
    entries = parse_po(po_path(app, locale))
    assert entries and entries[0].msgid == ""
    return [entry for entry in entries[1:] if not entry.obsolete]


@pytest.fixture(params=APPS)
def app(request):
    return request.param


@pytest.fixture(params=LOCALES)
def locale(request):
    return request.param


def test_every_locale_directory_is_checked():
    for app in APPS:
        assert {path.name for path in (SRC / app / "locale").iterdir()} == set(LOCALES)


# The catalogs


def test_header(app, locale):
    header = parse_po(po_path(app, locale))[0]
    assert "fuzzy" not in header.flags
    fields = header_fields(header)
    assert fields["Language"] == locale
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"] == LOCALES[locale]


def plural_count(locale: str) -> int:
    return int(re.match(r"nplurals=(\d+);", LOCALES[locale]).group(1))


def test_every_entry_is_translated_and_not_fuzzy(app, locale):
    entries = messages(app, locale)
    assert len(entries) > 50
    for entry in entries:
        assert "fuzzy" not in entry.flags, entry.msgid
        assert entry.msgstr and all(text.strip() for text in entry.msgstr), entry.msgid
        expected = plural_count(locale) if entry.msgid_plural is not None else 1
        assert len(entry.msgstr) == expected, entry.msgid
    assert not [entry.msgid for entry in parse_po(po_path(app, locale)) if entry.obsolete]


def test_no_sentence_is_left_in_english(app, locale):
    # A format of placeholders alone ("%(step)s – %(page)s") has no words to translate.
    left = [entry.msgid for entry in messages(app, locale)
            if len(entry.msgid.split()) >= 3 and entry.msgstr[0] == entry.msgid
            and re.search(r"[A-Za-z]", PLACEHOLDER.sub("", entry.msgid))]
    assert left == []


# %(name)s, %s, %d, %%, {} and {name}; and the HTML tags, attributes included.
PLACEHOLDER = re.compile(r"%\([^)]+\)[#0 +-]*\d*(?:\.\d+)?[sdifr]|%[sdifr%]|\{[\w.]*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def test_placeholders_and_html_are_kept(app, locale):
    for entry in messages(app, locale):
        for index, text in enumerate(entry.msgstr):
            source = entry.msgid if index == 0 or entry.msgid_plural is None else entry.msgid_plural
            assert Counter(PLACEHOLDER.findall(text)) == Counter(PLACEHOLDER.findall(source)), (
                entry.msgid, text)
            assert HTML_TAG.findall(text) == HTML_TAG.findall(source), (entry.msgid, text)


def test_the_dutch_is_informal_and_uses_one_vocabulary(app):
    """"je", never "u"/"uw"; one word for each security term."""
    for entry in messages(app):
        for text in entry.msgstr:
            words = set(re.findall(r"[\w-]+", text.lower()))
            assert not words & {"u", "uw"}, text  # formal address
            assert not re.search(r"twee-?factor|back-?up ?tokens?\b|backup", text, re.I), text


def compiled_catalog(app: str, locale: str) -> gettext_module.GNUTranslations:
    path = po_path(app, locale).with_suffix(".mo")
    assert path.exists(), f"{path} is missing: run compilemessages"
    with path.open("rb") as fp:
        return gettext_module.GNUTranslations(fp)


def test_mo_files_match_the_po_files(app, locale):
    """The committed .mo holds exactly the translations of the .po: run compilemessages if not."""
    compiled = compiled_catalog(app, locale)
    expected = {}
    for entry in messages(app, locale):
        if entry.msgid_plural is None:
            expected[entry.msgid] = entry.msgstr[0]
            assert compiled.gettext(entry.msgid) == entry.msgstr[0], entry.msgid
        else:
            expected.update({(entry.msgid, n): text for n, text in enumerate(entry.msgstr)})
            for count in (0, 1, 2, 5, 11, 100):
                assert compiled.ngettext(entry.msgid, entry.msgid_plural, count) == \
                    entry.msgstr[compiled.plural(count)]
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}
    assert catalog == expected
    assert compiled.info()["language"] == locale


def test_django_picks_our_plural_forms(app, locale):
    """Django merges our catalog with its own for the language, whose plural rule may differ
    (its Hebrew has four forms, ours two): each of our messages keeps our rule."""
    compiled = compiled_catalog(app, locale)
    plurals = [entry for entry in messages(app, locale) if entry.msgid_plural is not None]
    assert plurals
    with translation.override(translation.to_language(locale)):
        for entry in plurals:
            for count in (0, 1, 2, 3, 5, 11, 21, 100, 102):
                assert translation.ngettext(entry.msgid, entry.msgid_plural, count) == \
                    compiled.ngettext(entry.msgid, entry.msgid_plural, count), (entry.msgid, count)


def test_every_model_names_its_plural():
    """Without ``verbose_name_plural`` Django appends an "s" to the translated singular (the
    German admin then lists "TOTP-Geräts")."""
    from django.apps import apps

    ours = [model for model in apps.get_models()
            if model.__module__.startswith(("django_otp.", "two_factor."))]
    assert len(ours) >= 8
    assert [model.__name__ for model in ours
            if "verbose_name_plural" not in model._meta.original_attrs] == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_catalogs_have_every_string_of_the_source(app, tmp_path, monkeypatch):
    """makemessages finds no msgid that the committed catalog lacks, nor one it no longer uses."""
    copy = tmp_path / app
    shutil.copytree(SRC / app, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    monkeypatch.chdir(copy)
    # As scripts/messages runs it: the voice call templates are .xml.
    call_command("makemessages", locale=list(LOCALES), extensions=["html", "txt", "py", "xml"],
                 no_obsolete=True, verbosity=0)
    for locale in LOCALES:
        regenerated = {(entry.msgid, entry.msgid_plural)
                       for entry in parse_po(copy / po_path(app, locale).relative_to(SRC / app))
                       if not entry.obsolete and entry.msgid}
        committed = {(entry.msgid, entry.msgid_plural) for entry in messages(app, locale)}
        assert len(regenerated) > 50
        assert regenerated - committed == set(), \
            f"new strings in {locale}: run make messages and translate them"
        assert committed - regenerated == set(), \
            f"strings no longer used in {locale}: run make messages"


# Rendering with Dutch active


@pytest.fixture
def dutch(settings):
    settings.LANGUAGE_CODE = "nl"
    with translation.override("nl"):
        yield


def test_login_page_in_dutch(client, db, dutch):
    content = client.get(reverse("two_factor:login")).content.decode()
    assert '<html lang="nl">' in content
    assert "Vul je gebruikersnaam en wachtwoord in." in content
    assert "<h1>Inloggen</h1>" in content
    assert "Volgende" in content
    assert "Enter your username and password." not in content
    assert "Sign in" not in content and ">Next<" not in content


def test_token_step_in_dutch(client, user_with_totp, dutch):
    response = client.post(reverse("two_factor:login"), {
        "login_view-current_step": "auth", "auth-username": "alice", "auth-password": PASSWORD})
    content = response.content.decode()
    assert "Je account is beveiligd met een tweede stap" in content
    assert "Vul de code in die je authenticator-app laat zien." in content
    assert "Verificatiecode" in content
    assert "authenticator app" not in content and "Token" not in content


def test_otp_form_error_in_dutch(user, totp_device, dutch):
    wrong = f"{(int(totp_now(totp_device)) + 1) % 10**6:06d}"
    form = OTPTokenForm(user, data={"otp_device": totp_device.persistent_id, "otp_token": wrong})
    assert not form.is_valid()
    errors = form.non_field_errors()
    assert errors == ["Ongeldige code. Controleer of je de code goed hebt ingevuld."]
    assert "Invalid token" not in str(errors)


@pytest.mark.parametrize(("failures", "expected"), [
    (1, "Verificatie is tijdelijk uitgeschakeld na 1 mislukte poging."),
    (4, "Verificatie is tijdelijk uitgeschakeld na 4 mislukte pogingen."),
])
def test_otp_plural_error_in_dutch(user, totp_device, dutch, failures, expected):
    type(totp_device).objects.filter(pk=totp_device.pk).update(
        throttling_failure_count=failures, throttling_failure_timestamp=timezone.now())
    form = OTPTokenForm(user, data={"otp_device": totp_device.persistent_id,
                                    "otp_token": totp_now(totp_device)})
    assert not form.is_valid()
    assert expected in form.non_field_errors()[0]


def test_token_email_in_dutch(email_device, dutch, settings):
    settings.OTP_EMAIL_BODY_TEMPLATE_PATH = "otp/email/token_message.txt"  # the sentence
    email_device.generate_challenge()
    (sent,) = mail.outbox
    assert sent.subject == "Je verificatiecode"
    assert f"Je verificatiecode is {email_device.token}." in sent.body


def test_management_commands_in_dutch(user, dutch):
    out = StringIO()
    call_command("two_factor_status", "alice", stdout=out)
    assert out.getvalue() == "alice: uitgeschakeld\n"
    from two_factor.management.commands.two_factor_status import Command

    # The help is translated when the parser is built (a lazy string would crash argparse).
    assert "tweestapsverificatie" in Command().create_parser("manage.py", "two_factor_status").format_help()


# The other languages: the same pages, checked against their own catalogs


@pytest.mark.parametrize("locale", [code for code in LOCALES if code != "nl"])
def test_sign_in_pages_and_email_in_each_language(client, user_with_totp, email_device, settings,
                                                   locale):
    language = translation.to_language(locale)  # pt_BR is pt-br, zh_Hans is zh-hans
    settings.LANGUAGE_CODE = language
    with translation.override(language):
        login = client.get(reverse("two_factor:login")).content.decode()
        token_step = client.post(reverse("two_factor:login"), {
            "login_view-current_step": "auth", "auth-username": "alice",
            "auth-password": PASSWORD}).content.decode()
        email_device.generate_challenge()
        translated = {text: str(translation.gettext(text)) for text in (
            "Enter your username and password.", "Sign in", "Next",
            "Please enter the token shown by your authenticator app.", "OTP token")}
    assert all(translated[text] != text for text in translated), translated
    direction = ' dir="rtl"' if translation.get_language_info(language)["bidi"] else ""
    assert f'<html lang="{language}"{direction}>' in login
    for text in ("Enter your username and password.", "Sign in", "Next"):
        assert escape(translated[text]) in login
        assert text not in login
    text = "Please enter the token shown by your authenticator app."
    assert escape(translated[text]) in token_step and text not in token_step
    assert mail.outbox[0].subject == translated["OTP token"]


# Templates: no visible English outside {% translate %} and {% blocktranslate %}

TEMPLATE_DIRS = [SRC / "two_factor" / "templates", SRC / "django_otp" / "templates"]
# Words that are the same in every language.
ALLOWED_WORDS = {"QR", "OTP", "TOTP", "HOTP", "URI"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}

# Blocks whose content is markup, not text: the admin's class names of <body>, its <head> extras.
MARKUP_BLOCKS = re.compile(r"{%\s*block\s+(bodyclass|extrastyle|extrahead|extra_media)\s*%}.*?{%\s*endblock\b.*?%}",
                           re.S)
DJANGO_COMMENT = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}|{#.*?#}", re.S)
BLOCKTRANSLATE = re.compile(r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S)
DJANGO_TAG = re.compile(r"{%.*?%}|{{.*?}}", re.S)


class _VisibleText(HTMLParser):
    """The text a browser shows: text nodes and the visible attributes, no script or style."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        attrs = dict(attrs)
        for name, value in attrs.items():
            if value and (name in VISIBLE_ATTRIBUTES
                          or (name == "value" and tag == "input"
                              and attrs.get("type") in ("submit", "button", "reset"))):
                self.chunks.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.chunks.append(data)


def untranslated_words(source: str) -> list[str]:
    """Words left once comments, translated text, template tags and markup are taken out."""
    source = DJANGO_COMMENT.sub(" ", source)
    source = MARKUP_BLOCKS.sub(" ", source)
    source = BLOCKTRANSLATE.sub(" ", source)
    source = DJANGO_TAG.sub(" ", source)  # {% translate "..." %} too: it is a tag
    parser = _VisibleText()
    parser.feed(source)
    parser.close()
    words = re.findall(r"[^\W\d_]{2,}", " ".join(parser.chunks))
    return [word for word in words if word not in ALLOWED_WORDS]


def test_template_guard_catches_english():
    assert untranslated_words("<p>Sign in</p>") == ["Sign", "in"]
    assert untranslated_words('<img alt="A picture" src="x.svg">') == ["picture"]
    assert untranslated_words('<input type="submit" value="Go on">') == ["Go", "on"]
    assert untranslated_words('<button value="backup">{% translate "Go" %}</button>') == []
    assert untranslated_words(
        '{% load i18n %}{# note #}<p class="x">{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}'
        '{{ value|default:"none" }} &rsaquo; 42</p><script>var a = 1;</script>') == []
    assert untranslated_words("{% block bodyclass %}{{ block.super }} otp-config{% endblock %}") == []


def template_files():
    return sorted(path for directory in TEMPLATE_DIRS for path in directory.rglob("*") if path.is_file())


@pytest.mark.parametrize("path", template_files(), ids=lambda path: str(path.relative_to(SRC)))
def test_templates_have_no_untranslated_text(path):
    assert untranslated_words(path.read_text(encoding="utf-8")) == []


# Python: the usual places for user-visible text take a gettext call, not a bare string

TEXT_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "description", "help",
                 "empty_label"}
TEXT_ATTRIBUTES = {"verbose_name", "verbose_name_plural", "help"}
TEXT_EXCEPTIONS = {"ValidationError", "CommandError"}


def _is_text(node) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and bool(node.value.strip())


def bare_strings(source: str) -> list[str]:
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            problems += [f"{node.lineno}: {keyword.arg}=" for keyword in node.keywords
                         if keyword.arg in TEXT_KEYWORDS and _is_text(keyword.value)]
            if name in TEXT_EXCEPTIONS and node.args and _is_text(node.args[0]):
                problems.append(f"{node.lineno}: {name}(...)")
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign) and _is_text(statement.value):
                    problems += [f"{statement.lineno}: {target.id} =" for target in statement.targets
                                 if isinstance(target, ast.Name) and target.id in TEXT_ATTRIBUTES]
    return problems


def test_python_guard_catches_bare_strings():
    assert bare_strings('f = forms.CharField(label="Name")') == ["1: label="]
    assert bare_strings('raise CommandError(f"No {x}")') == ["1: CommandError(...)"]
    assert bare_strings('class Meta:\n    verbose_name = "thing"') == ["2: verbose_name ="]
    assert bare_strings('f = forms.CharField(label=_("Name"))\nraise ValidationError(MESSAGES["x"])') == []


def python_files():
    skipped = {"tests.py", "test_utils.py"}
    return sorted(path for app in APPS for path in (SRC / app).rglob("*.py")
                  if "migrations" not in path.parts and path.name not in skipped)


@pytest.mark.parametrize("path", python_files(), ids=lambda path: str(path.relative_to(SRC)))
def test_python_has_no_bare_user_visible_strings(path):
    assert bare_strings(path.read_text(encoding="utf-8")) == []
