"""The sweep: ``.part`` files and files no row refers to go once older than a day; every file
a row refers to stays (evidence, condition evidence, report PDFs), and so do young files and
files the portal did not name. ``flask files sweep`` prints what it removed; ``--dry-run``
changes nothing; the job runs hourly in the beat schedule."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import pytest

from qa_portal.core import storage
from qa_portal.core.db import commit
from qa_portal.core.file_sweep import referenced_names, stored_name_columns, sweep, sweep_files
from qa_portal.decisions import operations as decisions
from qa_portal.dossiers import operations
from qa_portal.extensions import celery
from tests.helpers import pdf_bytes

from .helpers import folder, names, stored_report

DAY = 24 * 3600
LATER = 2 * DAY  # how far the tests move the clock: everything is then two days old


def _stray(kind: str, suffix: str = ".pdf") -> str:
    name = uuid.uuid4().hex + suffix
    root = folder(kind)
    root.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(b"%PDF-1.7 stray")
    return name


@pytest.fixture
def stored_world(own_folders, people, approved):
    """Provider A's approved dossier with evidence, condition evidence and a report PDF, all
    referenced by rows; and, beside them, strays of every kind."""
    dossier, decision = approved
    decisions.submit_condition_evidence(
        people.provider_a, decision.conditions[0], "Done.", [("scheme.pdf", pdf_bytes())]
    )
    report = stored_report(dossier, decision)
    commit()
    referenced = {
        "uploads": {f.stored_name for f in dossier.files}
        | {f.stored_name for f in decision.conditions[0].files},
        "reports": {report.stored_name},
    }
    strays = {
        "orphan": _stray("uploads"),
        "part": _stray("uploads", ".part"),
        "report_orphan": _stray("reports"),
        "report_part": _stray("reports", ".part"),
    }
    (folder("uploads") / "README.txt").write_text("the operator's own note")
    return referenced, strays


def test_every_table_naming_a_stored_file_is_consulted():
    tables = {column.table.name for column in stored_name_columns()}
    assert {"evidence_file", "condition_file", "review_report"} <= tables


def test_young_files_are_all_kept(stored_world):
    referenced, strays = stored_world
    uploads, reports = names("uploads"), names("reports")
    result = sweep(older_than=timedelta(days=1))
    assert result.removed == [] and result.moved == []
    assert names("uploads") == uploads and names("reports") == reports


def test_old_part_files_and_orphans_go_referenced_files_stay(stored_world):
    referenced, strays = stored_world
    result = sweep(older_than=timedelta(days=1), now=time.time() + LATER)
    assert {(f.kind, f.name) for f in result.removed} == {
        ("uploads", strays["orphan"]),
        ("uploads", strays["part"]),
        ("reports", strays["report_orphan"]),
        ("reports", strays["report_part"]),
    }
    assert names("uploads") == referenced["uploads"] | {"README.txt"}
    assert names("reports") == referenced["reports"]
    assert referenced["uploads"] | referenced["reports"] <= referenced_names()


def test_the_age_counts_from_the_arrival_in_the_folder(stored_world):
    """A file restored from a backup keeps its old modification time, yet it arrived just
    now: it is not an orphan until a day has passed (its rows may be restored after it)."""
    referenced, strays = stored_world
    path = folder("uploads") / strays["orphan"]
    old = time.time() - 30 * DAY
    os.utime(path, (old, old))
    sweep(older_than=timedelta(days=1))
    assert path.exists()


def test_the_command_prints_what_it_removed(app, stored_world):
    referenced, strays = stored_world
    runner = app.test_cli_runner()
    before = names("uploads"), names("reports")

    dry = runner.invoke(args=["files", "sweep", "--dry-run", "--older-than", "0"])
    assert dry.exit_code == 0, dry.output
    assert f"Would remove uploads/{strays['orphan']}" in dry.output
    assert "referenced by no row" in dry.output
    assert "Would remove 4 files" in dry.output
    assert (names("uploads"), names("reports")) == before

    young = runner.invoke(args=["files", "sweep"])
    assert young.exit_code == 0 and "Removed 0 files" in young.output

    done = runner.invoke(args=["files", "sweep", "--older-than", "0"])
    assert done.exit_code == 0, done.output
    assert f"Removed reports/{strays['report_orphan']}" in done.output
    assert f"Removed uploads/{strays['part']}" in done.output
    assert "never committed (.part)" in done.output
    assert "Removed 4 files" in done.output
    assert names("uploads") == referenced["uploads"] | {"README.txt"}
    assert names("reports") == referenced["reports"]


def test_the_job_is_scheduled_and_sweeps(app, stored_world, monkeypatch):
    referenced, strays = stored_world
    entry = celery.conf.beat_schedule["sweep-files"]
    assert entry["task"] == "qa_portal.sweep_files" == sweep_files.name
    assert entry["schedule"] <= 3600
    monkeypatch.setitem(app.config, "FILE_SWEEP_AGE_HOURS", 0)
    sweep_files.delay()
    assert strays["orphan"] not in names("uploads")
    assert names("reports") == referenced["reports"]


def test_a_file_staged_by_a_transaction_still_open_is_not_swept(app, own_folders, people, draft):
    """An upload in progress (its transaction not yet committed) is young: kept."""
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "c.pdf", pdf_bytes()
    )
    part = evidence.stored_name.removesuffix(".pdf") + ".part"
    with app.app_context():  # the sweep's own session, as in its own process
        sweep(older_than=timedelta(days=1))
    assert part in names("uploads")
    commit()
    assert storage.path_of(evidence.stored_name).is_file()
