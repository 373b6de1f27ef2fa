"""Complaints (ESG 2.7): about the conduct of a person or the process, separate from appeals.

Rules enforced here: anyone signed in files a complaint (a category, a text of at least
``MIN_TEXT`` characters, optionally a dossier they can see, optionally the person complained
about, optionally one PDF checked like condition evidence); the QA admins are told. A QA admin
who is neither the person complained about nor the complainant acknowledges it and becomes
its handler (another admin may be named handler, under the same rule); the handler resolves
it with an outcome (upheld, partly upheld, not upheld) and a written response, which the
complainant sees. The complainant may withdraw it until it is resolved. Due dates come from
the review policy (``complaint_ack_days`` to acknowledge, ``complaint_days`` to resolve,
both from lodging). Every step is audited; the complainant is told of each step.
``yearly_summary`` gives the public numbers per calendar year (nothing identifying anyone).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_portal.accounts.models import AccountStatus, Role, User, UserRole
from qa_portal.core import audit, clock, storage
from qa_portal.core.errors import InvalidInput, NotPermitted
from qa_portal.core.models import utcnow
from qa_portal.decisions.models import (
    Appeal,
    AppealState,
    Complaint,
    ComplaintCategory,
    ComplaintOutcome,
    ComplaintState,
)
from qa_portal.decisions.workflow import COMPLAINT_MACHINE
from qa_portal.dossiers import queries as dossier_queries
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.pdf_check import check_pdf
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewRound
from qa_portal.reviews.policy import current_policy

MIN_TEXT = 30
MAX_TEXT = 10_000
MIN_RESPONSE = 20


class AttachmentRefused(InvalidInput):
    """The attached file was refused (shown next to the file field)."""


def qa_admins() -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(UserRole)
            .where(UserRole.role == Role.QA_ADMIN, User.status == AccountStatus.ACTIVE)
            .order_by(User.name, User.id)
        ).scalars()
    )


def can_see(user: User, complaint: Complaint) -> bool:
    """The complainant and the QA admins (never the person complained about)."""
    return user.id == complaint.complainant_id or user.has_role(Role.QA_ADMIN)


def may_handle(user: User, complaint: Complaint) -> bool:
    return (
        user.has_role(Role.QA_ADMIN)
        and user.status == AccountStatus.ACTIVE
        and user.id not in (complaint.subject_id, complaint.complainant_id)
    )


def eligible_handlers(complaint: Complaint) -> list[User]:
    return [u for u in qa_admins() if may_handle(u, complaint)]


def _reviewed_dossier_ids(user: User) -> set[int]:
    return set(
        db.session.execute(
            sa.select(ReviewRound.dossier_id)
            .join(ReviewAssignment, ReviewAssignment.round_id == ReviewRound.id)
            .where(
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.state.in_([AssignmentState.ACCEPTED, AssignmentState.SUBMITTED]),
            )
        ).scalars()
    )


def may_name_dossier(user: User, dossier: Dossier) -> bool:
    """A complaint names only a dossier its author can see or reviews."""
    return dossier.can_view(user) or dossier.id in _reviewed_dossier_ids(user)


def dossier_choices(user: User) -> list[Dossier]:
    """The dossiers ``user`` may name in a complaint."""
    found: dict[int, Dossier] = {}
    if user.is_staff:
        found.update((d.id, d) for d in dossier_queries.submitted_dossiers())
    if user.organisation_id and user.has_role(Role.PROVIDER):
        found.update((d.id, d) for d in dossier_queries.organisation_dossiers(user.organisation_id))
    for dossier_id in _reviewed_dossier_ids(user):
        found.setdefault(dossier_id, db.session.get(Dossier, dossier_id))
    return sorted(found.values(), key=lambda d: d.reference)


def subject_choices(user: User) -> list[User]:
    """Whom ``user`` may name: QA staff see every active user; others the QA body's staff
    (a reviewer, anonymous to providers, is named in the text with the dossier)."""
    query = sa.select(User).where(User.status == AccountStatus.ACTIVE, User.id != user.id)
    if not user.is_staff:
        query = query.where(
            User.id.in_(
                sa.select(UserRole.user_id).where(
                    UserRole.role.in_([Role.QA_OFFICER, Role.QA_ADMIN])
                )
            )
        )
    return list(db.session.execute(query.order_by(User.name, User.id)).scalars())


def _checked_attachment(filename: str | None, data: bytes) -> tuple[str, bytes]:
    """A real PDF by its content, not empty, within the evidence size limit."""
    name = storage.display_name(filename)
    if not data:
        raise AttachmentRefused(f"{name} is empty.")
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(data) > limit:
        raise AttachmentRefused(f"{name} is larger than {storage.megabytes(limit)}.")
    try:
        check_pdf(data)
    except InvalidInput as exc:
        raise AttachmentRefused(f"{name}: {exc.message}") from None
    if not name.lower().endswith(".pdf"):
        name = (name.rsplit(".", 1)[0] if "." in name else name) + ".pdf"
    return name, data


def file_complaint(
    actor: User,
    *,
    category: str,
    text: str,
    dossier: Dossier | None = None,
    subject: User | None = None,
    attachment: tuple[str | None, bytes] | None = None,
) -> Complaint:
    """Anyone signed in lodges a complaint; the QA admins are told."""
    try:
        kind = ComplaintCategory(category)
    except ValueError:
        raise InvalidInput("Choose what the complaint is about.") from None
    text = (text or "").strip()
    if len(text) < MIN_TEXT:
        raise InvalidInput(f"Describe the complaint (at least {MIN_TEXT} characters).")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"Keep the complaint under {MAX_TEXT:,} characters.")
    if dossier is not None and not may_name_dossier(actor, dossier):
        raise NotPermitted("You can complain only about a procedure you take part in.")
    if subject is not None and subject.id == actor.id:
        raise InvalidInput("You cannot complain about yourself.")
    checked = _checked_attachment(*attachment) if attachment and any(attachment) else None
    policy = current_policy()
    today = clock.today()
    complaint = Complaint(
        category=kind,
        text=text,
        complainant_id=actor.id,
        dossier_id=dossier.id if dossier else None,
        subject_id=subject.id if subject else None,
        state=ComplaintState.LODGED,
        ack_due=today + timedelta(days=policy.complaint_ack_days),
        resolution_due=today + timedelta(days=policy.complaint_days),
    )
    if checked:
        saved = storage.stage_bytes(checked[1], kind="uploads", extension="pdf")
        complaint.attachment_name = checked[0]
        complaint.attachment_stored_name = saved.stored_name
        complaint.attachment_sha256 = saved.sha256
        complaint.attachment_size = saved.size
    db.session.add(complaint)
    db.session.flush()
    audit.record(
        actor,
        "complaint.lodge",
        complaint,
        category=kind.value,
        dossier_id=complaint.dossier_id,
        subject_id=complaint.subject_id,
        attachment_sha256=complaint.attachment_sha256,
    )
    notify(
        [u for u in qa_admins() if u.id != complaint.subject_id],
        "complaint",
        f"Complaint {complaint.id} lodged ({kind.label.lower()})",
        f"A complaint about {kind.label.lower()} was lodged. Acknowledge it by "
        f"{complaint.ack_due:%d %B %Y}.",
        "complaints.show",
        complaint_id=complaint.id,
    )
    return complaint


def acknowledge_complaint(actor: User, complaint: Complaint, handler: User | None = None) -> None:
    """A QA admin takes the complaint up, as its handler or naming another admin; neither
    may be the person complained about or the complainant."""
    handler = handler or actor
    for who in {actor.id: actor, handler.id: handler}.values():
        if not who.has_role(Role.QA_ADMIN):
            raise NotPermitted("Only QA admins handle complaints.")
        if who.id == complaint.subject_id:
            raise NotPermitted(
                f"{who.name} is the person complained about and may not handle the complaint."
            )
        if who.id == complaint.complainant_id:
            raise NotPermitted(f"{who.name} made the complaint and may not handle it.")
    COMPLAINT_MACHINE.fire(
        complaint,
        "acknowledge",
        actor=actor,
        role="qa_admin",
        values={"handler_id": handler.id, "acknowledged_at": utcnow()},
        handler_id=handler.id,
    )
    db.session.expire(complaint, ["handler"])
    notify(
        complaint.complainant,
        "complaint_acknowledged",
        f"Your complaint {complaint.id} is acknowledged",
        f"The QA body acknowledged your complaint of {complaint.lodged_at:%d %B %Y}. You will "
        f"receive its response by {complaint.resolution_due:%d %B %Y}.",
        "complaints.show",
        complaint_id=complaint.id,
    )
    if handler.id != actor.id:
        notify(
            handler,
            "complaint",
            f"You handle complaint {complaint.id}",
            f"{actor.name} named you handler of complaint {complaint.id}; resolve it by "
            f"{complaint.resolution_due:%d %B %Y}.",
            "complaints.show",
            complaint_id=complaint.id,
        )


def resolve_complaint(actor: User, complaint: Complaint, *, outcome: str, response: str) -> None:
    """The handler records the outcome and the written response to the complainant."""
    if complaint.handler_id is not None and actor.id != complaint.handler_id:
        raise NotPermitted("Only the handler of this complaint resolves it.")
    if not may_handle(actor, complaint):
        raise NotPermitted("Only a QA admin who is not involved resolves this complaint.")
    try:
        result = ComplaintOutcome(outcome)
    except ValueError:
        raise InvalidInput("Choose the outcome.") from None
    response = (response or "").strip()
    if len(response) < MIN_RESPONSE:
        raise InvalidInput(f"Write the response to the complainant (at least {MIN_RESPONSE}).")
    COMPLAINT_MACHINE.fire(
        complaint,
        "resolve",
        actor=actor,
        role="qa_admin",
        values={"outcome": result, "response": response, "resolved_at": utcnow()},
        outcome=result.value,
    )
    notify(
        complaint.complainant,
        "complaint_resolved",
        f"Your complaint {complaint.id}: {result.label.lower()}",
        f"The QA body resolved your complaint: {result.label.lower()}.\n\n{response}",
        "complaints.show",
        complaint_id=complaint.id,
    )


def withdraw_complaint(actor: User, complaint: Complaint) -> None:
    """The complainant withdraws the complaint before it is resolved."""
    if actor.id != complaint.complainant_id:
        raise NotPermitted("Only the complainant may withdraw the complaint.")
    COMPLAINT_MACHINE.fire(
        complaint, "withdraw", actor=actor, role="complainant", values={"withdrawn_at": utcnow()}
    )
    if complaint.handler is not None:
        notify(
            complaint.handler,
            "complaint",
            f"Complaint {complaint.id} withdrawn",
            f"The complainant withdrew complaint {complaint.id}.",
            "complaints.show",
            complaint_id=complaint.id,
        )


def record_attachment_download(actor: User, complaint: Complaint) -> None:
    """Downloads of a complaint's attachment by anyone but the complainant are audited."""
    if actor.id != complaint.complainant_id:
        audit.record(
            actor, "complaint.file_download", complaint, sha256=complaint.attachment_sha256
        )


