"""Sphinx configuration of the django-twofold documentation (``make docs``)."""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for path in (HERE / "_ext", ROOT, ROOT / "src"):
    sys.path.insert(0, str(path))

# autodoc imports the models, views and forms: they need configured settings and the app registry.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
import django  # noqa: E402

django.setup()

project = "django-twofold"
author = "django-twofold contributors"
copyright = "django-twofold contributors"  # noqa: A001
release = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "twofold_docs",
    "myst_parser",
]

html_theme = "alabaster"
exclude_patterns = ["_build", "snippets", "security"]
templates_path = []

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": False}
autodoc_typehints = "none"
# Django's models and forms carry many inherited attributes; document only what ours define.
autodoc_inherit_docstrings = False
