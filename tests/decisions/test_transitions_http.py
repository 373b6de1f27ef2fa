"""Every transition once through HTTP: the allowed person succeeds from the page's form;
in a state that does not allow it the answer is 409 with the message, as a page for
browsers and as ``{"error": …, "message": …}`` for JSON clients; a person without the role
gets 403; and a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Appeal
from qa_portal.decisions.workflow import CONDITION_MACHINE
from qa_portal.dossiers.models import DossierState
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from tests.helpers import last_transition, page_text, pdf_bytes

from .helpers import GROUNDS, future, world
from .test_transitions import SCENARIOS

S = DossierState
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Route:
    who: str  # provider, officer, appeal_officer (a member of the appeals committee)
    path: str  # after /dossiers/<id>; the appeals committee's page is /appeals/<id>
    data: Callable[[], dict]


def _decision(outcome: str, **extra) -> Callable[[], dict]:
    return lambda: {"outcome": outcome, "rationale": "Weighed against the rubric.", **extra}


def _appeal_path(verdict: str) -> Route:
    return Route(
        "appeal_officer",
        "/appeals/{appeal_id}",
        lambda: {
            "verdict": verdict,
            "rationale": "Considered the grounds.",
            "meeting_date": clock.today().isoformat(),
        },
    )


ROUTES: dict[str, Route] = {
    "submit": Route("provider", "/submit", dict),
    "resubmit": Route("provider", "/submit", dict),
    "take_up": Route("officer", "/take-up", dict),
    "return": Route("officer", "/return", lambda: {"note": "Add the staff profiles."}),
    "desk_reject": Route("officer", "/desk-reject", lambda: {"note": "Out of scope."}),
    "open_review": Route("officer", "/panel/open", dict),
    "close_round": Route("officer", "/panel/close", dict),
    "approve": Route("officer", "/decide", _decision("approved")),
    "approve_with_conditions": Route(
        "officer",
        "/decide",
        lambda: _decision(
            "approved_with_conditions",
            **{"conditions-0-text": "Publish grading.", "conditions-0-due_date": str(future())},
        )(),
    ),
    "revise": Route("officer", "/decide", _decision("revise_and_resubmit")),
    "reject": Route("officer", "/decide", _decision("rejected")),
    "start_revision": Route("provider", "/start-revision", dict),
    "start_renewal": Route("provider", "/start-renewal", dict),
    "appeal": Route("provider", "/appeal", lambda: {"grounds": GROUNDS}),
    "overturn_appeal": _appeal_path("overturn"),
    "overturn_desk_rejection": _appeal_path("overturn"),
    "uphold_appeal_rejected": _appeal_path("uphold"),
    "uphold_appeal_desk_rejected": _appeal_path("uphold"),
    "uphold_appeal_revise": _appeal_path("uphold"),
    "uphold_appeal_conditions": _appeal_path("uphold"),
    "withdraw": Route("provider", "/withdraw", lambda: {"reason": "Not offered any more."}),
    "withdraw_approval": Route(
        "officer",
        "/follow-up",
        lambda: {"condition_id": "{condition_id}", "action": "withdraw", "reason": "Not met."},
    ),
}


def _data(dossier, route: Route) -> dict:
    """The route's form, ``{condition_id}`` filled with the first condition of the decision
    in force (0 when there is none)."""
    decision = decisions.latest_decision(dossier)
    condition = decision.conditions[0].id if decision and decision.conditions else 0
    return {
        key: value.format(condition_id=condition) if isinstance(value, str) else value
        for key, value in route.data().items()
    }


def test_every_dossier_action_has_a_route():
    assert set(ROUTES) == DOSSIER_MACHINE.actions()


def _people(people, appeals_member) -> dict:
    return {
        "provider": people.provider_a,
        "officer": people.officer,
        "appeal_officer": appeals_member,
    }


def _url(dossier, route: Route) -> str:
    appeal = db.session.execute(
        db.select(Appeal).where(Appeal.dossier_id == dossier.id).order_by(Appeal.id.desc())
    ).scalar()
    path = route.path.format(appeal_id=appeal.id if appeal else 0)
    return path if path.startswith("/appeals/") else f"/dossiers/{dossier.id}{path}"


def _first_source(action: str):
    return next(key for key in sorted(SCENARIOS, key=lambda k: k[1].value) if key[0] == action)


@pytest.mark.parametrize("action", sorted(ROUTES))
def test_allowed_through_the_page(action, client, login, reach, people, appeals_member, panel):
    key = _first_source(action)
    scenario = SCENARIOS[key]
    dossier = reach(scenario.state, scenario.via)
    if scenario.prepare:
        scenario.prepare(dossier, people, panel)
        commit()
    route = ROUTES[action]
    login(client, _people(people, appeals_member)[route.who])
    response = client.post(_url(dossier, route), data=_data(dossier, route))
    assert response.status_code == 302, page_text(response)[-1500:]
    db.session.refresh(dossier)
    target = DOSSIER_MACHINE.find(key[1], action).target
    assert dossier.state == target
    entry = last_transition(dossier, action)
    assert (entry["from_state"], entry["to_state"]) == (key[1].value, target.value)


@pytest.fixture
def closed(reach, people, appeals_member):
    """A withdrawn dossier (no action is possible on it) and a dossier whose appeal was
    upheld (the appeal cannot be decided again)."""
    withdrawn = reach(S.WITHDRAWN)
    upheld = reach(S.APPEAL, "rejected")
    appeal = db.session.execute(db.select(Appeal).where(Appeal.dossier_id == upheld.id)).scalar()
    decisions.decide_appeal(appeals_member, appeal, uphold=True, rationale="The decision stands.")
    commit()
    return withdrawn, upheld


def test_refused_over_http_as_page_and_json(client, login, closed, people, appeals_member):
    withdrawn, upheld = closed
    actors = _people(people, appeals_member)
    seen = set()
    for action, route in sorted(ROUTES.items()):
        dossier = upheld if route.who == "appeal_officer" else withdrawn
        url = _url(dossier, route)
        if url in seen and route.path != "/decide":
            continue
        seen.add(url)
        before = world(dossier)
        login(client, actors[route.who])
        data = _data(dossier, route)
        page = client.post(url, data=data)
        assert page.status_code == 409, (action, page.status_code)
        text = page_text(page)
        assert 'class="error-code">409<' in text
        answer = client.post(url, data=data, headers=JSON)
        assert answer.status_code == 409, (action, answer.get_data(as_text=True))
        body = answer.get_json()
        assert body["error"] == "conflict", body
        state_words = "upheld" if dossier is upheld else "withdrawn"
        assert state_words in body["message"], (action, body)
        assert body["message"] in text, action  # the page shows the same message
        # someone without the role (who may see the dossier): 403, as page and as JSON
        outsider = people.officer if route.who == "provider" else people.provider_a
        login(client, outsider)
        assert client.post(url, data=data).status_code == 403
        forbidden = client.post(url, data=data, headers=JSON)
        assert forbidden.status_code == 403
        assert forbidden.get_json()["error"] and forbidden.get_json()["message"]
        assert world(dossier) == before, action


def test_the_withdrawn_dossier_page_offers_no_action(client, login, closed, people):
    withdrawn, _ = closed
    for user in (people.provider_a, people.officer):
        login(client, user)
        text = page_text(client.get(f"/dossiers/{withdrawn.id}"))
        for label in ("Submit…", "Withdraw…", "Take up for screening", "Decide…", "Appeal…"):
            assert label not in text, (user.name, label)


# -- conditions over HTTP -----------------------------------------------------------------
CONDITION_ROUTES = {
    "submit_evidence": (
        "provider",
        "/conditions/{id}/evidence",
        lambda: {"note": "Published.", "files": [(pdf_bytes_io(), "grading.pdf")]},
    ),
    "mark_met": ("officer", "/conditions/{id}/verify", lambda: {"verdict": "met", "note": ""}),
    "mark_not_met": (
        "officer",
        "/conditions/{id}/verify",
        lambda: {"verdict": "not_met", "note": "The grading scheme is not on the page."},
    ),
    "extend": (
        "officer",
        "/follow-up",
        lambda: {
            "condition_id": "{id}",
            "action": "extend",
            "reason": "The examiner starts next term.",
            "new_due_date": str(future(120)),
        },
    ),
}


def pdf_bytes_io():
    import io

    return io.BytesIO(pdf_bytes("Grading scheme"))


def test_every_condition_action_has_a_route():
    assert set(CONDITION_ROUTES) == CONDITION_MACHINE.actions()


def test_conditions_through_the_page(client, login, workflow, people, appeals_member):
    dossier, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[{"text": f"Condition {i}", "due_date": future()} for i in (1, 2)],
    )
    first, second = decision.conditions
    actors = _people(people, appeals_member)

    def post(action, condition, headers=None, who=None):
        who_, path, data = CONDITION_ROUTES[action]
        login(client, who or actors[who_])
        url = f"/dossiers/{dossier.id}" + path.format(id=condition.id)
        form = {
            k: v.format(id=condition.id) if isinstance(v, str) else v for k, v in data().items()
        }
        return client.post(url, data=form, headers=headers or {})

    # the officer cannot verify before the evidence is in: 409 page and JSON, no change
    before = world(dossier)
    page = post("mark_met", first)
    assert page.status_code == 409
    assert "This condition is open; “Mark as met” is not possible" in page_text(page)
    answer = post("mark_not_met", first, JSON)  # without evidence: not before the due date
    assert answer.status_code == 409 and answer.get_json()["error"] == "conflict"
    assert "can be marked not met only from that date" in answer.get_json()["message"]
    assert post("extend", first, JSON).status_code == 409  # open: nothing to extend
    # the provider cannot verify, the officer cannot submit evidence: 403
    assert post("mark_met", first, who=people.provider_a).status_code == 403
    assert post("submit_evidence", first, who=people.officer).status_code == 403
    assert world(dossier) == before

    for condition in (first, second):
        response = post("submit_evidence", condition)
        assert response.status_code == 302, page_text(response)[-800:]
    again = post("submit_evidence", first, JSON)
    assert again.status_code == 409
    assert "waiting for the QA body to verify" in again.get_json()["message"]
    assert post("mark_met", first).status_code == 302
    assert post("mark_not_met", second).status_code == 302
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.state.value, second.state.value) == ("met", "not_met")
    for condition, action in ((first, "submit_evidence"), (first, "mark_met")):
        entry = last_transition(condition, action)
        assert entry["to_state"] in ("evidence_submitted", "met")
    assert post("mark_not_met", first, JSON).status_code == 409
    # the QA body's follow-up: the condition not met is open again, due later
    assert post("extend", first, who=people.provider_a).status_code == 403
    assert post("extend", second).status_code == 302
    db.session.refresh(second)
    assert (second.state.value, second.due_date) == ("open", future(120))
    entry = last_transition(second, "extend")
    assert (entry["from_state"], entry["to_state"]) == ("not_met", "open")
