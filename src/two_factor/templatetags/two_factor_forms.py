"""``{% load two_factor_forms %}``: form errors that a screen reader reads with their fields.

A wrong password or token is an error of the form, not of a field (Django's
``non_field_errors``). Shown above the form on its own, it is never announced: the page puts the
focus in the field, which says nothing of it. So the form's errors get an id, and while there are
some, each required field is marked invalid and described by them too.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.forms.utils import ErrorList
from django.utils.html import format_html
from django.utils.translation import gettext

register = template.Library()


def errors_id(form: Any) -> str:
    return f"{form.prefix or 'form'}-errors"


def own_errors(form: Any) -> ErrorList:
    """``form.non_field_errors()``, less "Please enter your OTP token." when a field's own error
    ("This field is required.") says it already: a screen reader would read both for an empty
    token. ``form.errors`` keeps both, as django-otp's form gave them."""
    errors = form.non_field_errors()
    if errors and form.errors.get("otp_token"):
        kept = [error for error in errors.as_data() if error.code != "token_required"]
        if len(kept) < len(errors):
            return ErrorList(kept, error_class="nonfield", renderer=form.renderer)
    return errors


@register.simple_tag
def form_errors(form: Any) -> str:
    """The errors of ``form`` itself, in an alert region with the id its fields point at."""
    errors = own_errors(form)
    return format_html('<div id="{}" role="alert">{}</div>', errors_id(form), errors) if errors else ""


@register.simple_tag
def form_field(field: Any, instructions_id: str = "") -> str:
    """``field``'s widget, as ``{{ field }}`` renders it; a required field is also described by
    the form's errors while it has some (and is then ``aria-invalid``), after its own help and
    errors, and by the page's instructions for the step (the element ``instructions_id``), which
    a screen reader would otherwise skip as the focus goes straight to the field."""
    if not field.field.required:
        return str(field)
    form = field.form
    invalid = form.is_bound and bool(own_errors(form))
    if not invalid and not instructions_id:
        return str(field)
    own = field.field.widget.attrs.get("aria-describedby") or field.aria_describedby
    ids = [own, errors_id(form) if invalid else "", instructions_id]
    attrs = {"aria-describedby": " ".join(filter(None, ids))}
    if invalid:
        attrs["aria-invalid"] = "true"
    widget = field.as_widget(attrs=attrs)
    return widget + field.as_hidden(only_initial=True) if field.field.show_hidden_initial else widget


@register.simple_tag
def fieldset_description(field: Any, instructions_id: str = "") -> str:
    """The ids that describe a field shown as a fieldset (radio buttons, a security key): its
    help, its errors, the form's errors, the step's instructions. Django puts none on such a
    widget."""
    form = field.form
    ids = [f"{field.auto_id}_helptext" if field.help_text else "",
           f"{field.auto_id}_error" if field.errors else "",
           errors_id(form) if form.is_bound and own_errors(form) else "",
           instructions_id if field.field.required else ""]
    return " ".join(filter(None, ids)) if field.auto_id else ""


def has_errors(form: Any) -> bool:
    """Whether ``form`` (or a formset) was submitted and came back with errors."""
    if form is None or not getattr(form, "is_bound", False):
        return False
    count = getattr(form, "total_error_count", None)  # a formset's errors are a list of dicts
    return bool(count() if count is not None else form.errors)


@register.simple_tag
def page_title(page: str, step: str = "", form: Any = None) -> str:
    """The ``<title>`` of a page: the wizard step first, as a screen reader reads a title
    from its start and a tab shows it, then the page; "Error:" before both when ``form`` came
    back with errors, so that the failed submission is announced as the page loads."""
    title = gettext("%(step)s – %(page)s") % {"step": step, "page": page} if step else str(page)
    return gettext("Error: %(title)s") % {"title": title} if has_errors(form) else title
