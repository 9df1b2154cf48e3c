"""two_factor.rendering: Django's stock input and label templates, written out in Python, give
the templates' output to the byte, and give way to any template a site overrides."""

import copy
import dataclasses
import datetime
import re
import sys
import types

import pytest
from django import forms
from django import template as django_template
from django.contrib.auth.forms import AuthenticationForm
from django.forms.renderers import DjangoTemplates, TemplatesSetting, get_default_renderer
from django.template.autoreload import template_changed
from django.test import override_settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from two_factor import rendering
from two_factor.forms import AuthenticationTokenForm, BackupTokenForm
from two_factor.rendering import (
    WRITERS,
    StockTemplatesInPython,
    render_stock_templates_in_python,
)


class Html(str):
    """A string that renders itself: a template writes ``__html__()``, not an escaped copy."""

    def __html__(self):
        return f"<html-{self}>"


WIDGETS = [forms.TextInput, forms.PasswordInput, forms.NumberInput, forms.EmailInput,
           forms.URLInput, forms.TelInput, forms.HiddenInput, forms.CheckboxInput]
VALUES = [None, "", "plain", 'a "quoted" <b>&\'', mark_safe("<i>safe</i>"),
          gettext_lazy("Token"), 0, 1234567, True]
ATTRS = {
    "id": "id_f", "required": True, "disabled": False, "maxlength": 150, "data-zero": 0,
    "data-big": 1234567, "data-quote": 'x"<>&\'', "placeholder": gettext_lazy("Token"),
    "data-safe": mark_safe("<b>"), "data-tuple": (1, 2), "data-none": None,
    "aria-describedby": "a b", "data-lazy-safe": mark_safe(gettext_lazy("Token")),
    Html("data-html"): Html("<v>"),
}


@pytest.fixture
def renderer():
    return get_default_renderer()


def by_template(renderer, template_name, context):
    """What the renderer writes from the templates, and what the Python writer writes."""
    write, _values, templates = WRITERS[template_name]
    assert rendering.stock(renderer, templates)
    return renderer.render(template_name, context), write(context)


@pytest.mark.parametrize("widget_class", WIDGETS)
@pytest.mark.parametrize("value", VALUES)
def test_inputs_are_written_as_the_templates_write_them(renderer, widget_class, value):
    widget = widget_class(attrs=ATTRS)
    context = widget.get_context("field-<name>", value, {"autofocus": True})
    from_template, written = by_template(renderer, widget.template_name, context)
    assert written == from_template
    # and the widget's own context, whatever format_value made of the value
    context["widget"]["value"] = value
    from_template, written = by_template(renderer, widget.template_name, context)
    assert written == from_template


@override_settings(USE_THOUSAND_SEPARATOR=True, LANGUAGE_CODE="de")
@pytest.mark.parametrize("label", ["Name", "  spaced  ", "<b>bold</b>", mark_safe("<b>safe</b>"),
                                   gettext_lazy("Token"), 1234567, "", Html("x")])
@pytest.mark.parametrize("use_tag", [True, False])
@pytest.mark.parametrize("attrs", [None, {}, {"for": "id_<x>", "class": "required"}, ATTRS])
@pytest.mark.parametrize("tag", ["label", "legend"])
def test_labels_are_written_as_the_template_writes_them(renderer, label, use_tag, attrs, tag):
    context = {"label": label, "attrs": attrs, "use_tag": use_tag, "tag": tag, "field": None}
    from_template, written = by_template(renderer, "django/forms/label.html", context)
    assert written == from_template


class EveryKindForm(forms.Form):
    name = forms.CharField(label="Name <you>", max_length=20, help_text="help")
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    count = forms.IntegerField(min_value=0, initial=1234567, label_suffix=" →")
    email = forms.EmailField(label=mark_safe("E-<i>mail</i>"))
    url = forms.URLField(required=False, assume_scheme="https")
    hidden = forms.CharField(widget=forms.HiddenInput, initial='"quoted"')
    choice = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    phone = forms.CharField(widget=forms.TelInput, required=False)
    remember = forms.BooleanField(required=False, initial=True)


