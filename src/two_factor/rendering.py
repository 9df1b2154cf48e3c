"""Django's stock input and label templates, written out in Python for our pages' forms.

Rendering a field through Django's form templates cost more than the rest of a sign-in page:
``django/forms/widgets/attrs.html`` runs half a dozen template nodes per attribute, and a
password field has seven attributes. ``StockTemplatesInPython`` wraps a form renderer of
Django's and writes out the templates in ``WRITERS`` itself, but only while every template one
stands for is Django's own file, found by the wrapped renderer in an engine that autoescapes
with Django's own tags and filters. A site that overrides any of them, renders with Jinja2 or
with a renderer class whose ``render()`` is its own, turns autoescaping off or replaces a tag in
its ``builtins``, gets its templates as before; so does a context the functions here do not
write as the templates would (a callable, a date, an attribute named ``items``...). The output
is the templates' to the byte: tests/two_factor/test_rendering.py compares the two on each
supported Django version.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import django.forms
from django.forms.renderers import BaseRenderer, EngineMixin
from django.template import TemplateDoesNotExist, defaultfilters, defaulttags, loader_tags
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

from .conf import settings

# Where Django's renderers find its templates (not resolved: compared as a string).
STOCK_DIR = Path(django.forms.__file__).parent / "templates"
INPUT = ("django/forms/widgets/input.html", "django/forms/widgets/attrs.html")
LABEL = ("django/forms/label.html", "django/forms/attrs.html")
#: Inputs whose template is one line that includes input.html (the remember box a checkbox).
INPUT_TYPES = ("text", "password", "number", "email", "url", "tel", "hidden", "checkbox")
#: The values written here as a template writes them; a template would call a callable, and
#: localize a date or a float by the active format (those go to the template).
PLAIN = (str, Promise, bool, int, tuple, type(None))


def _variable(value: Any) -> str:
    """``{{ value }}`` in an autoescaping template."""
    if type(value) is str:
        return html.escape(value)
    value = localize(value)  # as render_value_in_context() does
    return conditional_escape(value if isinstance(value, str) else str(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` in an autoescaping template: a safe value stays as it
    is (the filter is ``is_safe``), anything else is escaped."""
    text = str(value)
    return text if isinstance(value, SafeData) else html.escape(text)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``django/forms/attrs.html`` and ``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {_variable(name)}" if value is True else f' {_variable(name)}="{_formatted(value)}"'
        for name, value in attrs.items() if value is not False)


def _input(context: Mapping[str, Any]) -> str:
    """``django/forms/widgets/<type>.html``."""
    widget = context["widget"]
    value = widget["value"]
    shown = "" if value is None else f' value="{_formatted(value)}"'
    return (f'<input type="{_variable(widget["type"])}" name="{_variable(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>')


