"""The panel's findings: written by the case officer or the panel's chair (after their own
review), while the round is under review or waiting for its decision; a stale edit is
refused with a clear message; bad input comes back next to its field with the text kept;
the individual reviews inform the form under their aliases; the report carries them."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import render_template

from qa_portal.core.audit import AuditEntry
from qa_portal.core.errors import InvalidInput, NotPermitted, StaleObject, TransitionNotAllowed
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.data import build
from qa_portal.reports.models import ReportVariant
from qa_portal.reviews import findings
from qa_portal.reviews.models import PanelFindings
from tests.reviews.findings_helpers import SUMMARY, findings_form, make_chair, write_findings
from tests.reviews.helpers import text


def url(dossier) -> str:
    return f"/dossiers/{dossier.id}/findings"


def form_post(round_, lock_version, **overrides) -> dict[str, str]:
    """The findings page's fields as a browser sends them."""
    data = {
        "lock_version": str(lock_version),
        "summary": SUMMARY,
        "strengths": "Clear.",
        "recommendations-0": "Involve employers.",
        "conditions-0": "",
        "proposed_outcome": "approve",
        "save": "1",
    }
    for i, c in enumerate(round_.rubric.criteria):
        data[f"criteria-{i}-criterion_id"] = str(c.id)
        data[f"criteria-{i}-judgement"] = "3"
        data[f"criteria-{i}-text"] = f"Finding {c.position}"
    data.update(overrides)
    return data


# -- the operation ------------------------------------------------------------------------
def test_the_officer_writes_the_findings_and_the_trail_records_them(workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    saved = write_findings(people.officer, case.round)

    assert saved.summary == SUMMARY
    assert saved.proposed_outcome.value == "approve"
    assert {c.judgement for c in saved.criteria} == {3}
    assert findings.is_complete(saved)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "findings.write")
    ).one()
    assert entry.payload["round"] == 1 and entry.payload["judgements"]["1"] == 3


def test_only_the_officer_or_the_chair_writes_them(workflow, people, panel, monkeypatch):
    case = workflow.case(submit=True).submit_reviews()
    member, other = case.assignments
    for outsider in (member.reviewer, people.provider_a, people.admin, panel[2]):
        with pytest.raises(NotPermitted):
            findings.save_findings(outsider, case.round, **findings_form(case.round))
    db.session.rollback()

    make_chair(member, monkeypatch)
    saved = write_findings(member.reviewer, case.round, summary="The chair's summary.")
    assert saved.written_by_id == member.reviewer.id
    with pytest.raises(NotPermitted):  # the other member still may not
        findings.save_findings(other.reviewer, case.round, **findings_form(case.round))


def test_the_chair_writes_only_after_their_own_review(workflow, people, monkeypatch):
    case = workflow.case(submit=True).submit_reviews(only=1)  # the second review not in
    waiting = next(a for a in case.assignments if a.state.value == "accepted")
    make_chair(waiting, monkeypatch)
    with pytest.raises(TransitionNotAllowed, match="Submit your own review first"):
        findings.save_findings(waiting.reviewer, case.round, **findings_form(case.round))


def test_findings_are_written_between_the_reviews_and_the_decision(workflow, people):
    case = workflow.case(submit=True).open()
    with pytest.raises(TransitionNotAllowed, match="once a review is in"):
        findings.save_findings(people.officer, case.round, **findings_form(case.round))
    db.session.rollback()

    case.submit_reviews(only=1)  # in review, one review in: the officer may start
    write_findings(people.officer, case.round)
    case.submit_reviews().decide("approved")
    with pytest.raises(TransitionNotAllowed, match="decided"):
        findings.save_findings(people.officer, case.round, **findings_form(case.round))


def test_a_stale_edit_is_refused_and_nothing_is_lost(workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    first = write_findings(people.officer, case.round, lock_version=0)
    assert first.lock_version == 1
    with pytest.raises(StaleObject, match="saved by Otto Officer after you opened"):
        findings.save_findings(
            people.officer,
            case.round,
            **findings_form(case.round, summary="Old page"),
            lock_version=0,
        )
    db.session.rollback()
    assert findings.findings_of(case.round).summary == SUMMARY


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"proposed_outcome": "approve_with_conditions"}, "at least one proposed condition"),
        ({"conditions": ["Publish the rubric."]}, "only with approval with conditions"),
        ({"proposed_outcome": "excellent"}, "outcomes offered"),
    ],
)
def test_conditions_go_with_approval_with_conditions(workflow, people, overrides, message):
    case = workflow.case(submit=True).submit_reviews()
    with pytest.raises(InvalidInput, match=message):
        findings.save_findings(people.officer, case.round, **findings_form(case.round, **overrides))


