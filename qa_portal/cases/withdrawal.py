"""Withdrawal: the provider withdraws a dossier before any decision, and what that releases.

A withdrawn dossier needs no more reviews: its open invitations and assignments are cancelled
(so reviewers are neither reminded nor left with work), and the case officer is told.
Reviewers and officers are told the dossier's reference, never the reason.
"""

from __future__ import annotations

from qa_portal.accounts.models import User
from qa_portal.core.errors import NotPermitted
from qa_portal.core.states import SYSTEM
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.notifications.operations import notify
from qa_portal.reviews.workflow import ASSIGNMENT_MACHINE


def withdraw_dossier(actor: User, dossier: Dossier, reason: str = "") -> None:
    """The provider withdraws a dossier before any decision (refused once decided)."""
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may change this dossier.")
    DOSSIER_MACHINE.fire(dossier, "withdraw", actor=actor, role="provider", reason=reason.strip())
    _release(actor, dossier)


def _release(actor: User, dossier: Dossier) -> None:
    """Cancel the open assignments of the current round; tell reviewers and the case officer."""
    round_ = dossier.current_round
    for assignment in round_.assignments if round_ else []:
        if not assignment.is_open:
            continue
        ASSIGNMENT_MACHINE.fire(
            assignment, "cancel", actor=actor, role=SYSTEM, reason="dossier withdrawn"
        )
        notify(
            assignment.reviewer,
            "assignment_cancelled",
            f"Review of {dossier.reference} cancelled",
            f"The provider withdrew {dossier.reference}; your review is no longer needed.",
            "reviews.dashboard",
        )
    if dossier.case_officer is not None:
        notify(
            dossier.case_officer,
            "withdrawn",
            f"{dossier.reference} withdrawn",
            f"{dossier.organisation.name} withdrew {dossier.reference} (“{dossier.title}”).",
            "cases.show",
            dossier_id=dossier.id,
        )