# -- lists --------------------------------------------------------------------------------
def complaints_for(
    user: User, *, state: str | None = None, overdue: bool = False, today: date | None = None
) -> list[Complaint]:
    """QA admins: every complaint (filtered); others: their own complaints."""
    today = today or clock.today()
    query = sa.select(Complaint).order_by(Complaint.lodged_at.desc(), Complaint.id.desc())
    if not user.has_role(Role.QA_ADMIN):
        query = query.where(Complaint.complainant_id == user.id)
    if state:
        query = query.where(Complaint.state == ComplaintState(state))
    if overdue:
        query = query.where(
            sa.or_(
                sa.and_(Complaint.state == ComplaintState.LODGED, Complaint.ack_due < today),
                sa.and_(
                    Complaint.state == ComplaintState.ACKNOWLEDGED,
                    Complaint.resolution_due < today,
                ),
            )
        )
    return list(db.session.execute(query).scalars())


def complaints_about(dossier: Dossier) -> list[Complaint]:
    return list(
        db.session.execute(
            sa.select(Complaint)
            .where(Complaint.dossier_id == dossier.id)
            .order_by(Complaint.lodged_at.desc())
        ).scalars()
    )


# -- reminders ----------------------------------------------------------------------------
def complaint_reminders(on: date, send: Callable[[str, Callable, str], None]) -> None:
    """For ``cases.reminders.send_reminders``: the handler (or, before acknowledgement, the
    QA admins) a day before the due date; the QA admins once it is overdue. Each once."""
    open_ = db.session.execute(
        sa.select(Complaint).where(
            Complaint.state.in_([ComplaintState.LODGED, ComplaintState.ACKNOWLEDGED])
        )
    ).scalars()
    for c in open_:
        due = c.due
        step = "acknowledge" if c.state == ComplaintState.LODGED else "resolve"
        if due < on:
            send(
                f"complaint-overdue:{c.id}:{step}:{due}",
                lambda c=c, due=due, step=step: notify(
                    [u for u in qa_admins() if u.id != c.subject_id],
                    "overdue",
                    f"Overdue: complaint {c.id}",
                    f"Complaint {c.id} was to be {step}d by {due:%d %B %Y}.",
                    "complaints.show",
                    complaint_id=c.id,
                ),
                "complaint_overdue",
            )
        elif due - timedelta(days=1) <= on:
            to = [c.handler] if c.handler else eligible_handlers(c)
            send(
                f"complaint-due:{c.id}:{step}:{due}",
                lambda c=c, due=due, step=step, to=to: notify(
                    to,
                    "reminder",
                    f"Reminder: complaint {c.id} due",
                    f"Complaint {c.id} is to be {step}d by {due:%d %B %Y}.",
                    "complaints.show",
                    complaint_id=c.id,
                ),
                "complaint_due",
            )


