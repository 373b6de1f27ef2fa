"""A decided dossier built from scratch, for report tests that share their renders.

The session's function-scoped fixtures (``people``, ``workflow``) cannot serve a
module-scoped fixture, so this makes people of its own and takes their dossier along the
workflow with the workflow builder, with every piece of user text under the test's
control: the QA body's and the provider's names, the dossier's fields, the panel's names,
scores and comments, moderation notes, the decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from qa_portal.accounts.models import Organisation, OrgKind, Role, User
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions.models import Decision
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import Report, ReportVariant
from qa_portal.reviews import rubric as rubrics
from qa_portal.reviews.panel_enums import PanelDisclosure
from qa_portal.reviews.policy import current_policy
from tests.builders import Case, new_dossier
from tests.harness import PASSWORD_HASH, reset_database
from tests.helpers import pdf_bytes


@dataclass
class Spec:
    """What the world contains; every text a person typed is a field here."""

    qa_body: str = "European Microcredential Quality Agency"
    provider: str = "University of Northbridge"
    member: str = "Priya Provider"
    decider: str = "Olivia Officer"
    reviewers: list[tuple[str, str]] = field(
        default_factory=lambda: [
            ("Riina Tamm", "riina.tamm@uni-tartu.example"),
            ("Marco Rossi", "marco.rossi@polimi.example"),
        ]
    )
    dossier: dict[str, Any] = field(default_factory=dict)  # overrides of the complete dossier
    files: list[tuple[str, str]] = field(
        default_factory=lambda: [("curriculum", "curriculum.pdf"), ("assessment_sample", "s.pdf")]
    )
    # rubric criteria (title, guidance) for a new rubric version; None keeps the default
    rubric: list[tuple[str, str]] | None = None
    # scores[i] maps a criterion position to reviewer i's score (default 3)
    scores: list[dict[int, int]] = field(default_factory=list)
    criterion_comment: str = "Comment on criterion {position} by {alias}."
    comments_to_provider: str = "Clear outcomes; strengthen the assessment of LO3 ({alias})."
    confidential: str = "Confidential remark of {alias} for the QA body."
    recommendation: str = "approve_with_conditions"
    moderation: str = "Moderated: the panel agreed after discussing criterion {position}."
    general_note: str = ""
    outcome: str = "approved_with_conditions"
    rationale: str = "The microcredential meets the standards, subject to the conditions."
    conditions: list[str] = field(
        default_factory=lambda: ["Publish the grading rubric of the capstone project."]
    )
    # what the public report says of the panel (review policy): its members' names withheld
    # by default here, so that the anonymity tests can look for every name in the text
    panel_disclosure: str = "roles_types"


@dataclass
class World:
    spec: Spec
    dossier: Dossier
    decision: Decision
    member: User
    decider: User
    reviewers: list[User]


def _org(name: str, kind: OrgKind) -> Organisation:
    org = Organisation(
        name=name, kind=kind, domain=f"{uuid.uuid4().hex[:10]}.example", country="BE"
    )
    db.session.add(org)
    return org


def _user(name: str, email: str, role: Role, org: Organisation | None = None) -> User:
    user = User(
        email=email,
        name=name,
        organisation=org,
        password_hash=PASSWORD_HASH,
        auth_epoch=1,
    )
    user.grant(role)
    db.session.add(user)
    return user


def _email(local: str, domain: str) -> str:
    return f"{local}-{uuid.uuid4().hex[:6]}@{domain}.example"


def build(spec: Spec) -> World:
    """Take a dossier from draft to a decided round, as ``spec`` says."""
    body = _org(spec.qa_body, OrgKind.QA_BODY)
    provider = _org(spec.provider, OrgKind.PROVIDER)
    decider = _user(spec.decider, _email("officer", "agency"), Role.QA_OFFICER, body)
    admin = _user("Alex Admin", _email("admin", "agency"), Role.QA_ADMIN, body)
    member = _user(spec.member, f"member@{provider.domain}", Role.PROVIDER, provider)
    panel = [_user(name, email, Role.REVIEWER) for name, email in spec.reviewers]
    current_policy().panel_disclosure = PanelDisclosure(spec.panel_disclosure)
    commit()
    if spec.rubric:
        rubrics.revise_rubric(
            admin,
            [{"title": t, "guidance": g, "weight": 1} for t, g in spec.rubric],
            "Rubric for the report tests.",
        )

    fields = dict(spec.dossier)
    dossier = new_dossier(
        member,
        title=fields.pop("title", "Cloud-Native Operations"),
        files=[(kind, name, pdf_bytes(name)) for kind, name in spec.files],
        **fields,
    )
    case = Case(dossier, officer=decider, provider=member, reviewers=panel)
    case.submit_reviews(
        spec.scores,
        recommendation=spec.recommendation,
        comment=spec.criterion_comment,
        to_provider=spec.comments_to_provider,
        confidential=spec.confidential,
    )
    case.moderate(spec.moderation, general=spec.general_note)
    due = clock.today() + timedelta(days=90)
    case.decide(
        spec.outcome,
        rationale=spec.rationale,
        conditions=[
            {"text": text, "due_date": due + timedelta(days=7 * i)}
            for i, text in enumerate(spec.conditions)
        ]
        if spec.outcome == "approved_with_conditions"
        else None,
    )
    return World(spec, dossier, case.decision, member, decider, panel)


def render_both(world: World) -> dict[ReportVariant, tuple[Report, bytes]]:
    """Request and render (in-process, after the commit) both variants of the report."""
    result = {}
    for variant in ReportVariant:
        report = reports.request_report(world.decider, world.decision, variant)
        commit()
        db.session.refresh(report)
        assert report.is_ready, report.error
        result[variant] = (report, reports.read(report))
    return result


def forget() -> None:
    """Leave the database as the migrations do (a module fixture keeps only plain data)."""
    db.session.rollback()
    db.session.remove()
    reset_database()


@dataclass
class Rendered:
    """What a module's tests read: the PDFs, their rows as plain data, and the report
    content (``data.build``) they were rendered from. The database is empty again."""

    spec: Spec
    pdfs: dict[ReportVariant, bytes]
    reports: dict[ReportVariant, dict[str, Any]]
    content: dict[ReportVariant, dict[str, Any]]


def render_world(app, spec: Spec, variants=tuple(ReportVariant)) -> Rendered:
    """Build ``spec``'s world, render its reports, keep plain data and empty the database
    (for module-scoped fixtures, which outlive the per-test application context)."""
    from qa_portal.reports import data as report_data

    with app.app_context():
        try:
            world = build(spec)
            pdfs, rows, content = {}, {}, {}
            for variant in variants:
                report = reports.request_report(world.decider, world.decision, variant)
                commit()
                db.session.refresh(report)
                assert report.is_ready, report.error
                pdfs[variant] = reports.read(report)
                rows[variant] = {
                    name: getattr(report, name)
                    for name in ("id", "code", "number", "sha256", "revision", "filename")
                }
                content[variant] = report_data.build(report)
        finally:
            forget()
    return Rendered(spec, pdfs, rows, content)
