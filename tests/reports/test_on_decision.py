"""Every decided round gets its public and internal report without anyone asking."""

import sqlalchemy as sa

from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.reports.helpers import hold_jobs


def test_a_decision_queues_both_reports_for_rendering(app, workflow, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", True)
    dispatched = hold_jobs(monkeypatch)
    dossier, decision = workflow.decided("approved")
    rows = (
        db.session.execute(
            sa.select(Report).where(Report.decision_id == decision.id).order_by(Report.variant)
        )
        .scalars()
        .all()
    )
    assert {r.variant for r in rows} == {ReportVariant.PUBLIC, ReportVariant.INTERNAL}
    assert all(r.status == ReportStatus.QUEUED and r.revision == 1 for r in rows)
    assert sorted(dispatched) == sorted(r.id for r in rows)  # rendered after the commit


def test_without_the_setting_nothing_is_queued(app, workflow, monkeypatch):
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", False)
    dossier, decision = workflow.decided("approved")
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(Report).where(Report.decision_id == decision.id)
    ).scalar_one()
    assert count == 0
