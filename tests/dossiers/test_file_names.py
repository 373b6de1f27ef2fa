"""Uploaded file names are for display only: no directories, no control characters."""

from __future__ import annotations

import pytest

from qa_portal.core.storage import display_name, megabytes


@pytest.fixture(autouse=True)
def ctx():
    """Pure functions: no database, so none of the per-test table cleanup."""
    yield


@pytest.mark.parametrize(
    "given, shown",
    [
        ("../../x.pdf", "x.pdf"),
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        ("", "document.pdf"),
        ("../..", "document.pdf"),
        (".hidden.pdf", "hidden.pdf"),
        ("Lehrplan Übersicht.pdf", "Lehrplan Übersicht.pdf"),
        ("课程大纲.pdf", "课程大纲.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe"),
        ("line\nbreak.pdf", "linebreak.pdf"),
    ],
)
def test_display_name(given, shown):
    assert display_name(given) == shown


def test_a_long_name_keeps_its_extension():
    name = display_name("x" * 300 + ".pdf")
    assert len(name) == 200 and name.endswith(".pdf")


@pytest.mark.parametrize(
    "size, text", [(10 * 1024 * 1024, "10 MB"), (512 * 1024, "0.5 MB"), (1536 * 1024, "1.5 MB")]
)
def test_megabytes(size, text):
    assert megabytes(size) == text
