"""Draft report → factual accuracy → decision: the officer sends the draft once the findings
are complete and the dossier waits for its decision (only when the policy has the step);
the provider reads it (nobody else outside the QA body) and points out errors of fact or
says there is none, before the due date; the officer answers every point (a reason when
not accepted) and closes the check; until then the round is not decided. The check expires
when its period passes; the provider is reminded, the officer told, once each. The final
report carries the provider's statement and the answered points."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import render_template

from qa_portal.accounts.models import Role
from qa_portal.cases.reminders import send_reminders
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions import factual_accuracy as fa
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import FactualCheck, FactualCheckState
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.data import build
from qa_portal.reports.models import ReportVariant
from qa_portal.reviews.policy import current_policy
from tests.notifications.helpers import inbox
from tests.reviews.findings_helpers import SUMMARY, write_findings
from tests.reviews.helpers import text
from tests.state_tables import assert_every_pair_is_enforced, table

S = FactualCheckState
POINT = "The workload is 150 hours, not 125 (see the curriculum, page 2)."


@pytest.fixture
def days():
    """The policy gives the provider 10 days to check the draft."""
    current_policy().factual_accuracy_days = 10
    commit()
    return 10


@pytest.fixture
def reviewed(workflow, people):
    """A case of provider A waiting for its decision, with the panel's findings."""
    case = workflow.case(submit=True).submit_reviews()
    write_findings(people.officer, case.round)
    return case


@pytest.fixture
def sent(reviewed, people, days):
    fa.send_draft(people.officer, reviewed.dossier)
    commit()
    return reviewed


def check_of(case) -> FactualCheck:
    db.session.expire_all()
    return fa.check_of(case.round)


def draft_url(case) -> str:
    return f"/dossiers/{case.dossier.id}/draft-report"


def test_the_table_of_the_check():
    assert table(fa.FACTUAL_CHECK_MACHINE) == {
        "comment": ({"sent"}, "commented", ("provider",)),
        "expire": ({"sent"}, "expired", ("system", "qa_officer")),
        "close": ({"commented", "expired"}, "closed", ("qa_officer",)),
    }
    assert_every_pair_is_enforced(fa.FACTUAL_CHECK_MACHINE, list(S))


# -- sending the draft --------------------------------------------------------------------
def test_no_draft_when_the_policy_has_no_check(reviewed, people):
    with pytest.raises(TransitionNotAllowed, match="no factual-accuracy check"):
        fa.send_draft(people.officer, reviewed.dossier)


def test_the_draft_needs_the_findings_and_a_dossier_waiting_for_its_decision(
    workflow, people, days
):
    case = workflow.case(submit=True).submit_reviews(only=1)  # still in review
    write_findings(people.officer, case.round)
    with pytest.raises(TransitionNotAllowed, match="waits for its decision"):
        fa.send_draft(people.officer, case.dossier)
    db.session.rollback()

    other = workflow.case(submit=True, title="Data Ethics").submit_reviews()
    with pytest.raises(TransitionNotAllowed, match="Write the panel's findings first"):
        fa.send_draft(people.officer, other.dossier)
    db.session.rollback()
    write_findings(people.officer, other.round, summary="")  # incomplete: no summary
    with pytest.raises(TransitionNotAllowed, match="Write the panel's findings first"):
        fa.send_draft(people.officer, other.dossier)
    db.session.rollback()
    with pytest.raises(NotPermitted):
        fa.send_draft(people.admin, case.dossier)


def test_sending_the_draft_tells_the_provider_with_a_link(client, login, reviewed, people, days):
    login(client, people.officer)
    response = client.post(f"/dossiers/{reviewed.dossier.id}/draft-report/send")
    assert response.status_code == 302
    check = check_of(reviewed)
    assert check.state == S.SENT and check.due_date == clock.today() + timedelta(days=10)
    note = inbox(people.provider_a)[-1]
    assert note.kind == "draft_report" and note.url == draft_url(reviewed)
    again = client.post(f"/dossiers/{reviewed.dossier.id}/draft-report/send")
    assert again.status_code == 409


# -- the provider's draft page ------------------------------------------------------------
def test_the_provider_reads_the_draft_nobody_else_outside_the_qa_body(
    client, login, sent, people, panel
):
    login(client, people.provider_a)
    page = client.get(draft_url(sent))
    assert page.status_code == 200
    shown = text(page)
    assert "DRAFT" in shown and SUMMARY in shown and "Involve employers" in shown
    for a in sent.assignments:
        assert a.reviewer.name not in shown
    for user in (people.provider_b, people.reviewer, panel[2]):
        login(client, user)
        assert client.get(draft_url(sent)).status_code == 404
        assert client.post(draft_url(sent), data={"no_errors": "1"}).status_code == 404
    login(client, people.officer)  # the QA body reads it, but does not comment
    assert client.get(draft_url(sent)).status_code == 200
    assert client.post(draft_url(sent), data={"no_errors": "1"}).status_code == 403