@pytest.mark.parametrize("data", [None, {"name": "x" * 30, "count": "-1", "email": "not an email",
                                         "hidden": "<h>", "choice": "c"}])
@pytest.mark.parametrize("form_class", [EveryKindForm, AuthenticationForm, AuthenticationTokenForm,
                                        BackupTokenForm])
def test_whole_forms_render_the_same(user, form_class, data):
    kwargs = {"user": user, "initial_device": None} if form_class in (AuthenticationTokenForm, BackupTokenForm) else {}
    plain = form_class(data=data, **kwargs)
    fast = render_stock_templates_in_python(form_class(data=data, **kwargs))
    assert isinstance(fast.renderer, StockTemplatesInPython)
    assert str(fast) == str(plain)
    for field in plain:
        assert str(fast[field.name]) == str(field)
        assert fast[field.name].label_tag() == field.label_tag()


def test_the_writers_write_without_the_templates(renderer, monkeypatch):
    fast = StockTemplatesInPython(renderer)
    fast.render("django/forms/widgets/text.html",
                forms.TextInput().get_context("n", "v", {"id": "id_n"}))  # the answer, kept

    def no_template(*args, **kwargs):
        raise AssertionError("rendered from the template")

    monkeypatch.setattr(renderer, "render", no_template)
    context = forms.TextInput().get_context("n", "v", {"id": "id_n"})
    assert fast.render("django/forms/widgets/text.html", context) == (
        '<input type="text" name="n" value="v" id="id_n">')
    with pytest.raises(AssertionError, match="from the template"):
        fast.render("django/forms/widgets/select.html", forms.Select().get_context("n", "", {}))


def overridden(tmp_path, name, source):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


@pytest.fixture
def site_templates(tmp_path, settings):
    """A site whose form renderer finds templates in its own directory first."""
    settings.FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.forms"]
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    return tmp_path


@pytest.mark.parametrize("name", ["django/forms/widgets/text.html",
                                  "django/forms/widgets/input.html",
                                  "django/forms/widgets/attrs.html"])
def test_a_site_that_overrides_any_input_template_gets_it(site_templates, name):
    overridden(site_templates, name, "<site>{{ widget.name }}</site>")
    form = render_stock_templates_in_python(EveryKindForm())
    assert "<site>name</site>" in str(form["name"]) or 'name="name"<site>' in str(form["name"])
    assert str(form["name"]) == str(EveryKindForm()["name"])


@pytest.mark.parametrize("name", ["django/forms/label.html", "django/forms/attrs.html"])
def test_a_site_that_overrides_a_label_template_gets_it(site_templates, name):
    overridden(site_templates, name, "<site>{{ label }}</site>")
    form = render_stock_templates_in_python(EveryKindForm())
    assert "<site>" in form["name"].label_tag()
    assert form["name"].label_tag() == EveryKindForm()["name"].label_tag()


def test_the_stock_templates_through_the_sites_engine_are_written(site_templates):
    form = render_stock_templates_in_python(EveryKindForm())
    assert rendering.stock(form.renderer.renderer, WRITERS["django/forms/label.html"][2])


def test_an_engine_that_does_not_escape_gets_the_templates(settings):
    settings.FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.forms"]
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "autoescape": False}}]
    form = render_stock_templates_in_python(EveryKindForm(initial={"name": "<b>"}))
    assert 'value="<b>"' in str(form["name"])
    assert not rendering.stock(form.renderer.renderer, WRITERS["django/forms/label.html"][2])


