"""The QA officer's work queue: what needs my action (each count leading to exactly the
dossiers it counts), filters, flags per row, pagination, and a page that costs the same
number of SQL statements however many dossiers it lists."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from qa_portal.accounts.models import Role
from qa_portal.cases import screening
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.extensions import db
from qa_portal.reviews import invitations
from tests.builders import Case
from tests.dossiers.helpers import count_queries

from .helpers import listed, row, tiles


@pytest.fixture
def officer2(make_user, qa_body):
    return make_user(Role.QA_OFFICER, org=qa_body, name="Olga Other")


def _reviewed_by(officer, dossier, reviewers, outcome, **kwargs):
    """Take ``dossier`` through a full round decided by ``officer``."""
    case = Case(dossier, officer=officer, reviewers=reviewers)
    return case.decide(outcome, rationale="Reasons given.", **kwargs).decision


@pytest.fixture
def world(workflow, people, panel, officer2, make_dossier):
    """One dossier for each kind of work, most of them people.officer's."""
    today = clock.today()
    w = SimpleNamespace()
    w.to_take_up = workflow.submitted()
    w.my_screening = workflow.screening()  # panel 0 of 2
    w.their_screening = workflow.submitted()
    screening.take_up(officer2, w.their_screening)
    commit()
    w.late_review, assignments = workflow.in_review()
    assignments[0].review_due = today - timedelta(days=1)
    commit()
    w.to_decide, _ = workflow.decision_pending()
    w.conditions, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": today + timedelta(days=30)},
            {"text": "Add a second assessor.", "due_date": today + timedelta(days=30)},
        ],
    )
    decisions.submit_condition_evidence(
        people.provider_a, decision.conditions[0], "Published on the programme page.", []
    )
    decision.conditions[1].due_date = today - timedelta(days=2)
    commit()
    # appeals: one against people.officer's decision, one against officer2's
    w.appeal_mine, _ = workflow.decided("rejected")
    decisions.lodge_appeal(people.provider_a, w.appeal_mine, "The panel overlooked our evidence.")
    w.appeal_theirs = make_dossier(people.provider_a, submit=True, title="Decided by Olga")
    _reviewed_by(officer2, w.appeal_theirs, panel[:2], "rejected")
    decisions.lodge_appeal(
        people.provider_a, w.appeal_theirs, "The panel overlooked our workload table."
    )
    commit()
    return w


def _ids(*dossiers):
    return {d.id for d in dossiers}


def test_needs_my_action_counts_lead_to_exactly_the_dossiers_they_count(
    client, login, people, officer2, world
):
    expected = {
        people.officer: {
            "take_up": _ids(world.to_take_up),
            "screening": _ids(world.my_screening),
            "panel": _ids(world.my_screening),
            "decide": _ids(world.to_decide),
            "evidence": _ids(world.conditions),
            # every lodged appeal: the appeals committee decides them
            "appeal": _ids(world.appeal_mine, world.appeal_theirs),
            "overdue": _ids(world.late_review, world.conditions),
        },
        officer2: {
            "take_up": _ids(world.to_take_up),
            "screening": _ids(world.their_screening),
            "panel": _ids(world.their_screening),
            "decide": set(),
            "evidence": set(),
            "appeal": _ids(world.appeal_mine, world.appeal_theirs),
            "overdue": set(),
        },
    }
    for officer, needs in expected.items():
        login(client, officer)
        home = client.get("/")
        assert home.status_code == 302 and home.headers["Location"].endswith("/dossiers/queue")
        page = client.get("/dossiers/queue")
        assert page.status_code == 200
        assert tiles(page.text) == {k: len(v) for k, v in needs.items()}, officer.name
        for need, ids in needs.items():
            assert f'href="/dossiers/queue?need={need}"' in page.text
            filtered = client.get(f"/dossiers/queue?need={need}")
            assert filtered.status_code == 200
            assert set(listed(filtered.text)) == ids, (officer.name, need)
            if not ids:
                assert "Nothing of this kind needs your action." in filtered.text