def test_a_judgement_is_on_the_rubric_scale(workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    first = case.round.rubric.criteria[0]
    bad = {first.id: {"judgement": 5, "text": ""}}
    with pytest.raises(InvalidInput, match="from 1"):
        findings.save_findings(
            people.officer, case.round, **findings_form(case.round, criteria=bad)
        )


# -- the page -----------------------------------------------------------------------------
def test_the_page_shows_the_reviews_under_aliases_and_saves(client, login, workflow, people):
    case = workflow.case(submit=True).submit_reviews([{1: 2}, {1: 4}], comment="Note {position}")
    login(client, people.officer)
    page = client.get(url(case.dossier))
    assert page.status_code == 200
    shown = text(page)
    assert "Reviewer 1" in shown and "Reviewer 2" in shown and "Note 1" in shown
    assert case.assignments[0].reviewer.name not in shown  # anonymous, even to the officer here

    response = client.post(url(case.dossier), data=form_post(case.round, 0))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/dossiers/{case.dossier.id}#findings")
    dossier_page = text(client.get(f"/dossiers/{case.dossier.id}"))
    assert "Panel findings, round 1" in dossier_page and SUMMARY in dossier_page


def test_errors_come_back_next_to_the_field_with_the_text_kept(client, login, workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    login(client, people.officer)
    data = form_post(
        case.round, 0, proposed_outcome="approve_with_conditions", summary="My careful summary"
    )
    response = client.post(url(case.dossier), data=data)
    assert response.status_code == 400
    page = response.data.decode()
    assert re.search(r'id="conditions-0-errors".*at least one proposed condition', page, re.S)
    assert "My careful summary" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PanelFindings)) == 0


def test_a_stale_page_gets_a_clear_conflict(client, login, workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    write_findings(people.officer, case.round)  # someone saved after the page was opened
    login(client, people.officer)
    response = client.post(url(case.dossier), data=form_post(case.round, 0, summary="Mine"))
    assert response.status_code == 409
    page = text(response)
    assert "saved by Otto Officer after you opened this page" in page and "Mine" in page


def test_rows_are_added_without_javascript(client, login, workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    login(client, people.officer)
    data = form_post(case.round, 0, row_action="add-condition")
    data.pop("save")
    page = client.post(url(case.dossier), data=data).data.decode()
    assert 'name="conditions-1"' in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PanelFindings)) == 0


def test_who_may_open_the_page(client, login, workflow, people, panel, monkeypatch):
    case = workflow.case(submit=True).submit_reviews()
    member = case.assignments[0]
    expected = {
        people.provider_a: 403,
        people.admin: 403,
        member.reviewer: 403,  # on the panel, not its chair
        people.provider_b: 404,
        panel[2]: 404,  # not on the panel
        people.officer: 200,
    }
    for user, status in expected.items():
        login(client, user)
        assert client.get(url(case.dossier)).status_code == status, user.name
    make_chair(member, monkeypatch)
    login(client, member.reviewer)
    review_page = client.get(f"/reviews/assignments/{member.id}/review").data.decode()
    assert f'href="{url(case.dossier)}"' in review_page  # the chair finds the page
    assert client.get(url(case.dossier)).status_code == 200
    response = client.post(url(case.dossier), data=form_post(case.round, 0))
    assert response.headers["Location"].endswith(url(case.dossier))
    assert findings.findings_of(case.round).written_by_id == member.reviewer.id


# -- the report ---------------------------------------------------------------------------
def test_the_report_carries_the_findings(workflow, people):
    case = workflow.case(submit=True).submit_reviews()
    write_findings(
        people.officer,
        case.round,
        proposed_outcome="approve_with_conditions",
        conditions=["Publish the grading rubric."],
    )
    case.decide("approved_with_conditions")
    report = reports.request_report(
        people.officer, case.decision, ReportVariant.PUBLIC, dispatch=False
    )
    data = build(report)["findings"]
    assert data["summary"] == SUMMARY
    assert data["criteria"][0] == {
        "position": 1,
        "title": case.round.rubric.criteria[0].title,
        "judgement": "Meets",
        "score": 3,
        "text": "Finding on criterion 1.",
    }
    assert data["recommendations"] == ["Involve employers in the annual review."]
    assert data["conditions"] == ["Publish the grading rubric."]
    assert build(report)["factual_accuracy"] is None
    html = render_template("reports/_findings.html", **build(report))
    assert "Summary and overall judgement" in html and "Publish the grading rubric." in html
    assert "Meets" in html
