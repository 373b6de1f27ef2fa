"""Rendering runs as a job: the request only queues the report and shows its progress; a
failed rendering is recorded with its error and can be tried again; the CLI renders too."""

from __future__ import annotations

import hashlib
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from qa_portal.core import job_queue
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.reports.helpers import hold_jobs


@pytest.fixture
def no_dispatch(monkeypatch):
    """Jobs are queued but never run (as with a broker and no worker)."""
    return hold_jobs(monkeypatch)


def _generate(client, decision, variant="public", **extra):
    return client.post(
        f"/dossiers/{decision.dossier_id}/reports",
        data={"decision_id": decision.id, "variant": variant},
        **extra,
    )


def test_the_request_only_queues_the_report(client, login, decided, people, no_dispatch):
    _, decision = decided
    login(client, people.officer)
    answer = _generate(client, decision, headers={"Accept": "application/json"})
    assert answer.status_code == 200
    report_id = answer.get_json()["report_id"]
    assert no_dispatch == [report_id]  # queued for after the commit, not rendered
    report = db.session.get(Report, report_id)
    assert report.status == ReportStatus.QUEUED
    assert report.stored_name is None and report.sha256 is None and report.revision == 1

    page = client.get(f"/reports/{report_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "being rendered (queued)" in html and "js/report.js" in html
    assert "Download the PDF" not in html
    assert client.get(f"/reports/{report_id}/status").get_json() == {
        "status": "queued",
        "ready": False,
    }
    assert client.get(f"/reports/{report_id}/download").status_code == 404

    # the job, when it runs, stores the file; the page and the status say so
    reports.render(report_id)
    status = client.get(f"/reports/{report_id}/status").get_json()
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    assert status["status"] == "ready" and status["ready"] is True
    assert status["sha256"] == report.sha256 and status["pages"] == report.pages
    assert status["download"] == f"/reports/{report_id}/download"
    download = client.get(status["download"])
    pdf = download.data
    download.close()
    assert hashlib.sha256(pdf).hexdigest() == report.sha256
    assert len(PdfReader(io.BytesIO(pdf)).pages) == report.pages
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Download the PDF" in html and report.code in html and "js/report.js" not in html


def test_generating_needs_a_reviewed_decision_and_a_variant(client, login, decided, people):
    _, decision = decided
    login(client, people.officer)
    for data in ({}, {"decision_id": "x", "variant": "public"}, {"decision_id": decision.id}):
        answer = client.post(f"/dossiers/{decision.dossier_id}/reports", data=data)
        assert answer.status_code == 400
    assert _generate(client, decision, variant="secret").status_code == 400
    other = client.post(
        f"/dossiers/{decision.dossier_id}/reports",
        data={"decision_id": decision.id + 999, "variant": "public"},
    )
    assert other.status_code == 404
    login(client, people.provider_a)
    assert _generate(client, decision).status_code == 403
    assert db.session.execute(sa.select(sa.func.count(Report.id))).scalar() == 0


def test_a_failed_rendering_is_recorded_and_can_be_tried_again(
    client, login, decided, people, monkeypatch
):
    _, decision = decided

    def broken(*args, **kwargs):
        raise OSError("font file unreadable")

    monkeypatch.setattr(reports, "render_pdf", broken)
    login(client, people.officer)
    answer = _generate(client, decision, headers={"Accept": "application/json"})
    report_id = answer.get_json()["report_id"]
    report = db.session.get(Report, report_id)
    assert report.status == ReportStatus.FAILED
    assert report.error == "OSError: font file unreadable"
    assert report.stored_name is None

    status = client.get(f"/reports/{report_id}/status").get_json()
    assert status == {"status": "failed", "ready": False, "error": report.error}
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Rendering failed" in html and "font file unreadable" in html and "Try again" in html

    # the provider sees that it failed, not the technical error, and cannot retry
    login(client, people.provider_a)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Rendering failed" in html and "font file" not in html and "Try again" not in html
    assert "error" not in client.get(f"/reports/{report_id}/status").get_json()
    assert client.post(f"/reports/{report_id}/retry").status_code == 403

    monkeypatch.undo()
    login(client, people.officer)
    retried = client.post(f"/reports/{report_id}/retry")
    assert retried.status_code == 302
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    assert report.status == ReportStatus.READY and report.error == ""
    assert reports.read(report).startswith(b"%PDF")
    # a report that did not fail cannot be "retried"
    assert client.post(f"/reports/{report_id}/retry").status_code == 409
    actions = db.session.execute(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "review_report")
        .order_by(AuditEntry.id)
    ).scalars()
    assert list(actions) == ["report.request", "report.retry", "report.render"]