def test_each_row_says_what_the_dossier_needs(client, login, people, world):
    login(client, people.officer)
    html = client.get("/dossiers/queue").text
    assert "to take up" in row(html, world.to_take_up.id)
    assert "nobody yet" in row(html, world.to_take_up.id)
    assert "panel 0/2 accepted" in row(html, world.my_screening.id)
    assert "Olga Other" in row(html, world.their_screening.id)
    late = row(html, world.late_review.id)
    assert "panel 2/2 accepted, 0 in" in late and "1 review overdue" in late
    assert "badge-overdue" in late
    assert "decision to take" in row(html, world.to_decide.id)
    conditions = row(html, world.conditions.id)
    assert "evidence to verify (1)" in conditions and "1 condition overdue" in conditions
    assert "appeal: before the appeals committee" in row(html, world.appeal_mine.id)
    assert "appeal: before the appeals committee" in row(html, world.appeal_theirs.id)
    assert "appeal to decide" not in html
    # approved-with-conditions is active; rejected (not appealed) is not, appealed ones are
    assert world.conditions.id in listed(html) and world.appeal_mine.id in listed(html)


def test_the_queue_is_the_home_of_the_qa_body_and_replaces_the_old_list(
    client, login, people, workflow
):
    dossier = workflow.submitted()
    login(client, people.admin)
    # the dashboard address (and its old ?state= filter) leads QA staff to the queue
    response = client.get("/dossiers/?state=submitted")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dossiers/queue?state=submitted")
    # only the queue's filters travel along, never options of the link builder
    response = client.get("/dossiers/?_external=1&_scheme=javascript&_anchor=x&need=take_up")
    assert response.headers["Location"] == "/dossiers/queue?need=take_up"
    page = client.get("/dossiers/queue")
    assert page.status_code == 200
    assert listed(page.text) == [dossier.id]
    assert "Needs my action" not in page.text  # the admin decides nothing
    login(client, people.provider_a)
    assert client.get("/dossiers/queue").status_code == 403


# -- filters ------------------------------------------------------------------------------
def test_filters_by_state_case_officer_age_and_overdue(
    client, login, people, officer2, workflow, make_dossier
):
    today = clock.today()
    waiting = workflow.submitted()
    mine = workflow.screening()
    theirs = workflow.submitted()
    screening.take_up(officer2, theirs)
    returned = workflow.screening()
    screening.return_to_provider(people.officer, returned, "Add the QA policy.")
    late, assignments = workflow.in_review()
    assignments[1].review_due = today - timedelta(days=3)
    waiting.submitted_at -= timedelta(days=10)
    mine.submitted_at -= timedelta(days=7)
    commit()

    login(client, people.officer)

    def ids(query=""):
        response = client.get(f"/dossiers/queue{query}")
        assert response.status_code == 200, response.text
        return listed(response.text)

    # the default is the active states, oldest submission first
    assert ids() == [waiting.id, mine.id, theirs.id, late.id]
    assert set(ids("?state=all")) == _ids(waiting, mine, theirs, returned, late)
    assert ids("?state=returned") == [returned.id]
    assert ids("?state=screening") == [mine.id, theirs.id]
    assert ids("?officer=me") == [mine.id, late.id]
    assert ids("?officer=none") == [waiting.id]
    assert ids(f"?officer={officer2.id}") == [theirs.id]
    assert ids("?officer=me&state=screening") == [mine.id]
    assert ids("?min_age=7") == [waiting.id, mine.id]
    assert ids("?min_age=8") == [waiting.id]
    assert ids("?min_age=11") == []
    assert ids("?min_age=0") == ids()
    assert ids("?overdue=y") == [late.id]
    assert ids("?overdue=y&officer=none") == []
    page = client.get("/dossiers/queue?min_age=8").text
    assert "10 days" in row(page, waiting.id)
    # the filters stay selected on the page that shows their result
    page = client.get(f"/dossiers/queue?officer={officer2.id}&state=screening").text
    assert f'<option selected value="{officer2.id}">Olga Other</option>' in page
    assert '<option selected value="screening">Screening</option>' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?state=lost", "Choose a state from the list."),
        ("?officer=someone", "Choose a case officer from the list."),
        ("?officer=999999", "Choose a case officer from the list."),
        ("?need=coffee", "Choose a needs from the list."),
        ("?min_age=-1", "Give a number of days from 0 to 3650."),
        ("?min_age=soon", "Not a valid integer value."),
        ("?page=0", "Pages are numbered from 1."),
        ("?page=last", "Not a valid integer value."),
    ],
)
def test_bad_filters_get_a_message_next_to_the_field(client, login, people, query, message):
    login(client, people.officer)
    response = client.get(f"/dossiers/queue{query}")
    assert response.status_code == 400
    assert message in response.text
    assert "correct the filters marked below" in response.text
    if not query.startswith("?page"):  # the page number is a link, not a field
        assert 'aria-invalid="true"' in response.text


