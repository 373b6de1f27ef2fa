"""Work queues: what needs whose action, and what is overdue.

- The QA officer's queue: submitted dossiers filtered in SQL (state, days since
  submission, case officer — me, nobody or a named officer —, overdue, and the "needs my
  action" kinds), paginated, with flags per row saying what each one needs; and the
  "needs my action" counts, each the size of the filtered queue it links to.
- The provider's to-do list: returned dossiers with the note, open conditions with their
  due dates, decisions open to appeal with the deadline, revisions to start, renewals due.

Every page costs a fixed number of SQL statements, however many rows it shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from wtforms import BooleanField, Form, IntegerField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, ValidationError

from qa_portal.core.forms import choices
from qa_portal.decisions.models import Appeal, AppealState, Condition, ConditionState, Decision
from qa_portal.dossiers.models import Dossier, DossierState, DossierVersion, ScreeningNote
from qa_portal.dossiers.workflow import APPEALABLE, APPROVED
from qa_portal.extensions import db
from qa_portal.reviews.models import AssignmentState, ReviewAssignment, ReviewPolicy, ReviewRound

ACTIVE_STATES = (
    DossierState.SUBMITTED,
    DossierState.SCREENING,
    DossierState.IN_REVIEW,
    DossierState.DECISION_PENDING,
    DossierState.APPEAL,
    DossierState.APPROVED_WITH_CONDITIONS,
)
PANEL_STATES = (DossierState.SCREENING, DossierState.IN_REVIEW)
ON_PANEL = (AssignmentState.ACCEPTED, AssignmentState.SUBMITTED)
ALL_STATES = "all"

# What can need an officer's action, in the order the summary shows them.
NEEDS = {
    "take_up": "To take up",
    "screening": "My screening",
    "panel": "Panels incomplete",
    "decide": "Decisions to take",
    "evidence": "Evidence to verify",
    "appeal": "Appeals before the committee",
    "overdue": "Overdue reviews and conditions",
}
NEED_HELP = {
    "take_up": "Submitted, waiting for a case officer.",
    "screening": "Taken up by you, being screened.",
    "panel": "Your dossiers whose panel has fewer accepted reviewers than the policy asks.",
    "decide": "Your dossiers whose round is closed, waiting for your decision.",
    "evidence": "Evidence a provider submitted for a condition on your dossiers.",
    "appeal": "Lodged appeals; the appeals committee decides them.",
    "overdue": "Unanswered invitations, late reviews and overdue conditions on your dossiers.",
}


def reviewers_needed() -> int:
    """The policy's panel size (the model's default while the policy row does not exist)."""
    value = db.session.execute(
        sa.select(ReviewPolicy.reviewers_per_dossier).order_by(ReviewPolicy.id).limit(1)
    ).scalar()
    return value or ReviewPolicy.__table__.c.reviewers_per_dossier.default.arg


def _needed_sql():
    """The policy's panel size, inside a statement."""
    default = ReviewPolicy.__table__.c.reviewers_per_dossier.default.arg
    policy = (
        sa.select(ReviewPolicy.reviewers_per_dossier)
        .order_by(ReviewPolicy.id)
        .limit(1)
        .scalar_subquery()
    )
    return sa.func.coalesce(policy, default)


# -- conditions on a dossier (correlated to the outer ``Dossier``) -------------------------
def _current_round_id():
    # Correlated explicitly: it sits two subqueries below the dossier it belongs to.
    return (
        sa.select(sa.func.max(ReviewRound.id))
        .where(ReviewRound.dossier_id == Dossier.id)
        .correlate(Dossier)
        .scalar_subquery()
    )


def _panel_incomplete():
    on_panel = (
        sa.select(sa.func.count())
        .select_from(ReviewAssignment)
        .where(
            ReviewAssignment.round_id == _current_round_id(), ReviewAssignment.state.in_(ON_PANEL)
        )
        .scalar_subquery()
    )
    return sa.and_(Dossier.state.in_(PANEL_STATES), on_panel < _needed_sql())