def test_a_point_without_text_is_refused_next_to_its_field(client, login, sent, people):
    login(client, people.provider_a)
    data = {"points-0-location": "Criterion 3", "points-0-text": "", "send": "1"}
    response = client.post(draft_url(sent), data=data)
    assert response.status_code == 400
    page = response.data.decode()
    assert re.search(r'id="points-0-text-errors".*Describe the error of fact', page, re.S)
    assert 'value="Criterion 3"' in page
    assert check_of(sent).state == S.SENT


def test_rows_are_added_without_javascript(client, login, sent, people):
    login(client, people.provider_a)
    data = {"points-0-location": "Criterion 3", "points-0-text": POINT, "row_action": "add-point"}
    page = client.post(draft_url(sent), data=data).data.decode()
    assert 'name="points-1-text"' in page and POINT in page
    assert check_of(sent).state == S.SENT


def test_nothing_sent_is_refused(sent, people):
    check = check_of(sent)
    with pytest.raises(InvalidInput, match="at least one error of fact"):
        fa.submit_comments(people.provider_a, check, points=[], statement="")
    with pytest.raises(InvalidInput, match="no error of fact but listed points"):
        fa.submit_comments(people.provider_a, check, points=[{"text": POINT}], no_errors=True)
    with pytest.raises(NotPermitted):
        fa.submit_comments(people.provider_b, check, points=[{"text": POINT}])


def test_the_whole_check_through_the_pages(client, login, sent, people):
    login(client, people.provider_a)
    data = {
        "points-0-location": "Criterion 3",
        "points-0-text": POINT,
        "points-1-location": "Summary",
        "points-1-text": "We have two assessors, not one.",
        "statement": "We thank the panel for a careful review.",
        "send": "1",
    }
    assert client.post(draft_url(sent), data=data).status_code == 302
    check = check_of(sent)
    assert check.state == S.COMMENTED and len(check.points) == 2
    assert client.post(draft_url(sent), data=data).status_code == 409  # once
    first, second = check.points

    # the decision waits for the closed check
    with pytest.raises(TransitionNotAllowed, match="factual-accuracy check is answered"):
        decisions.decide_round(
            people.officer, sent.dossier, outcome="approved", rationale="Meets the standards."
        )
    db.session.rollback()

    login(client, people.officer)
    answers = f"/dossiers/{sent.dossier.id}/factual-accuracy"
    assert POINT in text(client.get(answers))
    refused = client.post(
        answers, data={"point_id": second.id, f"p{second.id}-verdict": "not_accepted"}
    )
    assert refused.status_code == 400
    assert re.search(
        rf'id="p{second.id}-answer-errors".*Give the reason why the point is not accepted',
        refused.data.decode(),
        re.S,
    )
    close = f"/dossiers/{sent.dossier.id}/factual-accuracy/close"
    assert (
        client.post(
            answers,
            data={
                "point_id": first.id,
                f"p{first.id}-verdict": "accepted",
                f"p{first.id}-answer": "Criterion 3 now says 150 hours.",
            },
        ).status_code
        == 302
    )
    premature = client.post(close)
    assert premature.status_code == 409 and "point 2" in text(premature)
    assert (
        client.post(
            answers,
            data={
                "point_id": second.id,
                f"p{second.id}-verdict": "not_accepted",
                f"p{second.id}-answer": "The staff list names one assessor.",
            },
        ).status_code
        == 302
    )
    assert client.post(close).status_code == 302
    assert check_of(sent).state == S.CLOSED
    assert inbox(people.provider_a)[-1].kind == "factual_check_closed"

    sent.decide("approved")
    report = reports.request_report(
        people.officer, sent.decision, ReportVariant.PUBLIC, dispatch=False
    )
    content = build(report)
    assert content["factual_accuracy"]["statement"] == "We thank the panel for a careful review."
    assert content["factual_accuracy"]["points"][1] == {
        "location": "Summary",
        "text": "We have two assessors, not one.",
        "accepted": False,
        "answer": "The staff list names one assessor.",
    }
    html = render_template("reports/_provider_statement.html", **content)
    assert "Statement of the provider" in html and "Not accepted" in html


def test_no_errors_of_fact_then_closed_then_decided(sent, people):
    fa.submit_comments(people.provider_a, check_of(sent), points=[], no_errors=True)
    commit()
    fa.close_check(people.officer, check_of(sent))
    commit()
    sent.decide("approved")
    assert sent.decision is not None


