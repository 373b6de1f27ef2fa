"""The quick start's ``flask demo`` runs quietly on a machine without the HarfBuzz-Subset library
(Debian: libharfbuzz-subset0): WeasyPrint's notices that it falls back to fontTools, which
``qa_portal/core/pdf.py`` silences, do not reach the person trying the portal."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# `flask demo` as the README runs it, in a fresh interpreter that shows DeprecationWarnings
# (as pytest and `python -X dev` do), with libharfbuzz-subset hidden from WeasyPrint whether or
# not this machine has it. At exit it says whether WeasyPrint really went without the library.
DRIVER = """
import atexit, sys
import cffi

_dlopen = cffi.FFI.dlopen

def dlopen(self, name, *args, **kwargs):
    if "harfbuzz-subset" in str(name):
        raise OSError(f"{name}: hidden by the test")
    return _dlopen(self, name, *args, **kwargs)

cffi.FFI.dlopen = dlopen

@atexit.register
def _report():
    ffi = sys.modules.get("weasyprint.text.ffi")
    print("weasyprint without the subset library:", ffi is not None and ffi.harfbuzz_subset is None)

from flask.cli import main
sys.argv = ["flask", "demo"]
main()
"""

# The portal's settings from this test session's environment (a PostgreSQL DATABASE_URL, a
# broker, mail): the demo gets none of them and builds its own SQLite database in tmp_path.
SETTINGS_PREFIXES = (
    "QA_PORTAL_",
    "DATABASE_URL",
    "SECRET_KEY",
    "CELERY_",
    "MAIL_",
    "UPLOAD_DIR",
    "REPORT_DIR",
    "PUBLIC_BASE_URL",
    "RATELIMIT_",
    "FLASK_",
    "PYTHONWARNINGS",
)


def test_flask_demo_prints_no_harfbuzz_notice(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    env["QA_PORTAL_INSTANCE"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-W", "default::DeprecationWarning", "-c", DRIVER],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "Demo data ready" in result.stdout
    assert "weasyprint without the subset library: True" in result.stdout
    # The demo rendered review reports, so WeasyPrint did subset fonts (with fontTools).
    assert list((tmp_path / "reports").rglob("*.pdf"))
    assert "HarfBuzz" not in result.stdout + result.stderr, result.stderr
