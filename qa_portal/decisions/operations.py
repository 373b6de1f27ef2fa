"""Decisions, conditions and appeals (product spec sections 3 and 4).

Rules enforced here: a decision needs a rationale; approvals need a validity period
(1–10 years, policy default); "approved with conditions" needs at least one condition with
a future due date, and only that outcome has conditions; a divergent criterion blocks the
decision until a moderation note exists; deciding a round cancels the reviews it no longer
needs; condition evidence is checked like dossier evidence; an appeal is lodged within the
appeal period against a negative, "revise" or "approved with conditions" decision, once;
appeals are decided by members of the appeals committee who had no part in the decision
(``appeals_committee``), and the officer whose decision is overturned cannot make the new
decision. Every check runs before anything changes.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit, clock, signals, storage
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.decisions import appeals_committee, factual_accuracy, rules
from qa_portal.decisions.models import (
    OFFICER_BODY,
    Appeal,
    AppealState,
    Condition,
    ConditionFile,
    ConditionState,
    Decision,
    DecisionProposal,
    Outcome,
)
from qa_portal.decisions.workflow import APPEAL_MACHINE, CONDITION_MACHINE
from qa_portal.dossiers import locks, notices, quota
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.pdf_check import check_pdf
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, officers
from qa_portal.reviews import invitations, moderation, rounds, site_visits
from qa_portal.reviews.deciding_body import decides_in_committee
from qa_portal.reviews.models import ReviewRound
from qa_portal.reviews.policy import current_policy

ROLE_APPEALS = "appeals_committee"
OUTCOME_ACTION = {
    Outcome.APPROVED: "approve",
    Outcome.APPROVED_WITH_CONDITIONS: "approve_with_conditions",
    Outcome.REVISE_AND_RESUBMIT: "revise",
    Outcome.REJECTED: "reject",
}
UPHOLD_ACTION = {
    Outcome.REJECTED: "uphold_appeal_rejected",
    Outcome.DESK_REJECTED: "uphold_appeal_desk_rejected",
    Outcome.REVISE_AND_RESUBMIT: "uphold_appeal_revise",
    Outcome.APPROVED_WITH_CONDITIONS: "uphold_appeal_conditions",
}


def latest_decision(dossier: Dossier) -> Decision | None:
    """The decision in force (not superseded by an overturned appeal)."""
    return db.session.execute(
        sa.select(Decision)
        .where(Decision.dossier_id == dossier.id, Decision.superseded_at.is_(None))
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    ).scalar()


def barred_deciders(dossier: Dossier) -> set[int]:
    """Officers who may not decide now: those whose decision was overturned on appeal."""
    rows = db.session.execute(
        sa.select(Decision.decided_by_id)
        .join(Appeal, Appeal.decision_id == Decision.id)
        .where(Decision.dossier_id == dossier.id, Appeal.state == AppealState.OVERTURNED)
    ).scalars()
    return set(rows)


def close_open_assignments(actor: User, round_, reason: str) -> None:
    """Once a round is decided, reviews still invited or accepted are no longer needed:
    cancel them (audited) and tell those reviewers, so they are not reminded any more."""
    for assignment in round_.assignments:
        if assignment.is_open:
            invitations.cancel_assignment(actor, assignment, reason)


def _outcome_to_decide(actor: User, dossier: Dossier, outcome: str) -> Outcome:
    """The outcome asked for, once the actor may decide it on the (locked) dossier now."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers decide.")
    locks.lock_dossier(dossier)
    result = outcome_asked(dossier, outcome)
    if actor.id in barred_deciders(dossier):
        raise NotPermitted(
            "Your earlier decision on this dossier was overturned on appeal; "
            "another QA officer must decide."
        )
    return result


def outcome_asked(dossier: Dossier, outcome: str) -> Outcome:
    """``outcome`` as an Outcome the (locked) dossier's state allows now, or the reason."""
    try:
        result = Outcome(outcome)
    except ValueError:
        raise InvalidInput("Choose a decision.") from None
    if result not in OUTCOME_ACTION:
        raise InvalidInput("Desk rejection is decided during screening.")
    DOSSIER_MACHINE.check(dossier, OUTCOME_ACTION[result], "qa_officer")
    return result