def test_the_decision_needs_no_check_when_the_policy_has_none(reviewed):
    reviewed.decide("approved")
    assert reviewed.decision.outcome.value == "approved"


def test_the_decision_waits_for_the_draft_when_the_policy_has_the_step(reviewed, people, days):
    with pytest.raises(TransitionNotAllowed, match="send the draft report first"):
        decisions.decide_round(
            people.officer, reviewed.dossier, outcome="approved", rationale="Meets."
        )


# -- expiry and reminders -----------------------------------------------------------------
def test_late_comments_are_refused_and_the_check_expires(client, login, sent, people):
    check = check_of(sent)
    check.due_date = clock.today() - timedelta(days=1)
    commit()
    login(client, people.provider_a)
    response = client.post(draft_url(sent), data={"no_errors": "1"})
    assert response.status_code == 409 and "ended on" in text(response)
    assert check_of(sent).state == S.EXPIRED
    with pytest.raises(TransitionNotAllowed, match="send the draft|close it"):
        decisions.decide_round(people.officer, sent.dossier, outcome="approved", rationale="x")
    db.session.rollback()
    fa.close_check(people.officer, check_of(sent))
    commit()
    sent.decide("approved")
    report = reports.request_report(
        people.officer, sent.decision, ReportVariant.PUBLIC, dispatch=False
    )
    assert build(report)["factual_accuracy"]["expired"] is True


def test_the_officer_closes_an_overdue_check(sent, people):
    check = check_of(sent)
    check.due_date = clock.today() - timedelta(days=1)
    commit()
    fa.close_check(people.officer, check_of(sent))
    commit()
    assert check_of(sent).state == S.CLOSED


def test_reminder_before_the_due_date_and_expiry_after_each_once(sent, people):
    due = check_of(sent).due_date
    before = len(inbox(people.provider_a))
    counts = send_reminders(due - timedelta(days=4), commit=commit)
    assert counts["factual_check_due"] == 0
    for _ in range(2):
        send_reminders(due - timedelta(days=3), commit=commit)
        send_reminders(due, commit=commit)
    reminders = [n for n in inbox(people.provider_a)[before:] if n.kind == "reminder"]
    assert len(reminders) == 1 and sent.dossier.reference in reminders[0].title

    for _ in range(2):
        send_reminders(due + timedelta(days=1), commit=commit)
    assert check_of(sent).state == S.EXPIRED
    told = [n for n in inbox(people.officer) if n.kind == "factual_check_expired"]
    assert len(told) == 1


def test_the_dossier_page_shows_the_step(client, login, reviewed, people, days):
    login(client, people.officer)
    page = text(client.get(f"/dossiers/{reviewed.dossier.id}"))
    assert "Draft report and factual accuracy" in page
    assert "Send the draft report to the provider" in page
    fa.send_draft(people.officer, reviewed.dossier)
    commit()
    login(client, people.provider_a)
    page = text(client.get(f"/dossiers/{reviewed.dossier.id}"))
    assert "Read the draft report and comment" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FactualCheck)) == 1


def test_the_demo_seed(people, panel, make_user, qa_body):
    """``flask demo``'s dossiers of this step: sent, commented, decided after the check."""
    from qa_portal.demo_panel import seed_findings_and_factual_check
    from qa_portal.demo_workflow import Cast
    from tests.helpers import pdf_bytes

    officer2 = make_user(Role.QA_OFFICER, org=qa_body)
    cast = Cast(
        people.officer,
        officer2,
        people.provider_a,
        people.provider_b,
        *panel,
        make_user(Role.REVIEWER),
        (pdf_bytes("A"), pdf_bytes("B")),
        clock.today(),
    )
    seed_findings_and_factual_check(cast)
    commit()
    checks = db.session.scalars(sa.select(FactualCheck).order_by(FactualCheck.id)).all()
    assert [c.state for c in checks] == [S.SENT, S.COMMENTED, S.CLOSED]
    decided = checks[2].dossier
    assert decided.state.value == "approved_with_conditions"
    seed_findings_and_factual_check(cast)  # idempotent by title
    commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FactualCheck)) == 3


def test_the_decision_form_starts_from_the_panels_proposal(client, login, workflow, people, days):
    case = workflow.case(submit=True).submit_reviews()
    write_findings(
        people.officer,
        case.round,
        proposed_outcome="approve_with_conditions",
        conditions=["Publish the grading rubric."],
    )
    login(client, people.officer)
    page = client.get(f"/dossiers/{case.dossier.id}/decide")
    html = page.data.decode()
    assert re.search(r'<option selected value="approved_with_conditions"', html) or re.search(
        r'value="approved_with_conditions" selected', html
    )
    assert "Publish the grading rubric." in html
    assert "send the draft report first" in text(page)  # the gate, said before the form
    assert 'name="decide"' not in html