# -- pagination ---------------------------------------------------------------------------
def test_pages_of_the_queue_keep_the_filters(app, client, login, people, make_dossier, monkeypatch):
    monkeypatch.setitem(app.config, "QUEUE_PAGE_SIZE", 2)
    dossiers = [
        make_dossier(people.provider_a, submit=True, title=f"Credential {i}") for i in range(5)
    ]
    login(client, people.officer)
    first = client.get("/dossiers/queue?state=submitted")
    assert listed(first.text) == [d.id for d in dossiers[:2]]
    assert "5 dossiers" in first.text and "Page 1 of 3" in first.text
    assert 'href="/dossiers/queue?page=2&amp;state=submitted" rel="next"' in first.text
    second = client.get("/dossiers/queue?page=2&state=submitted")
    assert listed(second.text) == [d.id for d in dossiers[2:4]]
    assert 'rel="prev"' in second.text and 'rel="next"' in second.text
    last = client.get("/dossiers/queue?page=3&state=submitted")
    assert listed(last.text) == [dossiers[4].id]
    assert 'rel="next"' not in last.text
    beyond = client.get("/dossiers/queue?page=9&state=submitted")  # past the end: the last
    assert beyond.status_code == 200
    assert listed(beyond.text) == [dossiers[4].id]
    assert "Page 3 of 3" in beyond.text
    assert 'href="/dossiers/queue?page=2&amp;state=submitted" rel="prev"' in beyond.text


# -- cost ---------------------------------------------------------------------------------
def test_statement_count_of_the_queue_does_not_grow_with_its_rows(
    client, login, people, panel, officer2, workflow
):
    today = clock.today()

    def more_work():
        """Five dossiers with invitations, reviews, conditions, evidence and an appeal."""
        workflow.submitted()
        d = workflow.screening()
        invitations.invite_reviewer(people.officer, d, panel[2])
        _, assignments = workflow.in_review()
        assignments[0].review_due = today - timedelta(days=1)
        _, decision = workflow.decided(
            "approved_with_conditions",
            conditions=[{"text": "Publish it.", "due_date": today + timedelta(days=20)}],
        )
        decisions.submit_condition_evidence(people.provider_a, decision.conditions[0], "Done.", [])
        d, _ = workflow.decided("rejected")
        decisions.lodge_appeal(people.provider_a, d, "The panel overlooked the evidence.")
        other = workflow.submitted()
        screening.take_up(officer2, other)
        commit()

    def statements() -> tuple[int, int]:
        with count_queries() as n:
            response = client.get("/dossiers/queue")
        assert response.status_code == 200
        return n[0], len(listed(response.text))

    more_work()
    login(client, people.officer)
    statements()  # warm-up
    few, rows_few = statements()
    more_work()
    more_work()
    many, rows_many = statements()
    assert rows_many == 3 * rows_few
    assert many == few
    # the filtered views cost the same too
    with count_queries() as n:
        assert client.get("/dossiers/queue?need=overdue&min_age=0").status_code == 200
    assert n[0] == few
    db.session.rollback()
