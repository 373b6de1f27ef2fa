"""What the dossier page shows about the review: round, panel, scores, decision, conditions,
appeals and the actions open to the person looking — gathered once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import Role, User
from qa_portal.core import clock, storage
from qa_portal.decisions.models import Appeal, AppealState, Condition, Decision, Outcome
from qa_portal.decisions.operations import OUTCOME_ACTION, barred_deciders, conditions_summary
from qa_portal.decisions.workflow import APPEAL_MACHINE, CONDITION_MACHINE
from qa_portal.dossiers import quota
from qa_portal.dossiers.diff import diff_snapshots
from qa_portal.dossiers.models import Dossier, DossierState, ScreeningNote
from qa_portal.dossiers.workflow import APPEALABLE, DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.reviews import aliases, moderation, rounds
from qa_portal.reviews.deciding_body import decides_in_committee
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound
from qa_portal.reviews.policy import current_policy


@dataclass
class CaseView:
    dossier: Dossier
    is_staff: bool
    is_member: bool
    round: ReviewRound | None
    decisions: list[Decision]
    decision: Decision | None
    stats: list[Any] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)
    screening_notes: list[ScreeningNote] = field(default_factory=list)
    # The viewer's roles in the transition tables ("provider", "qa_officer") and the
    # dossier's actions open to them.
    roles: list[str] = field(default_factory=list)
    actions: set[str] = field(default_factory=set)
    today: date | None = None
    conditions: dict[str, Any] = field(default_factory=dict)
    policy: Any = None
    barred: bool = False
    # The version reviewed in the previous round and what changed since (round 2 on).
    previous_version: Any = None
    changes: Any = None
    # Reviewer id → the number the provider sees (``reviews.aliases``); the QA body's
    # pages keep the numbers given at invitation.
    public_numbers: dict[int, int] = field(default_factory=dict)
    # The provider's storage against its quota, shown where they upload condition evidence.
    storage: quota.StorageUsage | None = None
    upload_limit: str = ""
    max_files: int = 0

    @property
    def reviews_visible(self) -> bool:
        """Providers see the anonymised reviews once the round is decided."""
        return self.is_staff or (
            self.decision is not None
            and self.decision.round_id == (self.round.id if self.round else None)
            and self.decision.outcome != Outcome.DESK_REJECTED
        )

    @property
    def can_decide(self) -> bool:
        """The dossier waits for this officer's decision (any outcome of the table), and a
        QA officer decides alone (else the committee decides: ``_case_committee.html``)."""
        return bool(self.actions & set(OUTCOME_ACTION.values())) and not (
            self.policy is not None and decides_in_committee(self.policy)
        )

    @property
    def can_build_panel(self) -> bool:
        return rounds.panel_open(self.dossier)

    @property
    def can_moderate(self) -> bool:
        return rounds.under_review(self.dossier)

    @property
    def accepted_count(self) -> int:
        return len(rounds.accepted(self.round)) if self.round else 0

    def panel_actions(self, assignment: ReviewAssignment) -> set[str]:
        """What the viewer may do with a panel assignment (QA officers only)."""
        return rounds.officer_actions(assignment) if "qa_officer" in self.roles else set()

    def condition_actions(self, condition: Condition) -> set[str]:
        if self.dossier.state == DossierState.WITHDRAWN:  # approval withdrawn: closed
            return set()
        return {t.action for t in CONDITION_MACHINE.available(condition.state, self.roles)}

    def appeal_actions(self, appeal: Appeal) -> set[str]:
        return {t.action for t in APPEAL_MACHINE.available(appeal.state, self.roles)}

    @property
    def open_appeal(self) -> Appeal | None:
        return next((a for a in self.appeals if a.state == AppealState.LODGED), None)

    @property
    def appeal_open_until(self) -> date | None:
        """The last day to appeal the decision in force, while that period runs and no
        appeal has been lodged against it; None otherwise."""
        d = self.decision
        if (
            self.dossier.state in APPEALABLE
            and d is not None
            and d.outcome.is_appealable
            and not d.appeals
            and d.appeal_deadline is not None
            and self.today <= d.appeal_deadline
        ):
            return d.appeal_deadline
        return None

    @property
    def can_appeal(self) -> bool:
        return self.is_member and self.appeal_open_until is not None

    @property
    def can_renew(self) -> bool:
        """Before the approval ends the provider may start a renewal; not after."""
        d = self.decision
        return (
            self.is_member
            and "start_renewal" in self.actions
            and d is not None
            and d.valid_until is not None
            and self.today <= d.valid_until
        )

    @property
    def panel_complete(self) -> bool:
        if self.round is None or self.policy is None:
            return False
        return len(rounds.accepted(self.round)) >= self.policy.reviewers_per_dossier

    @property
    def submitted_reviews(self) -> list[ReviewAssignment]:
        """The round's submitted reviews, in the order of the aliases the viewer sees."""
        if self.round is None:
            return []
        if self.is_staff:
            return [a for a in self.round.assignments if a.state == AssignmentState.SUBMITTED]
        return aliases.in_public_order(self.round.assignments, self.public_numbers)

    def alias(self, assignment: ReviewAssignment) -> str:
        """The reviewer's alias as the viewer sees it: the QA body's own number for its
        staff, the provider's (``provider_alias``) for everyone else."""
        return assignment.alias if self.is_staff else self.provider_alias(assignment)

    def provider_alias(self, assignment: ReviewAssignment) -> str:
        """The alias the provider and the reports give a submitted review: numbered among
        the reviewers whose review is in, so no gap shows who dropped out."""
        return aliases.alias_of(self.public_numbers[assignment.reviewer_id])