def _round_ready_for_decision(dossier: Dossier) -> ReviewRound:
    """The current round, once a review is in and every divergent score is moderated."""
    round_ = rounds.require_round(dossier)
    if not any(a.state.value == "submitted" for a in round_.assignments):
        raise TransitionNotAllowed("No review has been submitted in this round.")
    pending = moderation.unmoderated_divergences(round_)
    if pending:
        names = ", ".join(f"criterion {s.criterion.position}" for s in pending)
        raise TransitionNotAllowed(
            f"Scores diverge by 2 points or more on {names}: write a moderation note for "
            "each before deciding."
        )
    site_visits.check_ready_for_decision(round_)  # a required site visit, held, with minutes
    factual_accuracy.check_ready_for_decision(round_)  # the draft's check, when used
    return round_


def check_decision(
    dossier: Dossier,
    result: Outcome,
    *,
    rationale: str,
    validity_years: int | None = None,
    conditions: list[dict[str, Any]] | None = None,
) -> Decision:
    """The decision, checked and not yet stored (``record_decision`` stores it): a
    rationale, a review in, no unmoderated divergence, an approval's validity (1 to 10
    years), conditions only (at least one) for "approved with conditions", due later."""
    if not (rationale or "").strip():
        raise InvalidInput("A decision needs a rationale.")
    round_ = _round_ready_for_decision(dossier)
    policy = current_policy()
    today = clock.today()
    decision = Decision(dossier_id=dossier.id, round=round_, outcome=result)
    decision.rationale = rationale.strip()
    if result.is_approval:
        decision.valid_from = today
        decision.valid_until = rules.add_years(
            today, rules.validity_years_of(validity_years, policy)
        )
    parsed = rules.parse_conditions(conditions or [], today + timedelta(days=policy.condition_days))
    if result == Outcome.APPROVED_WITH_CONDITIONS and not parsed:
        raise InvalidInput("“Approved with conditions” needs at least one condition.")
    if result != Outcome.APPROVED_WITH_CONDITIONS and parsed:
        raise InvalidInput("Conditions belong only to “approved with conditions”.")
    for position, (text, due) in enumerate(parsed, start=1):
        decision.conditions.append(Condition(position=position, text=text, due_date=due))
    if result.is_appealable:
        decision.appeal_deadline = today + timedelta(days=policy.appeal_days)
    return decision


def decide_round(
    actor: User,
    dossier: Dossier,
    *,
    outcome: str,
    rationale: str,
    validity_years: int | None = None,
    conditions: list[dict[str, Any]] | None = None,
) -> Decision:
    """Record the QA body's decision on the current round and tell the provider (where the
    decision committee decides, the officer proposes instead: ``decisions.committee``)."""
    if actor.has_role(Role.QA_OFFICER) and decides_in_committee(current_policy()):
        raise TransitionNotAllowed("This QA body decides in its committee: propose the decision.")
    result = _outcome_to_decide(actor, dossier, outcome)
    checked = check_decision(
        dossier, result, rationale=rationale, validity_years=validity_years, conditions=conditions
    )
    return record_decision(actor, dossier, checked)


def record_decision(
    actor: User,
    dossier: Dossier,
    decision: Decision,
    *,
    deciding_body: str = OFFICER_BODY,
    meeting_date: date | None = None,
    proposal: DecisionProposal | None = None,
    role: str = "qa_officer",
    canceller: User | None = None,
) -> Decision:
    """Store a checked decision of ``deciding_body`` (``actor`` records it, in ``role``); the
    dossier's transition, the round's open reviews cancelled (by ``canceller``, an officer,
    or the actor), the provider told, the round's reports queued."""
    round_ = decision.round
    decision.decided_by = actor
    decision.deciding_body = deciding_body
    decision.meeting_date = meeting_date
    decision.proposal = proposal
    db.session.add(decision)
    round_.decided_at = utcnow()
    if dossier.case_officer_id is None:  # unassigned after an overturned appeal
        # the officer deciding, or the one who proposed a committee member's decision
        dossier.case_officer = actor if actor.has_role(Role.QA_OFFICER) else canceller
    db.session.flush()
    DOSSIER_MACHINE.fire(
        dossier,
        OUTCOME_ACTION[decision.outcome],
        actor=actor,
        role="qa_officer",  # the dossier's table knows the QA body's one deciding role
        decision_id=decision.id,
        round=round_.number,
        rationale=decision.rationale,
        valid_until=decision.valid_until,
        conditions=[c.text for c in decision.conditions],
        deciding_body=deciding_body,
        recorded_as=role,
        meeting_date=meeting_date,
    )
    reason = "The round has been decided without your review."
    close_open_assignments(canceller or actor, round_, reason)
    notices.tell_providers(
        dossier,
        "decision",
        f"Decision on {dossier.reference}: {decision.outcome.label.lower()}",
        rules.decision_message(decision, round_),
    )
    # reports queue the round's reports (as the system when a committee member records)
    signals.decision_recorded.send(decision, actor=actor if actor.is_staff else None)
    return decision