def test_the_command_line_renders_a_report_to_a_file(app, decided, people, tmp_path):
    dossier, decision = decided
    output = tmp_path / "report.pdf"
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["reports", "render", str(dossier.id), "--variant", "internal", "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    pdf = output.read_bytes()
    report = db.session.execute(sa.select(Report)).scalar_one()
    assert report.variant == ReportVariant.INTERNAL and report.status == ReportStatus.READY
    assert hashlib.sha256(pdf).hexdigest() == report.sha256
    assert report.code in result.output and report.sha256 in result.output
    assert f"{report.pages} pages" in result.output

    missing = runner.invoke(args=["reports", "render", "999999", "-o", str(tmp_path / "x.pdf")])
    assert missing.exit_code != 0
    assert "has no decided, reviewed round" in missing.output
    assert not (tmp_path / "x.pdf").exists()


def test_the_dossier_page_lists_reports_and_lets_the_qa_body_generate_them(
    client, login, decided, people, no_dispatch
):
    dossier, decision = decided
    login(client, people.officer)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Review reports" in html and "No report generated yet." in html
    assert "Generate the public report" in html and "Generate the internal report" in html
    _generate(client, decision, variant="internal")
    queued = db.session.execute(sa.select(Report)).scalar_one()
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "New revision of the internal report" in html and "Queued" in html
    assert f"/reports/{queued.id}" in html

    # the provider sees issued public reports only
    login(client, people.provider_a)
    assert "Review reports" not in client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    reports.render(queued.id)
    db.session.expire_all()
    public = reports.request_report(people.officer, decision, ReportVariant.PUBLIC)
    commit()
    reports.render(public.id)
    html = client.get(f"/dossiers/{dossier.id}").get_data(as_text=True)
    assert "Review reports" in html and "Public report" in html
    assert "Internal report" not in html and "Generate" not in html
    assert f"/reports/{public.id}/download" in html


def test_a_stuck_report_says_so_and_can_be_tried_again(client, login, decided, people):
    """Queued, but its job never reached a runner (the broker was down): the officer sees
    that it stopped and starts it again; a report whose job is on its way cannot be."""
    _, decision = decided
    report = reports.request_report(people.officer, decision, ReportVariant.PUBLIC, dispatch=False)
    job = job_queue.enqueue(reports.RENDER_JOB, key=reports.job_key(report), report_id=report.id)
    commit()
    report_id = report.id
    login(client, people.officer)
    assert client.post(f"/reports/{report_id}/retry").status_code == 409  # just dispatched
    assert "has stopped" not in client.get(f"/reports/{report_id}").get_data(as_text=True)

    job_queue.mark_dispatched([job.id], dispatched=False)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "has stopped: no process is working on it" in html and "Try again" in html
    login(client, people.provider_a)
    html = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "has stopped" in html and "Try again" not in html

    login(client, people.officer)
    assert client.post(f"/reports/{report_id}/retry").status_code == 302
    db.session.commit()
    db.session.expire_all()
    report = db.session.get(Report, report_id)
    assert report.status == ReportStatus.READY
    assert job_queue.latest_for(reports.job_key(report)).id == job.id  # the same job, run
