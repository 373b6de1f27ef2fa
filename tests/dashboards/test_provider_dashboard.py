"""The provider's dashboard: "needs your action" — returned dossiers with the note, open and
overdue conditions with their due dates, decisions open to appeal with the deadline,
revisions to start, renewals due — for their own organisation only."""

from __future__ import annotations

from datetime import timedelta

from qa_portal.cases import screening
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.reviews.defaults import DEFAULT_POLICY
from qa_portal.reviews.policy import current_policy, update_policy
from tests.dossiers.helpers import count_queries


def _section(html: str) -> str:
    return html.split('id="needs-action"', 1)[1].split("</section>", 1)[0]


def _items(html: str, kind: str) -> list[str]:
    parts = _section(html).split(f'<li data-kind="{kind}">')[1:]
    return [p.split("</li>", 1)[0] for p in parts]


def test_nothing_to_do_says_so(client, login, people, workflow):
    workflow.screening()
    login(client, people.provider_a)
    html = client.get("/dossiers/").text
    assert "Nothing needs your action right now." in _section(html)


def test_everything_that_needs_the_providers_action_is_listed(
    client, login, people, workflow, make_dossier
):
    today = clock.today()
    returned = workflow.screening()
    screening.return_to_provider(people.officer, returned, "Attach the internal QA policy.")
    with_conditions, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": today + timedelta(days=40)},
            {"text": "Add a second assessor.", "due_date": today + timedelta(days=40)},
            {"text": "Already answered.", "due_date": today + timedelta(days=40)},
        ],
    )
    decision.conditions[1].due_date = today - timedelta(days=3)
    decisions.submit_condition_evidence(people.provider_a, decision.conditions[2], "Done.", [])
    rejected, rejection = workflow.decided("rejected")
    revise, revision = workflow.decided("revise_and_resubmit")
    renewing, approval = workflow.decided("approved")
    approval.valid_until = today + timedelta(days=60)
    appealed, _ = workflow.decided("rejected")
    decisions.lodge_appeal(people.provider_a, appealed, "The panel overlooked our evidence.")
    late, late_rejection = workflow.decided("rejected")
    late_rejection.appeal_deadline = today - timedelta(days=1)
    commit()
    someone_elses = make_dossier(people.provider_b, submit=True, title="Ben's credential")
    screening.take_up(people.officer, someone_elses)
    screening.return_to_provider(people.officer, someone_elses, "Not for provider A's eyes.")
    commit()

    login(client, people.provider_a)
    html = client.get("/dossiers/").text
    section = _section(html)

    [item] = _items(html, "returned")
    assert f"/dossiers/{returned.id}/edit" in item
    assert "Attach the internal QA policy." in item

    conditions = _items(html, "condition")
    assert len(conditions) == 2  # the one with evidence waits for the QA body
    overdue, upcoming = conditions  # most urgent first
    assert "Add a second assessor." in overdue and "badge-overdue" in overdue
    assert f"Was due on {decision.conditions[1].due_date:%d %b %Y}" in overdue
    assert "Publish the grading scheme." in upcoming and "badge-overdue" not in upcoming
    assert f"Due on {decision.conditions[0].due_date:%d %b %Y}" in upcoming
    assert f"/dossiers/{with_conditions.id}#conditions" in upcoming

    appeals = _items(html, "appeal")
    # rejected, revise-and-resubmit and approved-with-conditions (against its conditions) may
    # be appealed; not once appealed, not after the deadline
    assert len(appeals) == 3
    assert any(f"/dossiers/{with_conditions.id}/appeal" in a for a in appeals)
    assert any(
        f"until {rejection.appeal_deadline:%d %b %Y}" in a and f"/dossiers/{rejected.id}/" in a
        for a in appeals
    )
    assert any(f"/dossiers/{revise.id}/appeal" in a for a in appeals)
    assert f"/dossiers/{appealed.id}" not in section
    assert f"/dossiers/{late.id}" not in section

    [item] = _items(html, "revise")
    assert f"/dossiers/{revise.id}#decision" in item

    [item] = _items(html, "renewal")
    assert f"/dossiers/{renewing.id}#decision" in item
    assert f"ends on {approval.valid_until:%d %b %Y}" in item

    assert "Ben" not in html and "Not for provider A" not in html
    # nothing for provider B but their returned dossier
    login(client, people.provider_b)
    html = client.get("/dossiers/").text
    assert [f"/dossiers/{someone_elses.id}/edit" in i for i in _items(html, "returned")] == [True]
    for kind in ("condition", "appeal", "revise", "renewal"):
        assert _items(html, kind) == []


def _row(html: str, dossier) -> str:
    """The dossier's row in the list of all dossiers."""
    rows = [r.split("</tr>", 1)[0] for r in html.split("<tr>")[1:]]
    [row] = [r for r in rows if f'href="/dossiers/{dossier.id}"' in r]
    return row


def test_the_appeal_period_in_the_providers_text_follows_the_policy(
    client, login, people, workflow
):
    """A rejected dossier's next action names the last day to appeal: its decision's
    deadline, which the review policy's appeal period set. A QA admin who changes the period
    changes the text of the rejections that follow; an earlier one keeps its own deadline."""
    today = clock.today()
    earlier, _ = workflow.decided("rejected")
    update_policy(people.admin, {"appeal_days": 45})
    commit()
    later, later_rejection = workflow.decided("rejected")

    login(client, people.provider_a)
    html = client.get("/dossiers/").text
    usual = today + timedelta(days=DEFAULT_POLICY["appeal_days"])
    assert f"Rejected: you may appeal until {usual:%d %b %Y}" in _row(html, earlier)
    longer = today + timedelta(days=45)
    assert f"Rejected: you may appeal until {longer:%d %b %Y}" in _row(html, later)
    page = client.get(f"/dossiers/{later.id}").text
    assert f"Rejected: you may appeal until {longer:%d %b %Y}" in page
    assert " days" not in _row(html, earlier) + _row(html, later)

    # once the period is over, no appeal is offered
    later_rejection.appeal_deadline = today - timedelta(days=1)
    commit()
    html = client.get("/dossiers/").text
    assert "appeal" not in _row(html, later) and "Rejected" in _row(html, later)
    assert "you may appeal" not in client.get(f"/dossiers/{later.id}").text


def test_a_renewal_is_due_only_within_the_policy_notice(client, login, people, workflow):
    today = clock.today()
    notice = current_policy().renewal_notice_days
    _, approval = workflow.decided("approved")
    approval.valid_until = today + timedelta(days=notice + 1)
    commit()
    login(client, people.provider_a)
    assert _items(client.get("/dossiers/").text, "renewal") == []
    approval.valid_until = today + timedelta(days=notice)
    commit()
    assert len(_items(client.get("/dossiers/").text, "renewal")) == 1


def test_the_dashboard_costs_the_same_with_more_work_to_do(client, login, people, workflow):
    today = clock.today()

    def more_work():
        d = workflow.screening()
        screening.return_to_provider(people.officer, d, "Correct it.")
        _, decision = workflow.decided(
            "approved_with_conditions",
            conditions=[{"text": "Publish it.", "due_date": today + timedelta(days=20)}],
        )
        workflow.decided("rejected")
        commit()

    more_work()
    login(client, people.provider_a)
    client.get("/dossiers/")
    with count_queries() as few:
        first = client.get("/dossiers/").text
    more_work()
    with count_queries() as many:
        second = client.get("/dossiers/").text
    assert len(_items(second, "returned")) == 2 * len(_items(first, "returned")) == 2
    assert len(_items(second, "condition")) == 2
    assert many[0] == few[0]
