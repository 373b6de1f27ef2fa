"""Issued reports never change: regenerating makes a new revision and keeps the old one;
who may open which variant; download names; staff downloads in the audit trail."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant

from .helpers import issue, pdf_text


def test_regenerating_makes_a_new_revision_and_keeps_the_old_one(
    client, login, decided, people, audit_ok
):
    _, decision = decided
    first, first_pdf = issue(people.officer, decision)
    login(client, people.officer)
    answer = client.post(
        f"/dossiers/{decision.dossier_id}/reports",
        data={"decision_id": decision.id, "variant": "public"},
    )
    assert answer.status_code == 302
    second = db.session.execute(
        sa.select(Report).where(Report.decision_id == decision.id, Report.revision == 2)
    ).scalar_one()
    assert answer.headers["Location"].endswith(f"/reports/{second.id}")
    assert second.status == ReportStatus.READY
    assert second.code != first.code and second.stored_name != first.stored_name
    second_pdf = reports.read(second)
    assert second.sha256 != first.sha256 and second_pdf != first_pdf
    assert (first.number, first.variant) == (second.number, second.variant)

    # the first revision is still there, unchanged, downloadable and verifiable
    db.session.refresh(first)
    assert first.status == ReportStatus.READY
    old = client.get(f"/reports/{first.id}/download")
    assert old.status_code == 200 and old.data == first_pdf
    old.close()
    for code, pdf, verdict in (
        (first.code, first_pdf, "Genuine."),
        (second.code, second_pdf, "Genuine."),
        (first.code, second_pdf, "Not the genuine report."),
    ):
        page = client.post(f"/verify/{code}", data={"file": (io.BytesIO(pdf), "r.pdf")})
        assert verdict in page.get_data(as_text=True)
    # each revision prints its own revision number and code
    assert "revision 2" in pdf_text(second_pdf) and second.code in pdf_text(second_pdf)
    audit_ok()


def test_a_rendered_report_cannot_be_changed_or_deleted(decided, people):
    _, decision = decided
    report, pdf = issue(people.officer, decision)
    for name, value in (
        ("sha256", "0" * 64),
        ("stored_name", "other.pdf"),
        ("code", "AAAA-BBBB-CCCC"),
        ("status", ReportStatus.FAILED),
        ("revision", 7),
        ("rendered_at", report.requested_at),
    ):
        setattr(report, name, value)
        with pytest.raises(RuntimeError, match="immutable"):
            db.session.flush()
        db.session.rollback()
    db.session.delete(report)
    with pytest.raises(RuntimeError, match="kept"):
        db.session.flush()
    db.session.rollback()
    stored = db.session.get(Report, report.id, populate_existing=True)
    assert stored.status == ReportStatus.READY and reports.read(stored) == pdf
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest()


def test_a_bulk_update_cannot_rewrite_a_rendered_report_either(decided, people):
    """The ORM guard covers objects; the rendering itself claims only queued or failed rows."""
    _, decision = decided
    report, _ = issue(people.officer, decision)
    assert reports.render(report.id).sha256 == report.sha256  # a second run changes nothing
    db.session.refresh(report)
    assert report.status == ReportStatus.READY


VISITORS = ("anonymous", "provider_a", "provider_b", "reviewer", "officer", "admin")


@pytest.mark.parametrize(
    ("variant", "allowed"),
    [
        (ReportVariant.PUBLIC, {"provider_a", "officer", "admin"}),
        (ReportVariant.INTERNAL, {"officer", "admin"}),
    ],
    ids=["public", "internal"],
)
def test_who_may_open_a_report(client, login, decided, people, variant, allowed):
    """The reviewer below sat on this dossier's panel: even so, no report before publication."""
    _, decision = decided
    report, pdf = issue(people.officer, decision, variant)
    assert any(a.reviewer_id == people.reviewer.id for a in decision.round.assignments)
    for name in VISITORS:
        login(client, getattr(people, name, None))
        for path in ("", "/status", "/download"):
            answer = client.get(f"/reports/{report.id}{path}")
            expected = 200 if name in allowed else 404
            assert answer.status_code == expected, (name, path, answer.status_code)
            if path == "/download" and expected == 200:
                assert answer.data == pdf
            answer.close()


def test_download_names_carry_no_person_and_staff_downloads_are_audited(
    client, login, decided, people
):
    _, decision = decided
    names = [
        people.reviewer.name,
        people.officer.name,
        people.admin.name,
        people.provider_a.name,
        *[a.reviewer.name for a in decision.round.assignments],
    ]

    def downloads() -> list[AuditEntry]:
        return list(
            db.session.execute(
                sa.select(AuditEntry)
                .where(AuditEntry.action == "report.download")
                .order_by(AuditEntry.id)  # the newest last, on PostgreSQL too
            ).scalars()
        )

    for variant in ReportVariant:
        report, _ = issue(people.officer, decision, variant)
        readers = (
            (people.officer, people.admin)
            if variant == ReportVariant.INTERNAL
            else (people.provider_a, people.officer)
        )
        for who in readers:
            login(client, who)
            before = len(downloads())
            answer = client.get(f"/reports/{report.id}/download")
            assert answer.status_code == 200
            disposition = answer.headers["Content-Disposition"]
            answer.close()
            filename = re.search(r'filename="?([^";]+)', disposition).group(1)
            assert filename == report.filename
            assert filename.endswith(f"-{variant.value}-rev{report.revision}.pdf")
            for name in names:
                for part in name.lower().split():
                    if len(part) > 2:  # "Expert 1": the words, not the digit
                        assert part not in filename.lower(), (part, filename)
            after = downloads()
            if who.is_staff:
                assert len(after) == before + 1
                entry = after[-1]
                assert entry.actor_id == who.id and entry.object_id == report.id
            else:
                assert len(after) == before  # the audit records staff downloads
    commit()


@pytest.mark.postgres
def test_postgresql_refuses_sql_that_changes_a_rendered_report(decided, people):
    """Beyond the ORM: a row trigger refuses UPDATE and DELETE of a ready report."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only")
    _, decision = decided
    report, _ = issue(people.officer, decision)
    for statement in (
        sa.text("UPDATE review_report SET sha256 = :h WHERE id = :id").bindparams(h="0" * 64),
        sa.text("DELETE FROM review_report WHERE id = :id"),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="immutable"):
            db.session.execute(statement.bindparams(id=report.id))
        db.session.rollback()
    assert db.session.get(Report, report.id).sha256 == report.sha256