# -- conditions ---------------------------------------------------------------------------
def submit_condition_evidence(
    actor: User, condition: Condition, note: str, files: list[tuple[str | None, bytes]]
) -> Condition:
    """The provider answers a condition with a note and PDF evidence (checked like dossier
    evidence: a real PDF by its content, within the size limit, stored under a generated
    name with its SHA-256), at most ``MAX_FILES_PER_REQUEST`` files, within the
    organisation's storage quota. The files get their names when the transaction commits."""
    dossier = condition.decision.dossier
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may submit evidence.")
    CONDITION_MACHINE.check(condition, "submit_evidence", "provider")
    _refuse_if_withdrawn(dossier)
    if not note.strip() and not files:
        raise InvalidInput("Describe how the condition is met, or attach evidence.")
    quota.check_file_count(len(files))
    checked = [_checked_evidence(filename, data) for filename, data in files]
    if checked:  # every file is checked before any is stored
        size = sum(len(data) for _, data in checked)
        quota.reserve_storage(dossier.organisation_id, size=size, files=len(checked))
    stored: list[storage.StoredFile] = []
    for name, data in checked:
        saved = storage.stage_bytes(data, kind="uploads", extension="pdf")
        stored.append(saved)
        condition.files.append(
            ConditionFile(
                original_name=name,
                stored_name=saved.stored_name,
                sha256=saved.sha256,
                size=saved.size,
                uploaded_by_id=actor.id,
            )
        )
    condition.evidence_note = note.strip()
    condition.evidence_submitted_at = utcnow()
    CONDITION_MACHINE.fire(
        condition,
        "submit_evidence",
        actor=actor,
        role="provider",
        dossier_id=dossier.id,
        note=condition.evidence_note,
        files=[
            {"name": name, "sha256": saved.sha256}
            for (name, _), saved in zip(checked, stored, strict=True)
        ],
    )
    case = [dossier.case_officer] if dossier.case_officer else officers()
    notify(
        case,
        "condition_evidence",
        f"Evidence for a condition of {dossier.reference}",
        f"The provider submitted evidence for condition {condition.position} of "
        f"{dossier.reference}. Verify it.",
        "cases.show",
        dossier_id=dossier.id,
    )
    return condition


def _checked_evidence(filename: str | None, data: bytes) -> tuple[str, bytes]:
    """One evidence file checked (``FileRefused`` with the file's name if not): not empty,
    within the size limit, a PDF without active content. Returns its display name."""
    name = storage.display_name(filename)
    if not data:
        raise quota.FileRefused(f"{name} is empty.")
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(data) > limit:
        raise quota.FileRefused(
            f"{name} is larger than {storage.megabytes(limit)}, the limit for evidence "
            "files; please compress the PDF or split it."
        )
    try:
        check_pdf(data)
    except InvalidInput as exc:
        raise quota.FileRefused(f"{name}: {exc.message}") from None
    if not name.lower().endswith(".pdf"):
        name = (name.rsplit(".", 1)[0] if "." in name else name) + ".pdf"
    return name, data


@quota.counts_files
def _condition_evidence_sizes(organisation_id: int) -> sa.Select:
    """Condition evidence counts towards the provider's storage quota."""
    return (
        sa.select(ConditionFile.size.label("size"))
        .join(Condition, Condition.id == ConditionFile.condition_id)
        .join(Decision, Decision.id == Condition.decision_id)
        .join(Dossier, Dossier.id == Decision.dossier_id)
        .where(Dossier.organisation_id == organisation_id)
    )


def record_condition_download(actor: User, condition: Condition, evidence: ConditionFile) -> None:
    """Downloads of condition evidence by QA staff are sensitive actions: audit them."""
    dossier = condition.decision.dossier
    if actor.is_staff or not dossier.is_member(actor):
        audit.record(
            actor,
            "condition.file_download",
            condition,
            dossier_id=dossier.id,
            file_id=evidence.id,
            sha256=evidence.sha256,
        )


