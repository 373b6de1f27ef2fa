"""The whole review workflow through its operations, as the spec describes it."""

from datetime import timedelta

import sqlalchemy as sa

from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews import moderation
from qa_portal.reviews.models import AssignmentState


def test_submit_to_approval_with_conditions(workflow, people, audit_ok):
    dossier, assignments = workflow.decision_pending(divergent=True)
    assert dossier.state == DossierState.DECISION_PENDING
    assert all(a.state == AssignmentState.SUBMITTED for a in assignments)
    stats = moderation.round_statistics(dossier.current_round)
    divergent = [s for s in stats if s.divergent]
    assert [s.criterion.position for s in divergent] == [2]
    moderation.add_moderation_note(
        people.officer,
        dossier,
        divergent[0].criterion.id,
        "Reviewer 1 overlooked the oral defence.",
    )
    decision = decisions.decide_round(
        people.officer,
        dossier,
        outcome="approved_with_conditions",
        rationale="Good.",
        conditions=[
            {
                "text": "Publish the grading scheme.",
                "due_date": clock.today() + timedelta(days=60),
            }
        ],
    )
    commit()
    assert dossier.state == DossierState.APPROVED_WITH_CONDITIONS
    assert decision.valid_until is not None
    condition = decision.conditions[0]
    decisions.submit_condition_evidence(people.provider_a, condition, "Published.", [])
    decisions.verify_condition(people.officer, condition, met=True, note="")
    commit()
    assert decisions.conditions_summary(decision)["all_met"]
    titles = db.session.scalars(
        sa.select(Notification.title).where(Notification.user_id == people.provider_a.id)
    ).all()
    assert any("approved with conditions" in t for t in titles)
    assert any("Condition 1" in t and "met" in t for t in titles)
    audit_ok()


def test_revise_resubmit_appeal(workflow, people, panel, make_user):
    from qa_portal.accounts.models import Role
    from qa_portal.cases import screening
    from qa_portal.dossiers import operations as dossiers

    member = make_user(Role.APPEALS_COMMITTEE, name="Appeals Member")
    dossier, decision = workflow.decided("revise_and_resubmit")
    appeal = decisions.lodge_appeal(
        people.provider_a, dossier, "The panel ignored the evidence on assessment."
    )
    commit()
    assert dossier.state == DossierState.APPEAL
    decisions.decide_appeal(member, appeal, uphold=True, rationale="The decision stands.")
    commit()
    assert dossier.state == DossierState.REVISE_AND_RESUBMIT
    screening.start_revision(people.provider_a, dossier)
    data = {"title": "Cloud-Native Operations (revised)"}
    dossiers.save_dossier(people.provider_a, dossier, data, dossier.lock_version)
    dossiers.submit_dossier(people.provider_a, dossier)
    commit()
    assert dossier.current_round.number == 2
    screening.take_up(people.officer, dossier)
    commit()
    reinvited = {a.reviewer_id for a in dossier.current_round.assignments}
    assert reinvited == {p.id for p in panel[:2]}
    numbers = {a.reviewer_id: a.reviewer_number for r in dossier.rounds for a in r.assignments}
    assert sorted(set(numbers.values())) == [1, 2]
