"""The public register of reviews (ESG 2.6): every published review report, whatever its
outcome, searchable by provider, outcome and date; negative outcomes are public."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue import register
from qa_portal.core import clock, storage
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.decisions.models import Decision
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from qa_portal.reviews import methodology

from ..helpers import pdf_bytes


def ready_report(decision, variant=ReportVariant.PUBLIC, revision=1):
    """A rendered report stored without running WeasyPrint (cheap)."""
    stored = storage.save_bytes(pdf_bytes(f"Report {decision.id} {revision}"), kind="reports")
    report = Report(
        dossier_id=decision.dossier_id,
        decision=decision,
        variant=variant,
        revision=revision,
        number=f"QA-TEST-{decision.id}",
        code=reports.new_code(),
        status=ReportStatus.READY,
        stored_name=stored.stored_name,
        sha256=stored.sha256,
        size=stored.size,
        pages=1,
        rendered_at=utcnow(),
    )
    db.session.add(report)
    commit()
    return report


@pytest.fixture
def rejected(workflow):
    dossier, decision = workflow.decided("rejected")
    return decision, ready_report(decision)


def test_anonymous_visitors_download_the_public_report_of_a_rejected_round(
    client, login, rejected, people
):
    decision, report = rejected
    login(client, None)
    assert client.get(f"/reports/{report.id}").status_code == 200
    download = client.get(f"/reports/{report.id}/download")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")
    download.close()
    # the internal variant stays with the QA body
    internal = ready_report(decision, ReportVariant.INTERNAL)
    assert client.get(f"/reports/{internal.id}/download").status_code == 404
    # other providers and reviewers see a published report as anyone does
    login(client, people.provider_b)
    assert client.get(f"/reports/{report.id}/status").status_code == 200


def test_the_policy_decides_which_negative_outcomes_are_published(client, login, rejected, people):
    decision, report = rejected
    methodology.update_published_outcomes(people.admin, ["revise_and_resubmit"])
    commit()
    assert not reports.is_public(report)
    login(client, None)
    assert client.get(f"/reports/{report.id}/download").status_code == 404
    assert report.code not in client.get("/reports").get_data(as_text=True)
    login(client, people.provider_a)  # its provider still reads it
    assert client.get(f"/reports/{report.id}").status_code == 200


def test_an_approval_is_published_with_its_listing(client, workflow):
    dossier, decision = workflow.decided("approved")
    report = ready_report(decision)
    assert not reports.is_public(report)  # not yet in the catalogue
    assert report.code not in client.get("/reports").get_data(as_text=True)
    listing = workflow.case(dossier).publish().listing
    assert reports.is_public(report)
    html = client.get("/reports").get_data(as_text=True)
    assert report.code in html and f"/catalogue/{listing.id}" in html
    assert "no longer in the catalogue" not in html


def test_a_revoked_approval_stays_in_the_register_and_says_so(client, workflow, people):
    dossier, decision = workflow.decided("approved")
    report = ready_report(decision)
    listing = workflow.case(dossier).publish().listing
    catalogue.revoke_listing(people.officer, listing, "The provider closed the programme.")
    commit()
    html = client.get("/reports").get_data(as_text=True)
    assert report.code in html
    assert "(approval withdrawn or revoked: no longer in the catalogue)" in html


def test_the_register_lists_every_outcome_newest_first_with_the_latest_revision(
    client, workflow, people
):
    made = {}
    for outcome in ("rejected", "revise_and_resubmit", "approved_with_conditions"):
        kwargs = {}
        if outcome == "approved_with_conditions":
            due = clock.today() + timedelta(days=60)
            kwargs["conditions"] = [{"text": "Publish the grading rubric.", "due_date": due}]
        case = workflow.case(title=f"Course {outcome}").decide(outcome, rationale="Why.", **kwargs)
        if outcome == "approved_with_conditions":
            case.publish()
        made[outcome] = ready_report(case.decision)
    newer = ready_report(made["rejected"].decision, revision=2)
    html = client.get("/reports").get_data(as_text=True)
    codes = re.findall(r"/verify/([A-Z0-9-]+)", html)
    assert made["rejected"].code not in codes  # only the latest revision
    assert codes == [
        made["approved_with_conditions"].code,
        made["revise_and_resubmit"].code,
        newer.code,
    ]
    for label in ("Rejected", "Revise and resubmit", "Approved with conditions"):
        assert label in html
    # the catalogue still lists approvals only
    catalogue = client.get("/catalogue").get_data(as_text=True)
    assert "Course approved_with_conditions" in catalogue
    assert "Course rejected" not in catalogue and "Course revise_and_resubmit" not in catalogue


def test_a_desk_rejection_has_no_report_in_the_register(client, workflow, people):
    """A desk rejection is not a review: no panel, no report, nothing to publish."""
    case = workflow.case(title="Out of scope").desk_reject()
    decision = db.session.execute(
        sa.select(Decision).where(Decision.dossier_id == case.dossier.id)
    ).scalar_one()
    assert reports.request_both(people.officer, decision) == []
    assert "Out of scope" not in client.get("/reports").get_data(as_text=True)


def test_search_by_provider_outcome_and_date(client, workflow, people, make_user, make_org):
    _, rejection = workflow.decided("rejected")
    rejected = ready_report(rejection)
    _, revise = workflow.decided("revise_and_resubmit")
    sent_back = ready_report(revise)

    def codes(**args):
        answer = client.get("/reports", query_string=args)
        assert answer.status_code == 200
        return set(re.findall(r"/verify/([A-Z0-9-]+)", answer.get_data(as_text=True)))

    assert codes() == {rejected.code, sent_back.code}
    assert codes(outcome="rejected") == {rejected.code}
    assert codes(provider="provider a") == {rejected.code, sent_back.code}
    assert codes(provider="Provider B") == set()
    today = clock.today()
    assert codes(date_from=today.isoformat(), date_to=today.isoformat()) == {
        rejected.code,
        sent_back.code,
    }
    assert codes(date_from=(today + timedelta(days=1)).isoformat()) == set()
    assert codes(date_to=(today - timedelta(days=1)).isoformat()) == set()


def test_a_bad_date_is_refused_next_to_its_field(client):
    answer = client.get("/reports", query_string={"date_from": "31/02/2026", "provider": "Uni"})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'id="date_from-errors"' in html and 'value="Uni"' in html
    answer = client.get(
        "/reports", query_string={"date_from": "2026-02-02", "date_to": "2026-02-01"}
    )
    assert answer.status_code == 400 and "before the start date" in answer.get_data(as_text=True)
    assert client.get("/reports", query_string={"outcome": "desk_rejected"}).status_code == 400


def test_the_register_pages(client, workflow, monkeypatch):
    monkeypatch.setattr(register, "PER_PAGE", 1)
    for _ in range(2):
        _, decision = workflow.decided("rejected")
        ready_report(decision)
    first = client.get("/reports", query_string={"outcome": "rejected"}).get_data(as_text=True)
    assert "Page 1 of 2" in first and "outcome=rejected" in first and "page=2" in first
    second = client.get("/reports", query_string={"outcome": "rejected", "page": 2})
    assert "Page 2 of 2" in second.get_data(as_text=True)


def test_the_header_links_the_register_and_the_methodology(client):
    html = client.get("/catalogue").get_data(as_text=True)
    assert 'href="/reports"' in html and 'href="/methodology"' in html