def case_view(dossier: Dossier, user: User) -> CaseView:
    is_staff = user.has_role(Role.QA_OFFICER, Role.QA_ADMIN)
    is_member = dossier.is_member(user)
    decisions = list(
        db.session.execute(
            sa.select(Decision)
            .where(Decision.dossier_id == dossier.id)
            .order_by(Decision.decided_at, Decision.id)
        ).scalars()
    )
    in_force = [d for d in decisions if d.superseded_at is None]
    roles = []
    if is_member:
        roles.append("provider")
    if user.has_role(Role.QA_OFFICER):
        roles.append("qa_officer")
    round_ = dossier.current_round
    view = CaseView(
        dossier=dossier,
        is_staff=is_staff,
        is_member=is_member,
        round=round_,
        decisions=decisions,
        decision=in_force[-1] if in_force else None,
        appeals=list(
            db.session.execute(
                sa.select(Appeal).where(Appeal.dossier_id == dossier.id).order_by(Appeal.lodged_at)
            ).scalars()
        ),
        screening_notes=list(
            db.session.execute(
                sa.select(ScreeningNote)
                .where(ScreeningNote.dossier_id == dossier.id)
                .order_by(ScreeningNote.created_at)
            ).scalars()
        ),
        roles=roles,
        actions={t.action for t in DOSSIER_MACHINE.available(dossier.state, roles)},
        today=clock.today(),
        policy=current_policy() if is_staff else None,
        barred=user.id in barred_deciders(dossier) if is_staff else False,
        public_numbers=aliases.public_numbers(dossier.rounds),
    )
    if round_ is not None and round_.rubric is not None:
        view.stats = moderation.round_statistics(round_, view.submitted_reviews)
    if round_ is not None and len(dossier.rounds) > 1:
        view.previous_version = dossier.rounds[-2].version
        view.changes = diff_snapshots(view.previous_version.snapshot, round_.version.snapshot)
    view.conditions = conditions_summary(view.decision, view.today)
    if view.decision is not None and any(
        "submit_evidence" in view.condition_actions(c) for c in view.decision.conditions
    ):
        view.storage = quota.storage_usage(dossier.organisation_id)
        view.upload_limit = storage.megabytes(current_app.config["EVIDENCE_MAX_BYTES"])
        view.max_files = quota.max_files_per_request()
    return view