def _overdue_assignment(today: date):
    """An invitation unanswered after its response date (while the panel is being built or
    the review runs), or an accepted review late while the review runs."""
    return sa.exists().where(
        ReviewAssignment.round_id == _current_round_id(),
        sa.or_(
            sa.and_(
                ReviewAssignment.state == AssignmentState.INVITED,
                ReviewAssignment.response_due < today,
                Dossier.state.in_(PANEL_STATES),
            ),
            sa.and_(
                ReviewAssignment.state == AssignmentState.ACCEPTED,
                ReviewAssignment.review_due < today,
                Dossier.state == DossierState.IN_REVIEW,
            ),
        ),
    )


def _overdue_condition(today: date):
    return sa.and_(
        Dossier.state != DossierState.WITHDRAWN,
        sa.exists().where(
            Condition.decision_id == Decision.id,
            Decision.dossier_id == Dossier.id,
            Decision.superseded_at.is_(None),
            Condition.state == ConditionState.OPEN,
            Condition.due_date < today,
        ),
    )


def _overdue(today: date):
    return sa.or_(_overdue_assignment(today), _overdue_condition(today))


def _evidence_to_verify():
    return sa.exists().where(
        Condition.decision_id == Decision.id,
        Decision.dossier_id == Dossier.id,
        Decision.superseded_at.is_(None),
        Condition.state == ConditionState.EVIDENCE_SUBMITTED,
    )


def _barred(user_id: int):
    """This officer's earlier decision on the dossier was overturned on appeal."""
    return sa.exists().where(
        Decision.dossier_id == Dossier.id,
        Decision.decided_by_id == user_id,
        Appeal.decision_id == Decision.id,
        Appeal.state == AppealState.OVERTURNED,
    )


def _need(need: str, user_id: int, today: date):
    mine = Dossier.case_officer_id == user_id
    # after an overturned appeal the dossier waits, unassigned, for another officer
    mine_or_free = sa.or_(mine, Dossier.case_officer_id.is_(None))
    return {
        "take_up": Dossier.state == DossierState.SUBMITTED,
        "screening": sa.and_(Dossier.state == DossierState.SCREENING, mine_or_free),
        "panel": sa.and_(_panel_incomplete(), mine),
        "decide": sa.and_(
            Dossier.state == DossierState.DECISION_PENDING, mine_or_free, ~_barred(user_id)
        ),
        "evidence": sa.and_(_evidence_to_verify(), mine),
        "appeal": Dossier.state == DossierState.APPEAL,
        "overdue": sa.and_(_overdue(today), mine),
    }[need]


# -- filters ------------------------------------------------------------------------------
def _state_choices() -> list[SelectChoice]:
    return choices(
        [("", "Active (in the QA body's hands)")]
        + [(s.value, s.label) for s in DossierState if s != DossierState.DRAFT]
        + [(ALL_STATES, "Every state")]
    )


class _Choice(SelectField):
    """A select that names what is wrong when the query string holds an unknown value."""

    def pre_validate(self, form):
        if self.data not in {choice.value for choice in self.choices}:
            raise ValidationError(f"Choose a {self.label.text.lower()} from the list.")


