"""Sphinx extension of the django-twofold docs: tables generated from the code.

- ``.. settings-table:: django_otp.conf`` renders that module's ``DEFAULTS`` with the one-line
  descriptions of ``setting_descriptions.DESCRIPTIONS``. A setting without a description, or a
  description of a setting that is not in ``DEFAULTS``, stops the build.
- ``.. management-command:: two_factor_status`` renders the command's ``--help``.
- ``:setting:`NAME``` refers to a row of a settings table.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management import load_command_class
from django.core.management.base import BaseCommand
from django.utils.functional import Promise
from docutils import nodes
from docutils.statemachine import StringList
from setting_descriptions import DESCRIPTIONS, drift
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def format_default(value: Any) -> str:
    if isinstance(value, Promise):  # gettext_lazy: show the source text
        value = str(value)
    return f"``{value!r}``"


class SettingsTable(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0]
        defaults = importlib.import_module(module).DEFAULTS
        problems = drift(module, defaults)
        if problems:
            raise ExtensionError("settings and their descriptions drifted apart:\n  " + "\n  ".join(problems))
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 20 50", "",
                 "   * - Setting", "     - Default", "     - Effect"]
        for name, value in defaults.items():
            lines += [f"   * - .. setting:: {name}", "", f"       ``{name}``",
                      f"     - {format_default(value)}", f"     - {DESCRIPTIONS[module][name]}"]
        container = nodes.container()
        nested_parse_with_titles(self.state, StringList(lines, source=f"<{module}.DEFAULTS>"), container)
        return container.children


class ManagementCommand(SphinxDirective):
    """The ``--help`` of a management command, as ``manage.py`` prints it."""

    required_arguments = 2  # app module, command name
    has_content = False

    def run(self) -> list[nodes.Node]:
        app, name = self.arguments
        command: BaseCommand = load_command_class(app, name)
        text = command.create_parser("manage.py", name).format_help()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app: Any) -> dict[str, Any]:
    app.add_crossref_type("setting", "setting", indextemplate="pair: %s; setting")
    app.add_directive("settings-table", SettingsTable)
    app.add_directive("management-command", ManagementCommand)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
