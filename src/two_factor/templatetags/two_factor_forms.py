"""``{% load two_factor_forms %}``: form errors that a screen reader reads with their fields.

A wrong password or token is an error of the form, not of a field (Django's
``non_field_errors``). Shown above the form on its own, it is never announced: the page puts the
focus in the field, which says nothing of it. So the form's errors get an id, and while there are
some, each required field is marked invalid and described by them too.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

register = template.Library()


def errors_id(form: Any) -> str:
    return f"{form.prefix or 'form'}-errors"


@register.simple_tag
def form_errors(form: Any) -> str:
    """The errors of ``form`` itself, in an alert region with the id its fields point at."""
    errors = form.non_field_errors()
    return format_html('<div id="{}" role="alert">{}</div>', errors_id(form), errors) if errors else ""


@register.simple_tag
def form_field(field: Any) -> str:
    """``field``'s widget, as ``{{ field }}`` renders it; while the form has errors of its own,
    a required field is ``aria-invalid`` and described by them, after its own help and errors."""
    form = field.form
    if not field.field.required or not form.is_bound or not form.non_field_errors():
        return str(field)
    own = field.field.widget.attrs.get("aria-describedby") or field.aria_describedby
    attrs = {"aria-invalid": "true",
             "aria-describedby": " ".join(filter(None, [own, errors_id(form)]))}
    widget = field.as_widget(attrs=attrs)
    return widget + field.as_hidden(only_initial=True) if field.field.show_hidden_initial else widget


@register.simple_tag
def fieldset_description(field: Any) -> str:
    """The ids that describe a field shown as a fieldset (radio buttons, a security key): its
    help, its errors, the form's errors. Django puts none on such a widget."""
    form = field.form
    ids = [f"{field.auto_id}_helptext" if field.help_text else "",
           f"{field.auto_id}_error" if field.errors else "",
           errors_id(form) if form.is_bound and form.non_field_errors() else ""]
    return " ".join(filter(None, ids)) if field.auto_id else ""
