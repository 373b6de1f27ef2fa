"""Every transition of every state table, through the operations (product spec section 3):
"Only these transitions exist; every other attempt is refused with a clear message (HTTP 409
…), and nothing changes. Every transition is recorded in the audit trail."

For each (action, source state) of the dossier, condition and appeal tables: the allowed
role succeeds (state changed, audit entry with from/to), and people without that role are
refused (403) without any change. Then every (state × action) pair that is *not* in a table
is tried with the allowed role and must be refused (409) without any change. Adding a
transition to a table without a scenario here fails ``test_every_transition_has_a_scenario``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from qa_portal.cases import screening, withdrawal
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.decisions import follow_up
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import (
    Appeal,
    AppealState,
    Condition,
    ConditionState,
    Decision,
    Outcome,
)
from qa_portal.decisions.workflow import APPEAL_MACHINE, CONDITION_MACHINE
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import DossierState
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews import rounds, scoring
from tests.builders import Case, full_scores
from tests.helpers import last_transition, pdf_bytes

from .helpers import GROUNDS, future, world

S = DossierState
C = ConditionState
P = AppealState


# -- the operation behind each dossier action ----------------------------------------------
def _latest_appeal(dossier) -> Appeal | None:
    return db.session.execute(
        db.select(Appeal).where(Appeal.dossier_id == dossier.id).order_by(Appeal.id.desc())
    ).scalar()


def _appeal_against(dossier, outcome: Outcome, people) -> Appeal:
    """The dossier's lodged appeal; for a dossier that has none, a crafted lodged appeal
    (never stored) against a decision of ``outcome`` by another officer: deciding it must
    still be refused, because the dossier is not under appeal."""
    appeal = _latest_appeal(dossier)
    if appeal is not None and appeal.state == P.LODGED and appeal.decision.outcome == outcome:
        return appeal
    decision = Decision(
        dossier=dossier, outcome=outcome, rationale="Crafted.", decided_by=people.admin
    )
    return Appeal(
        dossier=dossier, decision=decision, grounds=GROUNDS, state=P.LODGED, lodged_by=None
    )


def _decide(outcome: str) -> Callable:
    def run(actor, dossier, people):
        conditions = (
            [{"text": "Publish the grading scheme.", "due_date": future()}]
            if outcome == "approved_with_conditions"
            else []
        )
        decisions.decide_round(
            actor, dossier, outcome=outcome, rationale="Weighed.", conditions=conditions
        )

    return run


def _decide_appeal(outcome: Outcome, uphold: bool) -> Callable:
    def run(actor, dossier, people):
        appeal = _appeal_against(dossier, outcome, people)
        decisions.decide_appeal(actor, appeal, uphold=uphold, rationale="Considered.")

    return run


def _withdraw_approval(actor, dossier, people):
    """Withdraw the approval on its condition not met; a dossier without one gets a crafted
    not-met condition of a crafted decision (never stored): refused, not in force."""
    decision = decisions.latest_decision(dossier)
    if decision is not None and decision.conditions:
        condition = decision.conditions[0]
    else:
        crafted = Decision(outcome=Outcome.APPROVED_WITH_CONDITIONS, rationale="Crafted.")
        crafted.dossier = dossier
        condition = Condition(decision=crafted, text="Crafted.", state=ConditionState.NOT_MET)
    follow_up.withdraw_approval(actor, condition, reason="The condition was not met.")


def _condition_not_met(dossier, people, panel):
    condition = decisions.latest_decision(dossier).conditions[0]
    decisions.submit_condition_evidence(people.provider_a, condition, "Done.", [])
    decisions.verify_condition(people.officer, condition, met=False, note="Not enough.")


PROVIDER, OFFICER, APPEAL_OFFICER = "provider", "qa_officer", "appeals committee member"

# action -> (who may fire it, the operation)
OPERATIONS: dict[str, tuple[str, Callable]] = {
    "submit": (PROVIDER, lambda a, d, p: dossiers.submit_dossier(a, d)),
    "resubmit": (PROVIDER, lambda a, d, p: dossiers.submit_dossier(a, d)),
    "take_up": (OFFICER, lambda a, d, p: screening.take_up(a, d)),
    "return": (OFFICER, lambda a, d, p: screening.return_to_provider(a, d, "Add profiles.")),
    "desk_reject": (OFFICER, lambda a, d, p: screening.desk_reject(a, d, "Out of scope.")),
    "open_review": (OFFICER, lambda a, d, p: rounds.open_review(a, d)),
    "close_round": (OFFICER, lambda a, d, p: rounds.close_round(a, d)),
    "approve": (OFFICER, _decide("approved")),
    "approve_with_conditions": (OFFICER, _decide("approved_with_conditions")),
    "revise": (OFFICER, _decide("revise_and_resubmit")),
    "reject": (OFFICER, _decide("rejected")),
    "start_revision": (PROVIDER, lambda a, d, p: screening.start_revision(a, d)),
    "start_renewal": (PROVIDER, lambda a, d, p: screening.start_renewal(a, d)),
    "appeal": (PROVIDER, lambda a, d, p: decisions.lodge_appeal(a, d, GROUNDS)),
    "overturn_appeal": (APPEAL_OFFICER, _decide_appeal(Outcome.REJECTED, uphold=False)),
    "overturn_desk_rejection": (
        APPEAL_OFFICER,
        _decide_appeal(Outcome.DESK_REJECTED, uphold=False),
    ),
    "uphold_appeal_rejected": (APPEAL_OFFICER, _decide_appeal(Outcome.REJECTED, uphold=True)),
    "uphold_appeal_desk_rejected": (
        APPEAL_OFFICER,
        _decide_appeal(Outcome.DESK_REJECTED, uphold=True),
    ),
    "uphold_appeal_revise": (
        APPEAL_OFFICER,
        _decide_appeal(Outcome.REVISE_AND_RESUBMIT, uphold=True),
    ),
    "uphold_appeal_conditions": (
        APPEAL_OFFICER,
        _decide_appeal(Outcome.APPROVED_WITH_CONDITIONS, uphold=True),
    ),
    "withdraw": (PROVIDER, lambda a, d, p: withdrawal.withdraw_dossier(a, d, "Not offered.")),
    "withdraw_approval": (OFFICER, _withdraw_approval),
}


def allowed_actor(role: str, people, member):
    # Appeals are decided by a member of the appeals committee (``appeals_member``).
    return {PROVIDER: people.provider_a, OFFICER: people.officer, APPEAL_OFFICER: member}[role]


def refused_actors(role: str, people) -> list:
    """People without the role the transition needs (for appeals, also the officer who
    made the decision under appeal: QA officers no longer decide appeals)."""
    if role == PROVIDER:
        return [people.officer, people.admin, people.reviewer, people.provider_b]
    others = [people.provider_a, people.provider_b, people.reviewer, people.admin]
    return others + ([people.officer] if role == APPEAL_OFFICER else [])


# -- how to reach each source state ready for the transition --------------------------------
@dataclass(frozen=True)
class Source:
    state: DossierState
    via: str | None = None  # the decision under appeal
    prepare: Callable | None = None  # what else the transition needs (a panel, a review)


def _panel_accepted(dossier, people, panel):
    Case(dossier, officer=people.officer, reviewers=panel[:2]).accept()


def _one_review_in(dossier, people, panel):
    a = dossier.current_round.assignments[0]
    scoring.submit_review(a.reviewer, a, **full_scores(a))


SCENARIOS: dict[tuple[str, DossierState], Source] = {
    ("submit", S.DRAFT): Source(S.DRAFT),
    ("resubmit", S.RETURNED): Source(S.RETURNED),
    ("take_up", S.SUBMITTED): Source(S.SUBMITTED),
    ("return", S.SCREENING): Source(S.SCREENING),
    ("desk_reject", S.SCREENING): Source(S.SCREENING),
    ("open_review", S.SCREENING): Source(S.SCREENING, prepare=_panel_accepted),
    ("close_round", S.IN_REVIEW): Source(S.IN_REVIEW, prepare=_one_review_in),
    ("approve", S.DECISION_PENDING): Source(S.DECISION_PENDING),
    ("approve_with_conditions", S.DECISION_PENDING): Source(S.DECISION_PENDING),
    ("revise", S.DECISION_PENDING): Source(S.DECISION_PENDING),
    ("reject", S.DECISION_PENDING): Source(S.DECISION_PENDING),
    ("start_revision", S.REVISE_AND_RESUBMIT): Source(S.REVISE_AND_RESUBMIT),
    ("start_renewal", S.APPROVED): Source(S.APPROVED),
    ("start_renewal", S.APPROVED_WITH_CONDITIONS): Source(S.APPROVED_WITH_CONDITIONS),
    ("appeal", S.REJECTED): Source(S.REJECTED),
    ("appeal", S.DESK_REJECTED): Source(S.DESK_REJECTED),
    ("appeal", S.REVISE_AND_RESUBMIT): Source(S.REVISE_AND_RESUBMIT),
    ("appeal", S.APPROVED_WITH_CONDITIONS): Source(S.APPROVED_WITH_CONDITIONS),
    ("overturn_appeal", S.APPEAL): Source(S.APPEAL, via="rejected"),
    ("overturn_desk_rejection", S.APPEAL): Source(S.APPEAL, via="desk_rejected"),
    ("uphold_appeal_rejected", S.APPEAL): Source(S.APPEAL, via="rejected"),
    ("uphold_appeal_desk_rejected", S.APPEAL): Source(S.APPEAL, via="desk_rejected"),
    ("uphold_appeal_revise", S.APPEAL): Source(S.APPEAL, via="revise_and_resubmit"),
    ("uphold_appeal_conditions", S.APPEAL): Source(S.APPEAL, via="approved_with_conditions"),
    **{("withdraw", s): Source(s) for s in DOSSIER_MACHINE.sources_of("withdraw")},
    ("withdraw_approval", S.APPROVED_WITH_CONDITIONS): Source(
        S.APPROVED_WITH_CONDITIONS, prepare=_condition_not_met
    ),
}


def _table(machine) -> set[tuple[str, object]]:
    return {(t.action, s) for t in machine.transitions for s in t.sources}


def test_every_transition_has_a_scenario():
    """A transition added to a table without a test here fails this test."""
    assert _table(DOSSIER_MACHINE) == set(SCENARIOS)
    assert DOSSIER_MACHINE.actions() == set(OPERATIONS)
    assert _table(CONDITION_MACHINE) == set(CONDITION_SCENARIOS)
    assert _table(APPEAL_MACHINE) == set(APPEAL_SCENARIOS)


def test_withdraw_is_possible_from_every_state_before_a_decision():
    assert DOSSIER_MACHINE.sources_of("withdraw") == (
        S.DRAFT,
        S.SUBMITTED,
        S.SCREENING,
        S.RETURNED,
        S.IN_REVIEW,
        S.DECISION_PENDING,
    )


def _refused(exc_type, run, dossier, message_part: str | None = None, before=None):
    """``run()`` raises ``exc_type`` and leaves the dossier's world as it was (even if the
    caller commits afterwards: operations check before they change anything)."""
    before = before or world(dossier)
    with pytest.raises(exc_type) as info:
        run()
    commit()
    assert world(dossier) == before
    assert info.value.message
    if message_part:
        assert message_part in info.value.message
    return info.value


@pytest.mark.parametrize(
    ("action", "source"),
    sorted(SCENARIOS, key=lambda k: (k[0], k[1].value)),
    ids=[f"{a}-from-{s.value}" for a, s in sorted(SCENARIOS, key=lambda k: (k[0], k[1].value))],
)
def test_dossier_transition(action, source, reach, people, appeals_member, panel):
    scenario = SCENARIOS[(action, source)]
    dossier = reach(scenario.state, scenario.via)
    if scenario.prepare:
        scenario.prepare(dossier, people, panel)
        commit()
    role, operation = OPERATIONS[action]
    for outsider in refused_actors(role, people):
        _refused(NotPermitted, lambda o=outsider: operation(o, dossier, people), dossier)
    assert dossier.state == source

    operation(allowed_actor(role, people, appeals_member), dossier, people)
    commit()
    target = DOSSIER_MACHINE.find(source, action).target
    db.session.refresh(dossier)
    assert dossier.state == target
    entry = last_transition(dossier, action)
    assert (entry["from_state"], entry["to_state"]) == (source.value, target.value)


def test_the_last_review_closes_the_round_as_the_system(workflow, audit_ok):
    dossier, assignments = workflow.in_review()
    for a in assignments:
        scoring.submit_review(a.reviewer, a, **full_scores(a))
    commit()
    assert dossier.state == S.DECISION_PENDING
    entry = last_transition(dossier, "close_round")
    assert entry["role"] == "system" and entry["automatic"] is True
    assert (entry["from_state"], entry["to_state"]) == ("in_review", "decision_pending")
    audit_ok()


# -- every pair not in the dossier table is refused ------------------------------------------
WALK_STATES = [
    (S.DRAFT, None),
    (S.SUBMITTED, None),
    (S.SCREENING, None),
    (S.RETURNED, None),
    (S.DESK_REJECTED, None),
    (S.IN_REVIEW, None),
    (S.DECISION_PENDING, None),
    (S.APPROVED, None),
    (S.APPROVED_WITH_CONDITIONS, None),
    (S.REVISE_AND_RESUBMIT, None),
    (S.REJECTED, None),
    (S.APPEAL, "rejected"),
    (S.WITHDRAWN, None),
]


def test_the_walk_covers_every_state():
    assert {s for s, _ in WALK_STATES} == set(DossierState)


def _fires(state: DossierState, action: str) -> str:
    """The action the operation really attempts: one submission operation serves both
    ``submit`` and ``resubmit`` and picks by state."""
    if action in ("submit", "resubmit"):
        return "resubmit" if state == S.RETURNED else "submit"
    return action


@pytest.mark.parametrize(("state", "via"), WALK_STATES, ids=[s.value for s, _ in WALK_STATES])
def test_every_other_dossier_action_is_refused(state, via, reach, people, appeals_member):
    dossier = reach(state, via)
    refused = sorted(a for a in DOSSIER_MACHINE.actions() if not DOSSIER_MACHINE.find(state, a))
    assert refused, state
    before = world(dossier)
    for action in refused:
        # the table itself refuses, whoever asks
        for role in ("provider", "qa_officer", "system"):
            with pytest.raises(TransitionNotAllowed):
                DOSSIER_MACHINE.check(dossier, action, role)
        if DOSSIER_MACHINE.find(state, _fires(state, action)):
            continue  # the operation would do the allowed twin (resubmit for submit)
        role, operation = OPERATIONS[action]
        actor = allowed_actor(role, people, appeals_member)
        run = lambda a=actor, op=operation: op(a, dossier, people)  # noqa: E731
        _refused(TransitionNotAllowed, run, dossier, before=before)
    db.session.refresh(dossier)
    assert dossier.state == state


def test_refusals_name_the_state_and_the_action(reach, people):
    dossier = reach(S.APPROVED)
    with pytest.raises(TransitionNotAllowed) as info:
        decisions.lodge_appeal(people.provider_a, dossier, GROUNDS)
    assert info.value.message == "This dossier is approved; “Appeal” is not possible in that state."
    dossier = reach(S.APPEAL, "rejected")
    with pytest.raises(TransitionNotAllowed) as info:
        withdrawal.withdraw_dossier(people.provider_a, dossier)
    assert info.value.message == (
        "This dossier is under appeal; “Withdraw” is not possible in that state."
    )


# -- conditions ------------------------------------------------------------------------------
CONDITION_OPERATIONS: dict[str, tuple[str, Callable]] = {
    "submit_evidence": (
        PROVIDER,
        lambda a, c: decisions.submit_condition_evidence(
            a, c, "Published on our web site.", [("grading.pdf", pdf_bytes("Grading"))]
        ),
    ),
    "mark_met": (OFFICER, lambda a, c: decisions.verify_condition(a, c, met=True, note="")),
    "mark_not_met": (
        OFFICER,
        lambda a, c: decisions.verify_condition(a, c, met=False, note="The page is missing."),
    ),
    "extend": (
        OFFICER,
        lambda a, c: follow_up.extend_condition(a, c, new_due_date=future(90), reason="Time."),
    ),
}
CONDITION_SCENARIOS = {
    ("submit_evidence", C.OPEN): C.OPEN,
    ("mark_met", C.EVIDENCE_SUBMITTED): C.EVIDENCE_SUBMITTED,
    ("mark_not_met", C.EVIDENCE_SUBMITTED): C.EVIDENCE_SUBMITTED,
    ("mark_not_met", C.OPEN): C.OPEN,  # due today, no evidence
    ("extend", C.NOT_MET): C.NOT_MET,
}


@pytest.fixture
def conditions(workflow, people):
    """An approval with four conditions, one in each condition state."""
    dossier, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[{"text": f"Condition {i}", "due_date": future()} for i in range(4)],
    )
    open_, submitted, met, not_met = decision.conditions
    for c in (submitted, met, not_met):
        decisions.submit_condition_evidence(people.provider_a, c, "Done.", [])
    decisions.verify_condition(people.officer, met, met=True, note="")
    decisions.verify_condition(people.officer, not_met, met=False, note="Not enough.")
    open_.due_date = clock.today()  # due today: it may be marked not met without evidence
    commit()
    return dossier, {c.state: c for c in decision.conditions}


def test_condition_table_walk(conditions, people, appeals_member):
    dossier, by_state = conditions
    assert set(by_state) == set(ConditionState)
    for state, condition in by_state.items():
        for action, (role, operation) in CONDITION_OPERATIONS.items():
            if CONDITION_MACHINE.find(state, action):
                continue
            actor = allowed_actor(role, people, appeals_member)
            run = lambda a=actor, c=condition, op=operation: op(a, c)  # noqa: E731
            _refused(TransitionNotAllowed, run, dossier)
            assert condition.state == state


@pytest.mark.parametrize(("action", "source"), sorted(CONDITION_SCENARIOS))
def test_condition_transition(action, source, conditions, people, appeals_member):
    dossier, by_state = conditions
    condition = by_state[source]
    role, operation = CONDITION_OPERATIONS[action]
    for outsider in refused_actors(role, people):
        _refused(NotPermitted, lambda o=outsider: operation(o, condition), dossier)
    operation(allowed_actor(role, people, appeals_member), condition)
    commit()
    target = CONDITION_MACHINE.find(source, action).target
    db.session.refresh(condition)
    assert condition.state == target
    entry = last_transition(condition, action)
    assert (entry["from_state"], entry["to_state"]) == (source.value, target.value)


# -- appeals -----------------------------------------------------------------------------
APPEAL_SCENARIOS = {("uphold", P.LODGED): True, ("overturn", P.LODGED): False}


@pytest.mark.parametrize(("action", "source"), sorted(APPEAL_SCENARIOS))
def test_appeal_transition(action, source, reach, people, officer2, appeals_member):
    dossier = reach(S.APPEAL, "rejected")
    appeal = _latest_appeal(dossier)
    uphold = APPEAL_SCENARIOS[(action, source)]

    def decide(actor):
        return lambda: decisions.decide_appeal(actor, appeal, uphold=uphold, rationale="Why.")

    for outsider in [*refused_actors(APPEAL_OFFICER, people), officer2]:
        _refused(NotPermitted, decide(outsider), dossier)
    decide(appeals_member)()
    commit()
    db.session.refresh(appeal)
    target = APPEAL_MACHINE.find(source, action).target
    assert appeal.state == target
    entry = last_transition(appeal, action)
    assert (entry["from_state"], entry["to_state"]) == (source.value, target.value)
    # a decided appeal cannot be decided again, either way
    for again in (True, False):
        _refused(
            TransitionNotAllowed,
            lambda u=again: decisions.decide_appeal(
                appeals_member, appeal, uphold=u, rationale="Again."
            ),
            dossier,
            f"This appeal is {target.value}",
        )
