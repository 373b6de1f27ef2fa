"""Site visit or interview (ESG 2.3): the panel meets the provider, on site or online.

Per the review policy (``site_visit``): none (the step is not offered), optional, or
required — then the round cannot be decided until a visit was held and its minutes recorded
(``check_ready_for_decision``). One visit per round: the officer schedules it (date, mode,
place or link, participants; the provider and the panel are told), reschedules or cancels
it, and records it as held with its minutes (written and/or a PDF checked like evidence)
and a summary for the report. The panel reads the minutes; the provider sees the date, mode
and participants, and the summary in the report.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import Role, User
from qa_portal.core import audit, storage
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.core.states import StateMachine, Transition
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.notices import tell_providers
from qa_portal.dossiers.pdf_check import check_pdf
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.models import ReviewRound, SiteVisit
from qa_portal.reviews.panel_enums import SiteVisitMode, SiteVisitPolicy
from qa_portal.reviews.panel_enums import SiteVisitState as V
from qa_portal.reviews.policy import current_policy

OFFICER = "qa_officer"

SITE_VISIT_MACHINE = StateMachine(
    "site visit",
    [
        Transition("reschedule", (V.SCHEDULED, V.CANCELLED), V.SCHEDULED, (OFFICER,), "Reschedule"),
        # recording again corrects the minutes or the summary
        Transition("record", (V.SCHEDULED, V.HELD), V.HELD, (OFFICER,), "Record the visit"),
        Transition("cancel", (V.SCHEDULED,), V.CANCELLED, (OFFICER,), "Cancel the visit"),
    ],
)
# A visit is planned and recorded while the round is screened, in review or waiting for
# its decision.
VISIT_STATES = (DossierState.SCREENING, DossierState.IN_REVIEW, DossierState.DECISION_PENDING)


def visit_of(round_: ReviewRound | None) -> SiteVisit | None:
    if round_ is None or round_.id is None:
        return None
    return db.session.execute(sa.select(SiteVisit).where(SiteVisit.round_id == round_.id)).scalar()


def can_read_minutes(user: User, visit: SiteVisit) -> bool:
    """QA staff and the round's panel (accepted or reviewed) read the minutes; the provider
    reads the summary in the report."""
    if user.has_role(Role.QA_OFFICER, Role.QA_ADMIN):
        return True
    return any(a.reviewer_id == user.id and a.is_on_panel for a in visit.round.assignments)


def visits_offered() -> bool:
    return current_policy().site_visit != SiteVisitPolicy.NONE


def _require_officer(actor: User) -> None:
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers may do this.")


def _open_round(dossier: Dossier) -> ReviewRound:
    lock_dossier(dossier)
    round_ = dossier.current_round
    if round_ is None or round_.decided_at is not None or dossier.state not in VISIT_STATES:
        raise TransitionNotAllowed(
            "A site visit belongs to a round being screened, reviewed or waiting for its "
            "decision; this dossier has none."
        )
    return round_


def _tell(round_: ReviewRound, visit: SiteVisit, title: str, body: str) -> None:
    dossier = round_.dossier
    tell_providers(dossier, "site_visit", title, body)
    for a in round_.assignments:
        if a.is_on_panel:
            notify(a.reviewer, "site_visit", title, body, "reviews.assignment", assignment_id=a.id)


def _when(visit: SiteVisit) -> str:
    return f"{visit.scheduled_for:%d %B %Y, %H:%M}"


def schedule_site_visit(
    actor: User,
    dossier: Dossier,
    *,
    mode: str,
    scheduled_for: datetime | None,
    location: str,
    participants: str,
) -> SiteVisit:
    """Schedule (or reschedule) the round's site visit or interview; the provider and the
    panel are told. Refused when the policy has no site visits."""
    _require_officer(actor)
    if not visits_offered():
        raise TransitionNotAllowed("The review policy has no site visits.")
    try:
        visit_mode = SiteVisitMode(mode)
    except ValueError:
        raise InvalidInput("Choose on site or online.") from None
    if scheduled_for is None:
        raise InvalidInput("Give the date and time of the visit.")
    location, participants = (location or "").strip(), (participants or "").strip()
    if not location or not participants:
        raise InvalidInput("Say where the visit takes place and who takes part.")
    round_ = _open_round(dossier)
    visit = visit_of(round_)
    details = {
        "mode": visit_mode,
        "scheduled_for": scheduled_for.replace(second=0, microsecond=0),
        "location": location[:500],
        "participants": participants,
    }
    if visit is None:
        visit = SiteVisit(round=round_, state=V.SCHEDULED, scheduled_by_id=actor.id, **details)
        db.session.add(visit)
        db.session.flush()
        audit.record(actor, "site_visit.schedule", visit, round=round_.number, **_plain(details))
    else:
        SITE_VISIT_MACHINE.check(visit, "reschedule", OFFICER)
        for name, value in details.items():
            setattr(visit, name, value)
        visit.cancel_reason = ""
        visit.updated_at = utcnow()
        SITE_VISIT_MACHINE.fire(
            visit, "reschedule", actor=actor, role=OFFICER, round=round_.number, **_plain(details)
        )
    _tell(
        round_,
        visit,
        f"Site visit for {dossier.reference}: {_when(visit)}",
        f"The {visit.mode.label.lower()} visit for {dossier.reference} is scheduled for "
        f"{_when(visit)} ({visit.location}). Participants: {visit.participants}",
    )
    return visit


def _plain(details: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.value if isinstance(v, SiteVisitMode) else str(v) if isinstance(v, datetime) else v)
        for k, v in details.items()
    }


def _store_minutes(visit: SiteVisit, filename: str | None, data: bytes) -> None:
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if not data:
        raise InvalidInput("The file is empty.")
    if len(data) > limit:
        raise InvalidInput(
            f"The file is larger than {storage.megabytes(limit)}; please compress the PDF."
        )
    check_pdf(data)
    name = storage.display_name(filename, "minutes.pdf")
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    stored = storage.stage_bytes(data, kind="uploads", extension="pdf")
    if visit.stored_name:
        storage.delete_after_commit(visit.stored_name)
    visit.original_name = name[:200]
    visit.stored_name = stored.stored_name
    visit.sha256 = stored.sha256
    visit.size = stored.size


def record_site_visit(
    actor: User,
    visit: SiteVisit,
    *,
    minutes: str,
    summary: str,
    minutes_file: tuple[str | None, bytes] | None = None,
) -> SiteVisit:
    """Record the visit as held: its minutes (written, a PDF, or both; a PDF is checked
    like evidence) and the summary the report publishes. Recording again corrects them."""
    _require_officer(actor)
    round_ = _open_round(visit.round.dossier)
    SITE_VISIT_MACHINE.check(visit, "record", OFFICER)
    minutes, summary = (minutes or "").strip(), (summary or "").strip()
    if not summary:
        raise InvalidInput("Write the summary the report will publish.")
    if not minutes and not minutes_file and not visit.stored_name:
        raise InvalidInput("Write the minutes or upload them as a PDF.")
    if minutes_file:
        _store_minutes(visit, *minutes_file)
    visit.minutes = minutes
    visit.summary = summary
    visit.recorded_by_id = actor.id
    visit.recorded_at = visit.updated_at = utcnow()
    SITE_VISIT_MACHINE.fire(
        visit,
        "record",
        actor=actor,
        role=OFFICER,
        round=round_.number,
        minutes_file=visit.original_name,
        sha256=visit.sha256,
    )
    return visit


def cancel_site_visit(actor: User, visit: SiteVisit, reason: str) -> SiteVisit:
    """Cancel a scheduled visit with the reason; the provider and the panel are told."""
    _require_officer(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Give the reason for cancelling the visit.")
    round_ = _open_round(visit.round.dossier)
    SITE_VISIT_MACHINE.check(visit, "cancel", OFFICER)
    visit.cancel_reason = reason
    visit.updated_at = utcnow()
    SITE_VISIT_MACHINE.fire(
        visit, "cancel", actor=actor, role=OFFICER, round=round_.number, reason=reason
    )
    _tell(
        round_,
        visit,
        f"Site visit for {round_.dossier.reference} cancelled",
        f"The visit for {round_.dossier.reference} planned for {_when(visit)} is cancelled: "
        f"{reason}",
    )
    return visit


def check_ready_for_decision(round_: ReviewRound) -> None:
    """When the policy requires a site visit, the round is decided only after a visit was
    held and its minutes recorded."""
    if current_policy().site_visit != SiteVisitPolicy.REQUIRED:
        return
    visit = visit_of(round_)
    if visit is None or visit.state != V.HELD or not visit.has_minutes:
        raise TransitionNotAllowed(
            "The review policy requires a site visit: record the visit as held, with its "
            "minutes, before deciding."
        )


def report_site_visit(round_: ReviewRound) -> dict[str, Any] | None:
    """The held visit as the report shows it: {mode, date, location, participants,
    summary}; None without a held visit."""
    visit = visit_of(round_)
    if visit is None or visit.state != V.HELD:
        return None
    return {
        "mode": visit.mode.label,
        "date": visit.scheduled_for.date(),
        "location": visit.location if visit.mode == SiteVisitMode.ON_SITE else "Online",
        "participants": visit.participants,
        "summary": visit.summary,
    }
