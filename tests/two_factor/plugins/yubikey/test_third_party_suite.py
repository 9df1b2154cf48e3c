"""django-otp-yubikey's own test suite passes against our django_otp (scripts/yubikey-suite)."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]


def test_django_otp_yubikey_suite_passes_against_our_django_otp():
    if importlib.util.find_spec("otp_yubikey") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("django-otp-yubikey must be installed under CI=true "
                        "(pip install --no-deps django-otp-yubikey YubiOTP)")
        pytest.skip("django-otp-yubikey is not installed")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run([str(ROOT / "scripts" / "yubikey-suite"), sys.executable],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r"^Ran \d+ tests", output, re.MULTILINE), output
    assert "django-otp-yubikey's own tests passed" in output, output