@pytest.mark.parametrize("odd", [lambda: "called", datetime.date(2026, 11, 30), 1.5, ["a"]])
def test_values_a_template_would_call_or_localize_go_to_the_template(renderer, odd):
    context = forms.TextInput(attrs={"data-odd": odd}).get_context("n", None, {})
    assert StockTemplatesInPython(renderer).render("django/forms/widgets/text.html", context) == (
        renderer.render("django/forms/widgets/text.html", context))
    label = {"label": odd, "attrs": {"data-odd": odd}, "use_tag": True, "tag": "label"}
    assert StockTemplatesInPython(renderer).render("django/forms/label.html", label) == (
        renderer.render("django/forms/label.html", label))
    assert all(not isinstance(odd, kind) for kind in rendering.PLAIN)


def test_a_renderer_with_its_own_render_is_left_alone():
    class Shouting(DjangoTemplates):
        def render(self, template_name, context, request=None):
            return super().render(template_name, context, request).upper()

    form = render_stock_templates_in_python(EveryKindForm(renderer=Shouting()))
    assert isinstance(form.renderer, Shouting)
    assert 'NAME="NAME"' in str(form["name"])


def test_the_answer_is_kept_only_for_a_renderer_with_its_own_engine(site_templates,
                                                                    monkeypatch):
    calls = []
    real = rendering._is_stock
    monkeypatch.setattr(rendering, "_is_stock", lambda *a: calls.append(a) or real(*a))
    templates = WRITERS["django/forms/label.html"][2]
    for renderer, times in ((DjangoTemplates(), 1), (TemplatesSetting(), 2)):
        calls.clear()
        assert rendering.stock(renderer, templates) and rendering.stock(renderer, templates)
        assert len(calls) == times * len(templates)


def test_a_missing_template_is_not_stock(site_templates):
    assert not rendering.stock(TemplatesSetting(), ("django/forms/widgets/no-such.html",))


def test_the_wrapper_answers_for_the_renderer(renderer):
    fast = StockTemplatesInPython(renderer)
    assert fast.form_template_name == renderer.form_template_name
    assert fast.get_template("django/forms/label.html").template.origin.name.endswith("label.html")


def csrf_free(content: bytes) -> str:
    return re.sub(r'value="[A-Za-z0-9]{64}"', 'value="…"', content.decode())


@pytest.mark.django_db
def test_the_sign_in_pages_are_the_same_without_it(client, user, totp_device, monkeypatch,
                                                   settings):
    settings.TWO_FACTOR_REMEMBER_COOKIE_AGE = 3600  # the token step has a checkbox too
    url = reverse("two_factor:login")
    step = {"login_view-current_step": "auth", "auth-username": user.get_username(),
            "auth-password": "secret-password"}
    fast = [client.get(url), client.post(url, step)]
    assert isinstance(fast[0].context["wizard"]["form"].renderer, StockTemplatesInPython)
    assert 'name="token-otp_token"' in fast[1].content.decode()
    assert 'type="checkbox"' in fast[1].content.decode()
    client.cookies.clear()
    monkeypatch.setattr("two_factor.wizard.views.render_stock_templates_in_python", lambda f: f)
    plain = [client.get(url), client.post(url, step)]
    assert not isinstance(plain[0].context["wizard"]["form"].renderer, StockTemplatesInPython)
    assert [csrf_free(r.content) for r in fast] == [csrf_free(r.content) for r in plain]


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy])
def test_a_form_with_it_copies_as_before(copier):
    form = copier(render_stock_templates_in_python(EveryKindForm(initial={"name": "<n>"})))
    assert isinstance(form.renderer, StockTemplatesInPython)
    assert str(form["name"]) == str(EveryKindForm(initial={"name": "<n>"})["name"])


SITE_INPUT = "<site>{{ widget.name }}</site>"