class QueueFilterForm(Form):
    """The queue's filters, read from the query string (a GET form: no CSRF token)."""

    FIELDS = ("state", "need", "officer", "min_age", "overdue", "page")

    state = _Choice("State", default="")
    need = _Choice("Needs", default="")
    officer = _Choice("Case officer", default="")
    min_age = IntegerField(
        "Days waiting (at least)",
        validators=[
            Optional(),
            NumberRange(min=0, max=3650, message="Give a number of days from 0 to 3650."),
        ],
    )
    overdue = BooleanField("Only overdue")
    page = IntegerField(
        "Page",
        validators=[Optional(), NumberRange(min=1, message="Pages are numbered from 1.")],
    )

    def __init__(self, formdata, officers: list[Any], **kwargs):
        super().__init__(formdata, **kwargs)
        self.state.choices = _state_choices()
        self.need.choices = choices([("", "Anything"), *NEEDS.items()])
        self.officer.choices = choices(
            [("", "Anyone"), ("me", "Me"), ("none", "Nobody yet")]
            + [(str(o.id), o.name) for o in officers]
        )

    def filters(self) -> QueueFilters:
        return QueueFilters(
            state=self.state.data or "",
            need=self.need.data or "",
            officer=self.officer.data or "",
            min_age=self.min_age.data,
            overdue=bool(self.overdue.data),
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """The filters as query-string arguments (for pagination links)."""
        values = {
            "state": self.state.data or None,
            "need": self.need.data or None,
            "officer": self.officer.data or None,
            "min_age": self.min_age.data,
            "overdue": "y" if self.overdue.data else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass
class QueueFilters:
    state: str = ""  # "" (active states), a state value, or "all"
    need: str = ""  # "" or a key of NEEDS
    officer: str = ""  # "", "me", "none" or a user id
    min_age: int | None = None  # days since (latest) submission, at least
    overdue: bool = False


def queue_query(filters: QueueFilters, user_id: int, today: date) -> sa.Select:
    """Dossiers submitted at least once that match ``filters``, oldest submission first."""
    query = (
        sa.select(Dossier)
        .where(sa.exists().where(DossierVersion.dossier_id == Dossier.id))
        # joined, not selectin: one statement whoever the case officers are
        .options(joinedload(Dossier.organisation), joinedload(Dossier.case_officer))
    )
    if filters.state in {s.value for s in DossierState}:
        query = query.where(Dossier.state == filters.state)
    elif filters.state != ALL_STATES and not filters.need and not filters.overdue:
        # Something to do or overdue may sit outside the active states (a condition overdue
        # during a renewal): those filters search every state.
        query = query.where(Dossier.state.in_(ACTIVE_STATES))
    if filters.need in NEEDS:
        query = query.where(_need(filters.need, user_id, today))
    if filters.officer == "me":
        query = query.where(Dossier.case_officer_id == user_id)
    elif filters.officer == "none":
        query = query.where(Dossier.case_officer_id.is_(None))
    elif filters.officer.isdigit():
        query = query.where(Dossier.case_officer_id == int(filters.officer))
    if filters.min_age is not None:
        # waiting ≥ N days ⇔ submitted on or before today − N
        cutoff = datetime.combine(today - timedelta(days=filters.min_age - 1), time.min)
        query = query.where(Dossier.submitted_at < cutoff)
    if filters.overdue:
        query = query.where(_overdue(today))
    return query.order_by(Dossier.submitted_at.asc(), Dossier.id)


def action_counts(user_id: int, today: date) -> dict[str, int]:
    """How many dossiers each "needs my action" link leads to — in one statement, each
    count taken over exactly the query the queue runs for that link."""
    counts = []
    for need in NEEDS:
        q = queue_query(QueueFilters(need=need), user_id, today)
        inner = q.with_only_columns(Dossier.id).order_by(None)
        counts.append(
            sa.select(sa.func.count()).select_from(inner.subquery()).scalar_subquery().label(need)
        )
    row = db.session.execute(sa.select(*counts)).one()
    return dict(zip(NEEDS, row, strict=True))


# -- rows on one page ---------------------------------------------------------------------
@dataclass
class Flag:
    text: str
    kind: str = "info"  # "info", "action" (needs someone's action) or "overdue"


@dataclass
class QueueRow:
    dossier: Dossier
    age_days: int | None
    round_number: int | None
    flags: list[Flag] = field(default_factory=list)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _no_panel() -> dict[str, int]:
    return {"invited": 0, "on_panel": 0, "in": 0, "late_answer": 0, "late": 0}


def _panel_counts(
    ids: list[int], by_id: dict[int, QueueRow], today: date
) -> dict[int, dict[str, int]]:
    """The current round of each dossier (its number set on the row) and its panel: how many
    reviewers are invited, on the panel and in, how many invitations are unanswered after
    their date and how many reviews late, in one statement."""
    current = (
        sa.select(ReviewRound.dossier_id, sa.func.max(ReviewRound.id).label("round_id"))
        .where(ReviewRound.dossier_id.in_(ids))
        .group_by(ReviewRound.dossier_id)
        .subquery()
    )
    panel: dict[int, dict[str, int]] = {}
    for dossier_id, number, state, response_due, review_due in db.session.execute(
        sa.select(
            current.c.dossier_id,
            ReviewRound.number,
            ReviewAssignment.state,
            ReviewAssignment.response_due,
            ReviewAssignment.review_due,
        )
        .select_from(current)
        .join(ReviewRound, ReviewRound.id == current.c.round_id)
        .outerjoin(ReviewAssignment, ReviewAssignment.round_id == current.c.round_id)
    ):
        row = by_id[dossier_id]
        row.round_number = number
        c = panel.setdefault(dossier_id, _no_panel())
        if state is None:
            continue
        dossier_state = row.dossier.state
        if state == AssignmentState.INVITED:
            c["invited"] += 1
            if response_due < today and dossier_state in PANEL_STATES:
                c["late_answer"] += 1
        if state in ON_PANEL:
            c["on_panel"] += 1
        if state == AssignmentState.SUBMITTED:
            c["in"] += 1
        if (
            state == AssignmentState.ACCEPTED
            and review_due < today
            and dossier_state == DossierState.IN_REVIEW
        ):
            c["late"] += 1
    return panel


def _flag_the_workflow(rows: list[QueueRow], panel: dict[int, dict[str, int]], needed: int) -> None:
    """Flags of each dossier's step: to take up, its panel, late answers and reviews, a
    decision to take."""
    for row in rows:
        d = row.dossier
        c = panel.get(d.id, _no_panel())
        if d.state == DossierState.SUBMITTED:
            row.flags.append(Flag("to take up", "action"))
        if d.state in PANEL_STATES:
            text = f"panel {c['on_panel']}/{needed} accepted"
            if c["invited"]:
                text += f", {c['invited']} invited"
            if d.state == DossierState.IN_REVIEW:
                text += f", {c['in']} in"
            incomplete = c["on_panel"] < needed
            row.flags.append(Flag(text, "action" if incomplete else "info"))
        if c["late_answer"]:
            row.flags.append(
                Flag(f"{_plural(c['late_answer'], 'invitation')} unanswered", "overdue")
            )
        if c["late"]:
            row.flags.append(Flag(f"{_plural(c['late'], 'review')} overdue", "overdue"))
        if d.state == DossierState.DECISION_PENDING:
            row.flags.append(Flag("decision to take", "action"))


def _flag_the_conditions(ids: list[int], by_id: dict[int, QueueRow], today: date) -> None:
    """Flags of the conditions of the decisions in force: evidence to verify, overdue or open
    conditions (one statement)."""
    conditions: dict[int, dict[str, int]] = {}
    for dossier_id, state, due in db.session.execute(
        sa.select(Decision.dossier_id, Condition.state, Condition.due_date)
        .join(Condition, Condition.decision_id == Decision.id)
        .where(Decision.dossier_id.in_(ids), Decision.superseded_at.is_(None))
    ):
        c = conditions.setdefault(dossier_id, {"evidence": 0, "overdue": 0, "open": 0})
        if state == ConditionState.EVIDENCE_SUBMITTED:
            c["evidence"] += 1
        elif state == ConditionState.OPEN:
            c["open"] += 1
            if due < today and by_id[dossier_id].dossier.state != DossierState.WITHDRAWN:
                c["overdue"] += 1
    for dossier_id, c in conditions.items():
        flags = by_id[dossier_id].flags
        if c["evidence"]:
            flags.append(Flag(f"evidence to verify ({c['evidence']})", "action"))
        if c["overdue"]:
            flags.append(Flag(f"{_plural(c['overdue'], 'condition')} overdue", "overdue"))
        elif c["open"]:
            flags.append(Flag(f"{_plural(c['open'], 'condition')} open"))


def _flag_the_appeals(ids: list[int], by_id: dict[int, QueueRow], user_id: int) -> None:
    """Flags of lodged appeals (the appeals committee decides them; one statement)."""
    for (dossier_id,) in db.session.execute(
        sa.select(Appeal.dossier_id).where(
            Appeal.dossier_id.in_(ids), Appeal.state == AppealState.LODGED
        )
    ):
        by_id[dossier_id].flags.append(Flag("appeal: before the appeals committee"))


def queue_rows(dossiers: list[Dossier], user_id: int, today: date) -> list[QueueRow]:
    """The page's rows with what each dossier needs, in four statements for the page."""
    rows = [
        QueueRow(
            d,
            (today - d.submitted_at.date()).days if d.submitted_at else None,
            None,
        )
        for d in dossiers
    ]
    if not rows:
        return rows
    ids = [d.id for d in dossiers]
    by_id = {r.dossier.id: r for r in rows}
    needed = reviewers_needed()
    _flag_the_workflow(rows, _panel_counts(ids, by_id, today), needed)
    _flag_the_conditions(ids, by_id, today)
    _flag_the_appeals(ids, by_id, user_id)
    return rows


# -- the provider's to-do list ------------------------------------------------------------
@dataclass
class ProviderActions:
    returned: list[tuple[Dossier, ScreeningNote | None]] = field(default_factory=list)
    conditions: list[tuple[Dossier, Condition]] = field(default_factory=list)
    appealable: list[tuple[Dossier, Decision]] = field(default_factory=list)
    revise: list[tuple[Dossier, Decision | None]] = field(default_factory=list)
    renewals: list[tuple[Dossier, Decision]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any((self.returned, self.conditions, self.appealable, self.revise, self.renewals))


def provider_actions(dossiers: list[Dossier], today: date) -> ProviderActions:
    """What the provider's members must do on ``dossiers`` (their organisation's), in five
    statements whatever their number."""
    actions = ProviderActions()
    by_id = {d.id: d for d in dossiers}
    if not by_id:
        return actions
    returned_ids = [d.id for d in dossiers if d.state == DossierState.RETURNED]
    notes: dict[int, ScreeningNote] = {}
    for note in db.session.execute(
        sa.select(ScreeningNote)
        .where(ScreeningNote.dossier_id.in_(returned_ids))
        .order_by(ScreeningNote.created_at, ScreeningNote.id)
    ).scalars():
        notes[note.dossier_id] = note  # the latest wins
    actions.returned = [(by_id[i], notes.get(i)) for i in returned_ids]

    # The decision in force on each dossier: the latest one not superseded on appeal.
    in_force: dict[int, Decision] = {}
    for decision in db.session.execute(
        sa.select(Decision)
        .where(Decision.dossier_id.in_(by_id), Decision.superseded_at.is_(None))
        .order_by(Decision.decided_at, Decision.id)
        .options(selectinload(Decision.conditions), selectinload(Decision.appeals))
    ).scalars():
        in_force[decision.dossier_id] = decision
    notice = (
        db.session.execute(
            sa.select(ReviewPolicy.renewal_notice_days).order_by(ReviewPolicy.id).limit(1)
        ).scalar()
        or ReviewPolicy.__table__.c.renewal_notice_days.default.arg
    )

    for dossier in dossiers:
        decision = in_force.get(dossier.id)
        if decision is None:
            continue
        if dossier.state != DossierState.WITHDRAWN:
            for condition in decision.conditions:
                if condition.state == ConditionState.OPEN:
                    actions.conditions.append((dossier, condition))
        if (
            dossier.state in APPEALABLE
            and decision.outcome.is_appealable
            and not decision.appeals
            and decision.appeal_deadline is not None
            and today <= decision.appeal_deadline
        ):
            actions.appealable.append((dossier, decision))
        if (
            dossier.state in APPROVED
            and decision.valid_until is not None
            and today <= decision.valid_until <= today + timedelta(days=notice)
        ):
            actions.renewals.append((dossier, decision))
    actions.revise = [
        (d, in_force.get(d.id)) for d in dossiers if d.state == DossierState.REVISE_AND_RESUBMIT
    ]
    actions.conditions.sort(key=lambda pair: pair[1].due_date)
    return actions