def _label(context: Mapping[str, Any]) -> str:
    """``django/forms/label.html``."""
    label = _variable(context["label"])
    if not context["use_tag"]:
        return label.strip()  # the renderer strips what a template writes
    tag = _variable(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _writable(attrs: Any, *values: Any) -> bool:
    """Whether the functions here write ``attrs`` and ``values`` as the templates would: attrs a
    dict without "items" (a template looks ``attrs.items`` up as attrs["items"] first), and
    every name and value ``PLAIN``."""
    return (type(attrs) is dict and "items" not in attrs
            and all(isinstance(value, PLAIN) for value in (*values, *attrs, *attrs.values())))


def _input_writable(context: Mapping[str, Any]) -> bool:
    widget = context["widget"]
    return _writable(widget["attrs"], widget["type"], widget["name"], widget["value"])


def _label_writable(context: Mapping[str, Any]) -> bool:
    return _writable(context["attrs"] or {}, context["label"], context["tag"], context["use_tag"])


Writer = tuple[Callable[[Mapping[str, Any]], str], Callable[[Mapping[str, Any]], bool],
               tuple[str, ...]]
#: template name: (what writes it, whether it can write a context, the templates it stands for).
WRITERS: dict[str, Writer] = {
    **{f"django/forms/widgets/{kind}.html":
       (_input, _input_writable, (f"django/forms/widgets/{kind}.html", *INPUT))
       for kind in INPUT_TYPES},
    "django/forms/label.html": (_label, _label_writable, LABEL),
}

# renderer: {templates: whether all are Django's own}, kept only for Django's renderers with an
# engine of their own (DjangoTemplates): its directory of Django's templates comes first and its
# builtins are Django's, so the answer cannot change. TemplatesSetting's engines are the site's:
# runserver resets their loaders when a template changes, override_settings replaces them, and
# loaders that do not cache see a new file at once; such a renderer is asked every time.
_stock_answers: WeakKeyDictionary[Any, dict[tuple[str, ...], bool]] = WeakKeyDictionary()
#: The tags and filter the stock templates use; a site's ``builtins`` may replace any of them.
STOCK_BUILTINS = (("filters", "stringformat", defaultfilters.stringformat),
                  ("tags", "if", defaulttags.do_if), ("tags", "for", defaulttags.do_for),
                  ("tags", "include", loader_tags.do_include))


def _builtin(engine: Any, kind: str, name: str) -> Any:
    """The tag or filter ``name`` of ``engine``'s templates: the last builtin library's."""
    for library in reversed(engine.template_builtins):
        found = getattr(library, kind).get(name)
        if found is not None:
            return found
    return None


def _is_stock(renderer: Any, name: str) -> bool:
    try:
        found = getattr(renderer.get_template(name), "template", None)  # Django's backend's
    except TemplateDoesNotExist:
        return False
    origin, engine = getattr(found, "origin", None), getattr(found, "engine", None)
    return (origin is not None and engine is not None and engine.autoescape
            and origin.name == str(STOCK_DIR / name)
            and all(_builtin(engine, kind, builtin) is djangos
                    for kind, builtin, djangos in STOCK_BUILTINS))


def _keeps_its_templates(renderer: Any) -> bool:
    """Whether ``renderer`` is one of Django's with an engine of its own (see above)."""
    kind = type(renderer)
    return (isinstance(renderer, EngineMixin)
            and kind.get_template is EngineMixin.get_template
            and getattr(kind, "engine", None) is EngineMixin.__dict__["engine"])


def _kept_answers(renderer: Any) -> dict[tuple[str, ...], bool] | None:
    """Where the answers for ``renderer`` are kept; None for one that is asked every time."""
    if not _keeps_its_templates(renderer):
        return None
    try:
        return _stock_answers.setdefault(renderer, {})
    except TypeError:  # a renderer that cannot be a key (unhashable)
        return None


def stock(renderer: Any, templates: tuple[str, ...]) -> bool:
    """Whether ``renderer`` renders each of ``templates`` from Django's own file, escaping."""
    answers = _kept_answers(renderer)
    if answers is None:
        return all(_is_stock(renderer, name) for name in templates)
    if templates not in answers:
        answers[templates] = all(_is_stock(renderer, name) for name in templates)
    return answers[templates]


class StockTemplatesInPython:
    """A form renderer that writes Django's stock input and label templates in Python, and
    leaves everything else, and any of them a site overrides, to the renderer it wraps."""

    def __init__(self, renderer: BaseRenderer) -> None:
        self.renderer = renderer

    def __getattr__(self, name: str) -> Any:  # form_template_name and the like
        if name == "renderer" or name.startswith("__"):  # copy and pickle ask a bare instance
            raise AttributeError(name)
        return getattr(self.renderer, name)

    def get_template(self, template_name: str) -> Any:
        return self.renderer.get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        writer = WRITERS.get(template_name)
        if writer is not None:
            write, writable, templates = writer
            try:
                if writable(context) and stock(self.renderer, templates):
                    return write(context)
            except (KeyError, TypeError, ValueError):
                pass  # a context the writer cannot write: the template says what it makes of it
        return self.renderer.render(template_name, context, request=request)


def render_stock_templates_in_python(form: Any) -> Any:
    """Give ``form`` a renderer that writes Django's stock input and label templates in Python,
    if its renderer renders as Django's do and ``TWO_FACTOR_FAST_FORM_RENDERING`` is on; returns
    ``form``."""
    renderer = getattr(form, "renderer", None)
    if (renderer is not None and type(renderer).render is BaseRenderer.render
            and settings.TWO_FACTOR_FAST_FORM_RENDERING):
        form.renderer = StockTemplatesInPython(renderer)
    return form