def test_a_site_builtin_that_overrides_stringformat_gets_the_templates(site_templates, settings,
                                                                       monkeypatch):
    library = types.ModuleType("site_builtins")
    library.register = django_template.Library()
    library.register.filter("stringformat", lambda value, arg: f"[{value}]", is_safe=True)
    monkeypatch.setitem(sys.modules, "site_builtins", library)
    options = {**settings.TEMPLATES[0]["OPTIONS"], "builtins": ["site_builtins"]}
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": options}]
    form = render_stock_templates_in_python(EveryKindForm(initial={"name": "v"}))
    assert str(form["name"]) == str(EveryKindForm(initial={"name": "v"})["name"])


def test_a_template_added_while_runserver_runs_is_used(site_templates):
    assert str(render_stock_templates_in_python(EveryKindForm())["name"]).startswith("<input")
    overridden(site_templates, "django/forms/widgets/input.html", SITE_INPUT)
    # what runserver does (DEBUG off or on) when a file changes in a template directory
    assert template_changed(None, site_templates / "django/forms/widgets/input.html")
    assert str(EveryKindForm()["name"]) == "<site>name</site>"
    assert str(render_stock_templates_in_python(EveryKindForm())["name"]) == "<site>name</site>"


def test_loaders_that_do_not_cache_see_a_new_template(site_templates, settings):
    loaders = ["django.template.loaders.filesystem.Loader",
               "django.template.loaders.app_directories.Loader"]
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "APP_DIRS": False,
                           "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "loaders": loaders}}]
    assert str(render_stock_templates_in_python(EveryKindForm())["name"]).startswith("<input")
    overridden(site_templates, "django/forms/widgets/input.html", SITE_INPUT)  # e.g. a deploy
    assert str(EveryKindForm()["name"]) == "<site>name</site>"
    assert str(render_stock_templates_in_python(EveryKindForm())["name"]) == "<site>name</site>"


SITE_RENDERER = TemplatesSetting()


class SiteRendererForm(EveryKindForm):
    default_renderer = SITE_RENDERER


def test_a_renderer_kept_across_override_settings_sees_the_new_templates(settings, tmp_path):
    settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "django.forms"]
    assert str(render_stock_templates_in_python(SiteRendererForm())["name"]).startswith("<input")
    overridden(tmp_path, "django/forms/widgets/input.html", SITE_INPUT)
    with override_settings(TEMPLATES=[{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]):
        assert str(SiteRendererForm()["name"]) == "<site>name</site>"
        assert str(render_stock_templates_in_python(SiteRendererForm())["name"]) == (
            "<site>name</site>")


def test_a_renderer_that_cannot_be_a_dict_key_renders():
    @dataclasses.dataclass  # eq=True: __hash__ is None
    class SiteRenderer(DjangoTemplates):
        pass

    form = render_stock_templates_in_python(EveryKindForm(renderer=SiteRenderer()))
    assert str(form["name"]) == str(EveryKindForm()["name"])


class NoAttrsInput(forms.TextInput):
    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"] = None  # the template loops over nothing
        return context


@pytest.mark.parametrize("widget", [
    NoAttrsInput(),
    forms.NumberInput(attrs={"max": 10 ** 5000}),  # stringformat answers "" for a ValueError
    forms.TextInput(attrs={"items": (("a", "b"),)}),  # attrs.items is attrs["items"] to a template
], ids=["attrs-none", "huge-int", "items-key"])
def test_contexts_the_writer_cannot_write_go_to_the_template(renderer, widget):
    context = widget.get_context("n", None, {})
    assert StockTemplatesInPython(renderer).render(widget.template_name, context) == (
        renderer.render(widget.template_name, context))


def test_the_setting_turns_it_off(settings, client, user, totp_device):
    settings.TWO_FACTOR_FAST_FORM_RENDERING = False
    assert not isinstance(render_stock_templates_in_python(EveryKindForm()).renderer,
                          StockTemplatesInPython)
    response = client.get(reverse("two_factor:login"))
    assert not isinstance(response.context["wizard"]["form"].renderer, StockTemplatesInPython)
    assert "django/forms/widgets/text.html" in [template.name for template in response.templates]
