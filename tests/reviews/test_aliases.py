"""Aliases outside the QA body number the reviewers whose review is in, without a gap: when
the first reviewer invited declines, the provider, the reports and the other reviewers
read "Reviewer 1" and "Reviewer 2", never "Reviewer 2, Reviewer 3". Officers keep the
numbers given at invitation. An ended assignment shows nothing of the dossier."""

from __future__ import annotations

import re

import pytest

from qa_portal.core.db import commit
from qa_portal.reports.models import ReportVariant
from qa_portal.reviews import scoring
from tests.builders import full_scores
from tests.reports.helpers import issue, normalised, pdf_text

from .helpers import text

TITLE = "Gap-Free Aliases in Practice"


def flat(response) -> str:
    assert response.status_code == 200
    return text(response)


@pytest.fixture
def first_declined(client, login, workflow, panel):
    """Three reviewers invited; the first declines; the third's review (scores 4) comes in
    before the second's (scores 3); approved. Returns (case, first, second, third)."""
    case = workflow.case(reviewers=panel, title=TITLE).invite()
    first = case.assignments[0]
    login(client, first.reviewer)
    declined = client.post(
        f"/reviews/assignments/{first.id}/decline", data={"reason": "No time this month."}
    )
    assert declined.status_code == 302
    case.accept().open()
    _, second, third = case.assignments
    assert (second.alias, third.alias) == ("Reviewer 2", "Reviewer 3")
    for a, marker, score in ((third, "THIRD", 4), (second, "SECOND", 3)):
        draft = full_scores(a, score, to_provider=f"Plan of {marker}.", recommendation="approve")
        scoring.submit_review(a.reviewer, a, **draft)
        commit()
    case.decide("approved")
    return case, first, second, third


def test_the_provider_reads_reviewer_1_and_2(client, login, people, first_declined):
    case, *_ = first_declined
    login(client, people.provider_a)
    seen = flat(client.get(f"/dossiers/{case.dossier.id}"))
    assert "Reviewer 3" not in seen
    # the first review in is Reviewer 1: its column, its scores, its comments
    assert "Criterion Reviewer 1 Reviewer 2 Mean Spread" in seen
    assert re.search(r"1\. [^\d]+ 4 3 3\.50 1", seen)
    assert "Reviewer 1 — Approve Plan of THIRD." in seen
    assert "Reviewer 2 — Approve Plan of SECOND." in seen


def test_the_public_report_numbers_them_the_same_way(people, first_declined):
    case, *_ = first_declined
    report, pdf = issue(people.officer, case.decision, ReportVariant.PUBLIC)
    seen = normalised(pdf_text(pdf)).replace(report.code, "")  # a code may hold "R3"
    assert "Reviewer 3" not in seen and not re.search(r"\bR3\b", seen)
    assert "Reviewer 1 Approve" in seen and "Reviewer 2 Approve" in seen
    assert "Reviewer 1 Plan of THIRD." in seen
    assert "Reviewer 2 Plan of SECOND." in seen


def test_the_internal_report_uses_the_providers_aliases_with_the_names(people, first_declined):
    case, _, second, third = first_declined
    _, pdf = issue(people.officer, case.decision, ReportVariant.INTERNAL)
    seen = normalised(pdf_text(pdf))
    assert "Reviewer 3" not in seen
    assert f"Reviewer 1 ({third.reviewer.name}) Plan of THIRD." in seen
    assert f"Reviewer 2 ({second.reviewer.name}) Plan of SECOND." in seen


def test_officers_keep_the_numbers_given_at_invitation(client, login, people, first_declined):
    case, first, second, third = first_declined
    login(client, people.officer)
    seen = flat(client.get(f"/dossiers/{case.dossier.id}"))
    assert f"Reviewer 1 {first.reviewer.name}" in seen  # the panel table, with the decline
    assert f"Reviewer 3 ({third.reviewer.name}; Reviewer 1 to the provider)" in seen
    assert f"Reviewer 2 ({second.reviewer.name}; Reviewer 2 to the provider)" not in seen
    assert f"Reviewer 2 ({second.reviewer.name}) — Approve" in seen


def test_reviewers_read_the_same_aliases(client, login, first_declined):
    case, _, second, third = first_declined
    for me, mine, theirs in (
        (second, "Reviewer 2", "Reviewer 1"),
        (third, "Reviewer 1", "Reviewer 2"),
    ):
        login(client, me.reviewer)
        review = flat(client.get(f"/reviews/assignments/{me.id}/review"))
        assert f"you are {mine}" in review
        assert f"{theirs} — Approve" in review
        dashboard = flat(client.get("/reviews/"))
        assert f"as {mine}" in dashboard
        assignment = flat(client.get(f"/reviews/assignments/{me.id}"))
        assert f"you are {mine}" in assignment
        for page in (review, dashboard, assignment):
            assert "Reviewer 3" not in page


def _nothing_of_the_dossier(seen: str, dossier) -> None:
    version = dossier.versions[-1].snapshot
    for secret in (TITLE, dossier.reference, dossier.organisation.name, version["summary"]):
        assert secret not in seen


def test_a_declined_assignment_shows_only_that_it_ended(client, login, first_declined):
    case, first, *_ = first_declined
    login(client, first.reviewer)
    seen = flat(client.get(f"/reviews/assignments/{first.id}"))
    assert f"You declined this invitation on {first.responded_at:%d %b %Y}" in seen
    _nothing_of_the_dossier(seen, case.dossier)
    dashboard = flat(client.get("/reviews/"))
    assert "Declined" in dashboard
    _nothing_of_the_dossier(dashboard, case.dossier)


def test_a_cancelled_assignment_shows_only_that_it_ended(client, login, people, workflow):
    case = workflow.case(title=TITLE).accept()
    a = case.assignments[0]
    login(client, people.officer)
    cancelled = client.post(
        f"/dossiers/{case.dossier.id}/panel/{a.id}/cancel", data={"reason": "Moved on."}
    )
    assert cancelled.status_code == 302
    login(client, a.reviewer)
    seen = flat(client.get(f"/reviews/assignments/{a.id}"))
    assert re.search(r"The QA body cancelled this assignment on \d\d \w{3} \d{4}", seen)
    _nothing_of_the_dossier(seen, case.dossier)
    _nothing_of_the_dossier(flat(client.get("/reviews/")), case.dossier)