def _refuse_if_withdrawn(dossier: Dossier) -> None:
    """Once the approval is withdrawn (or the dossier withdrawn), its conditions are closed."""
    if dossier.state == DossierState.WITHDRAWN:
        raise TransitionNotAllowed(
            "This dossier is withdrawn; the conditions of its approval are closed."
        )


def verify_condition(actor: User, condition: Condition, *, met: bool, note: str) -> None:
    """The QA officer marks a condition met (on its evidence) or not met: on its evidence,
    or without evidence once the due date is reached (ESG 2.3 follow-up; refused before)."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers verify conditions.")
    action = "mark_met" if met else "mark_not_met"
    CONDITION_MACHINE.check(condition, action, "qa_officer")
    _refuse_if_withdrawn(condition.decision.dossier)
    if not met and condition.state == ConditionState.OPEN and clock.today() < condition.due_date:
        raise TransitionNotAllowed(
            f"Condition {condition.position} is due on {condition.due_date:%d %B %Y}; without "
            "evidence it can be marked not met only from that date."
        )
    if not met and not note.strip():
        raise InvalidInput("Say why the condition is not met.")
    condition.verified_by = actor
    condition.verified_at = utcnow()
    condition.verification_note = note.strip()
    dossier = condition.decision.dossier
    CONDITION_MACHINE.fire(
        condition,
        action,
        actor=actor,
        role="qa_officer",
        dossier_id=dossier.id,
        note=condition.verification_note,
    )
    signals.condition_verified.send(condition, actor=actor)  # the listing's conditions status
    verdict = "met" if met else "not met"
    notices.tell_providers(
        dossier,
        "condition_verified",
        f"Condition {condition.position} of {dossier.reference}: {verdict}",
        f"The QA body verified condition {condition.position} (“{condition.text}”): "
        f"{verdict}."
        + (f"\n\n{condition.verification_note}" if condition.verification_note else ""),
    )


def conditions_summary(decision: Decision | None, today: date | None = None) -> dict[str, Any]:
    today = today or clock.today()
    if decision is None or not decision.conditions:
        return {"total": 0, "met": 0, "overdue": 0, "all_met": False}
    states = [c.state for c in decision.conditions]
    return {
        "total": len(states),
        "met": states.count(ConditionState.MET),
        "overdue": sum(1 for c in decision.conditions if c.is_overdue(today)),
        "all_met": all(s == ConditionState.MET for s in states),
    }


# -- appeals ------------------------------------------------------------------------------
def appealable_decision(dossier: Dossier) -> Decision:
    """The decision the provider may appeal now, or the reason (409) why there is none:
    rejections, desk rejections, "revise and resubmit" and "approved with conditions"
    (against its conditions), once, within the period."""
    DOSSIER_MACHINE.check(dossier, "appeal", "provider")
    decision = latest_decision(dossier)
    if decision is None or not decision.outcome.is_appealable:
        raise TransitionNotAllowed("There is no decision that can be appealed.")
    if decision.appeal_deadline is None:
        raise TransitionNotAllowed("This decision cannot be appealed.")
    if clock.today() > decision.appeal_deadline:
        raise TransitionNotAllowed(
            f"The appeal period ended on {decision.appeal_deadline:%d %B %Y}; the decision "
            "can no longer be appealed."
        )
    if decision.appeals:
        raise TransitionNotAllowed("This decision has already been appealed.")
    return decision


def lodge_appeal(actor: User, dossier: Dossier, grounds: str) -> Appeal:
    """The provider appeals a negative, "revise" or "approved with conditions" decision within
    the appeal period; the appeals committee members who may hear it are told."""
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may appeal.")
    locks.lock_dossier(dossier)
    decision = appealable_decision(dossier)
    if len(grounds.strip()) < 20:
        raise InvalidInput("State the grounds of the appeal (at least a few sentences).")
    appeal = Appeal(
        dossier_id=dossier.id,
        decision=decision,
        grounds=grounds.strip(),
        lodged_by=actor,
        state=AppealState.LODGED,
    )
    db.session.add(appeal)
    db.session.flush()
    audit.record(
        actor,
        "appeal.lodge",
        appeal,
        dossier_id=dossier.id,
        decision_id=decision.id,
        grounds=appeal.grounds,
    )
    DOSSIER_MACHINE.fire(dossier, "appeal", actor=actor, role="provider", appeal_id=appeal.id)
    notify(
        appeals_committee.eligible_members(decision),
        "appeal",
        f"Appeal lodged on {dossier.reference}",
        f"{dossier.organisation.name} appealed the decision “{decision.outcome.label}” on "
        f"{dossier.reference}. The appeals committee decides it.",
        "appeals.show",
        appeal_id=appeal.id,
    )
    return appeal


def decide_appeal(
    actor: User,
    appeal: Appeal,
    *,
    uphold: bool,
    rationale: str,
    members: list[User] | None = None,
    meeting_date: date | None = None,
) -> None:
    """The appeals committee upholds (the decision stands) or overturns (back to decision
    pending, for another officer; an overturned desk rejection goes back to screening, to be
    reviewed). ``actor`` records it: an appeals-committee member with no part in the
    decision; ``members`` (the actor is one) took part, at the meeting of ``meeting_date``
    (default today)."""
    dossier = appeal.dossier
    locks.lock_dossier(dossier)
    decision = appeal.decision
    appeals_committee.check_recorder(actor, decision)
    if not rationale.strip():
        raise InvalidInput("An appeal decision needs a rationale.")
    action = "uphold" if uphold else "overturn"
    if uphold:
        dossier_action = UPHOLD_ACTION[decision.outcome]
    elif decision.outcome == Outcome.DESK_REJECTED:
        dossier_action = "overturn_desk_rejection"
    else:
        dossier_action = "overturn_appeal"
    # Both tables are asked before anything changes.
    APPEAL_MACHINE.check(appeal, action, ROLE_APPEALS)
    DOSSIER_MACHINE.check(dossier, dossier_action, ROLE_APPEALS)
    hearing = appeals_committee.hearing_for(actor, appeal, members, meeting_date)
    db.session.add(hearing)
    appeal.handled_by = actor
    appeal.decided_at = utcnow()
    appeal.rationale = rationale.strip()
    APPEAL_MACHINE.fire(
        appeal,
        action,
        actor=actor,
        role=ROLE_APPEALS,
        dossier_id=dossier.id,
        rationale=appeal.rationale,
        members=[u.id for u in hearing.members],
        meeting_date=hearing.meeting_date,
    )
    if uphold:
        DOSSIER_MACHINE.fire(
            dossier, dossier_action, actor=actor, role=ROLE_APPEALS, appeal_id=appeal.id
        )
        title = f"Appeal on {dossier.reference}: the decision stands"
        next_step = ""
    else:
        _overturn(actor, appeal, dossier_action)
        title = f"Appeal on {dossier.reference}: the decision is overturned"
        next_step = (
            "\n\nThe dossier goes back to screening and will be reviewed; a different QA "
            "officer takes it over."
            if dossier_action == "overturn_desk_rejection"
            else "\n\nA different QA officer will now take a new decision."
        )
    notices.tell_providers(
        dossier, "appeal_decided", title, f"{title}.\n\n{appeal.rationale}{next_step}"
    )


def _overturn(actor: User, appeal: Appeal, dossier_action: str) -> None:
    """The overturned decision is superseded; the officer who took it hands the dossier over
    (it waits, unassigned, for another officer, who is told)."""
    dossier, decision = appeal.dossier, appeal.decision
    decision.superseded_at = utcnow()
    decision.round.decided_at = None
    if dossier.case_officer_id == decision.decided_by_id:
        dossier.case_officer = None
    DOSSIER_MACHINE.fire(
        dossier,
        dossier_action,
        actor=actor,
        role=ROLE_APPEALS,
        appeal_id=appeal.id,
        superseded_decision_id=decision.id,
    )
    to_tell = (
        [dossier.case_officer]
        if dossier.case_officer
        else [o for o in officers() if o.id != decision.decided_by_id]
    )
    notify(
        to_tell,
        "appeal_decided",
        f"Appeal on {dossier.reference} overturned: a new decision is needed",
        f"The appeals committee overturned the decision “{decision.outcome.label}” on "
        f"{dossier.reference}. A QA officer other than {decision.decided_by.name} takes it "
        "over.",
        "cases.show",
        dossier_id=dossier.id,
    )


def open_appeals() -> list[Appeal]:
    return list(
        db.session.execute(
            sa.select(Appeal).where(Appeal.state == AppealState.LODGED).order_by(Appeal.lodged_at)
        ).scalars()
    )


def is_decided(dossier: Dossier) -> bool:
    return dossier.state in (
        DossierState.APPROVED,
        DossierState.APPROVED_WITH_CONDITIONS,
        DossierState.REVISE_AND_RESUBMIT,
        DossierState.REJECTED,
        DossierState.DESK_REJECTED,
        DossierState.APPEAL,
    )
