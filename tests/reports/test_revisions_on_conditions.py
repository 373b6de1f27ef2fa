"""A report is reissued when its conditions move (ESG 2.3 follow-up): a condition met or not
met, extended, or the approval withdrawn queues a new revision of both variants; the report's
follow-up section shows every condition's current state, the extensions and the withdrawal;
the verification page of an older revision names the newer one (and the newest does not)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import follow_up
from qa_portal.decisions import operations as decisions
from qa_portal.extensions import db
from qa_portal.reports import data as report_data
from qa_portal.reports.models import Report, ReportVariant
from tests.decisions.helpers import future

from .helpers import hold_jobs, issue, normalised, pdf_text


@pytest.fixture
def conditional(workflow):
    """An approval with two conditions due in 30 days: (dossier, decision)."""
    return workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": future(30)},
            {"text": "Appoint an external examiner.", "due_date": future(30)},
        ],
    )


def _revisions(decision) -> dict[ReportVariant, list[int]]:
    rows = db.session.execute(
        sa.select(Report.variant, Report.revision)
        .where(Report.decision_id == decision.id)
        .order_by(Report.revision)
    ).all()
    found: dict[ReportVariant, list[int]] = {v: [] for v in ReportVariant}
    for variant, revision in rows:
        found[variant].append(revision)
    commit()  # a read snapshot must not outlive the read (SQLite: the next write follows)
    return found


def test_each_verification_and_follow_up_queues_a_new_revision(
    app, conditional, people, monkeypatch
):
    monkeypatch.setitem(app.config, "REPORTS_ON_DECISION", True)
    dispatched = hold_jobs(monkeypatch)
    dossier, decision = conditional
    first, second = decision.conditions
    assert _revisions(decision) == {v: [] for v in ReportVariant}  # decided before the setting
    decisions.submit_condition_evidence(people.provider_a, first, "Online.", [])
    commit()
    assert _revisions(decision) == {v: [] for v in ReportVariant}  # evidence alone: no change
    decisions.verify_condition(people.officer, first, met=True, note="")
    commit()
    assert _revisions(decision) == {v: [1] for v in ReportVariant}
    due = second.due_date
    monkeypatch.setattr(clock, "today", lambda: due)
    decisions.verify_condition(people.officer, second, met=False, note="No examiner.")
    commit()
    assert _revisions(decision) == {v: [1, 2] for v in ReportVariant}
    follow_up.extend_condition(
        people.officer, second, new_due_date=second.due_date + timedelta(days=30), reason="Term."
    )
    commit()
    assert _revisions(decision) == {v: [1, 2, 3] for v in ReportVariant}
    assert len(dispatched) == 6  # each rendered by a job after its commit


def test_the_follow_up_section_shows_the_current_state(conditional, people, monkeypatch):
    dossier, decision = conditional
    first, second = decision.conditions
    due = first.due_date
    monkeypatch.setattr(clock, "today", lambda: due + timedelta(days=1))
    section = follow_up.report_section(decision)
    assert [c["overdue"] for c in section["conditions"]] == [True, True]
    assert section["withdrawn"] is None
    decisions.verify_condition(people.officer, second, met=False, note="No examiner.")
    new_due = due + timedelta(days=40)
    follow_up.extend_condition(people.officer, second, new_due_date=new_due, reason="Term.")
    decisions.verify_condition(people.officer, first, met=False, note="No scheme.")
    follow_up.withdraw_approval(people.officer, first, reason="Nothing changed.")
    commit()
    section = follow_up.report_section(decision)
    one, two = section["conditions"]
    assert (one["position"], one["state"], one["overdue"], one["note"]) == (
        1,
        "Not met",
        False,
        "No scheme.",
    )
    assert one["verified_at"] == clock.utcnow().date() and one["extensions"] == []
    assert (two["state"], two["due"], two["overdue"]) == ("Open", new_due, False)
    assert two["extensions"] == [
        {"date": clock.utcnow().date(), "previous_due": due, "new_due": new_due, "reason": "Term."}
    ]
    assert section["withdrawn"] == {"date": clock.utcnow().date(), "reason": "Nothing changed."}


def test_the_reissued_pdf_and_verify_name_the_newer_revision(
    client, conditional, people, monkeypatch
):
    dossier, decision = conditional
    first, second = decision.conditions
    old, old_pdf = issue(people.officer, decision)
    assert "Open" in normalised(pdf_text(old_pdf))
    decisions.submit_condition_evidence(people.provider_a, first, "Online.", [])
    decisions.verify_condition(people.officer, first, met=True, note="Checked online.")
    later = second.due_date + timedelta(days=2)  # a value: the job reads it in its own session
    monkeypatch.setattr(clock, "today", lambda: later)
    commit()
    new, new_pdf = issue(people.officer, decision)
    assert new.revision == old.revision + 1
    text = normalised(pdf_text(new_pdf))
    assert "Follow-up and conditions" in text and "Checked online." in text
    assert "Overdue" in text  # the second condition, past its date without evidence
    data = report_data.build(new)
    assert [c["state"] for c in data["follow_up"]["conditions"]] == ["Met", "Open"]

    older = client.get(f"/verify/{old.code}").get_data(as_text=True)
    assert "A newer revision of this report exists." in older
    assert f"revision {new.revision} was issued on" in older
    assert f'href="/verify/{new.code}"' in older
    newest = client.get(f"/verify/{new.code}").get_data(as_text=True)
    assert "A newer revision" not in newest and "superseded" not in newest
    # a file of the old revision still verifies as genuine, under its own code
    assert "Genuine." in client.post(
        f"/verify/{old.code}",
        data={"file": (io.BytesIO(old_pdf), "r.pdf")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def test_verify_says_when_the_decision_itself_was_superseded(client, workflow, people):
    dossier, decision = workflow.decided("rejected")
    report, _ = issue(people.officer, decision)
    decision.superseded_at = clock.utcnow()  # as an overturned appeal does
    commit()
    page = client.get(f"/verify/{report.code}").get_data(as_text=True)
    assert "This decision was superseded." in page