# -- the yearly public summary ------------------------------------------------------------
def yearly_summary() -> list[dict[str, Any]]:
    """Per calendar year (newest first): appeals lodged, upheld, overturned, pending; and
    complaints lodged, by category, by outcome, withdrawn, pending. Counts only."""
    years: dict[int, dict[str, Any]] = {}

    def year(n: int) -> dict[str, Any]:
        return years.setdefault(
            n,
            {
                "year": n,
                "appeals": {"lodged": 0, "upheld": 0, "overturned": 0, "pending": 0},
                "complaints": {
                    "lodged": 0,
                    "by_category": {c.value: 0 for c in ComplaintCategory},
                    "by_outcome": {o.value: 0 for o in ComplaintOutcome},
                    "withdrawn": 0,
                    "pending": 0,
                },
            },
        )

    for lodged_at, state in db.session.execute(sa.select(Appeal.lodged_at, Appeal.state)):
        row = year(lodged_at.year)["appeals"]
        row["lodged"] += 1
        key = {AppealState.UPHELD: "upheld", AppealState.OVERTURNED: "overturned"}
        row[key.get(AppealState(state), "pending")] += 1
    rows = db.session.execute(
        sa.select(Complaint.lodged_at, Complaint.category, Complaint.state, Complaint.outcome)
    )
    for lodged_at, category, state, outcome in rows:
        row = year(lodged_at.year)["complaints"]
        row["lodged"] += 1
        row["by_category"][ComplaintCategory(category).value] += 1
        state = ComplaintState(state)
        if state == ComplaintState.RESOLVED and outcome:
            row["by_outcome"][ComplaintOutcome(outcome).value] += 1
        elif state == ComplaintState.WITHDRAWN:
            row["withdrawn"] += 1
        else:
            row["pending"] += 1
    return [years[n] for n in sorted(years, reverse=True)]
