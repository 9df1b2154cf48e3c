"""The wheel holds every file of the two packages: templates, catalogs, migrations, scripts and the
``py.typed`` markers that let a site's type checker read our annotations. A file that the
package-data globs miss works in an editable checkout and is gone for everyone who installs.

The wheel is built from a copy of the sources, so that setuptools' ``build/`` directory in the
checkout (which keeps files deleted since) cannot add to it; pip fetches the build backend, as
``make test`` does to install the project.
"""

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("django_otp", "two_factor")


def source_files() -> set[str]:
    """The packages' files, relative to ``src``: those git tracks (a stray file in a working
    copy is not the project's), or every file outside a git checkout."""
    listed = subprocess.run(["git", "ls-files", "-z", "--", *(f"src/{p}" for p in PACKAGES)],
                            cwd=ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return {name.removeprefix("src/") for name in listed.stdout.decode().split("\0") if name}
    return {path.relative_to(ROOT / "src").as_posix()
            for package in PACKAGES for path in (ROOT / "src" / package).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}


def test_the_wheel_holds_every_file_of_the_packages(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree / name)
    expected = source_files()
    for name in expected:
        (tree / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "src" / name, tree / "src" / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--disable-pip-version-check",
         "--wheel-dir", str(tmp_path / "dist"), str(tree)],
        check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("django_twofold-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {name for name in archive.namelist() if name.split("/")[0] in PACKAGES}
    assert {"django_otp/py.typed", "two_factor/py.typed"} <= expected
    assert in_wheel == expected
