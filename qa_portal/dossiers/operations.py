"""Dossier actions: create, save (with stale-save detection), evidence files, submit, withdraw.

Rules enforced here: only provider members of the owning organisation edit, and only in
``draft`` or ``returned``; a save based on an outdated copy is refused (``StaleObject``);
evidence files are plain PDFs by content (``pdf_check``), size-limited, stored under
generated names with their SHA-256; a dossier with completeness errors cannot be
submitted; submitting freezes an immutable version.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from qa_portal.accounts.models import AccountStatus, Role, User
from qa_portal.core import audit, signals, storage
from qa_portal.core.errors import InvalidInput, NotPermitted, StaleObject, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.dossiers import completeness, quota
from qa_portal.dossiers.diff import diff_snapshots
from qa_portal.dossiers.forms import new_key
from qa_portal.dossiers.models import (
    AssessmentComponent,
    AssessmentMethod,
    Dossier,
    DossierState,
    DossierVersion,
    EqfDomain,
    EvidenceFile,
    EvidenceKind,
    ExternalDecision,
    Issuance,
    LearningOutcome,
    Pacing,
    Participation,
    Prerequisite,
    PrerequisiteKind,
    QfEheaCycle,
    StackabilityEntry,
    Supervision,
)
from qa_portal.dossiers.pdf_check import check_pdf
from qa_portal.dossiers.snapshot import SCALAR_FIELDS, canonical, digest, dossier_to_dict
from qa_portal.dossiers.workflow import DOSSIER_MACHINE
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, officers

ENUM_FIELDS = {
    "qf_ehea_cycle": QfEheaCycle,
    "participation": Participation,
    "pacing": Pacing,
    "external_decision": ExternalDecision,
    "issuance": Issuance,
}


class IncompleteDossier(TransitionNotAllowed):
    """Submission refused because the completeness check reports errors."""

    def __init__(self, findings: list[completeness.Finding]):
        errors = completeness.errors(findings)
        super().__init__(
            "The dossier cannot be submitted yet: "
            + "; ".join(f.message.rstrip(".") for f in errors)
            + "."
        )
        self.findings = findings


def _require_member(actor: User, dossier: Dossier) -> None:
    if not dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may change this dossier.")


def require_editable(actor: User, dossier: Dossier) -> None:
    """Refuse changes by non-members (403) and outside ``draft``/``returned`` (409)."""
    _require_member(actor, dossier)
    if not dossier.is_editable:
        raise TransitionNotAllowed(
            f"This dossier is {dossier.state.label.lower()}; it can be edited only as a "
            "draft or after the QA body returned it."
        )


def create_dossier(actor: User, title: str) -> Dossier:
    """Start a draft dossier for the actor's provider organisation."""
    org = actor.organisation
    if not actor.has_role(Role.PROVIDER) or org is None:
        raise NotPermitted("Only provider members can create dossiers.")
    if org.status != AccountStatus.ACTIVE:
        raise TransitionNotAllowed("Your organisation is not active yet.")
    title = title.strip()
    if not title:
        raise InvalidInput("Give the title of the microcredential.")
    dossier = Dossier(
        organisation=org,
        title=title,
        country=org.country or "",
        created_by=actor,
        updated_by=actor,
        state=DossierState.DRAFT,
    )
    db.session.add(dossier)
    db.session.flush()
    audit.record(actor, "dossier.create", dossier, title=title)
    return dossier


def save_dossier(
    actor: User, dossier: Dossier, data: dict[str, Any], lock_version: Any
) -> list[str]:
    """Store the authoring form's data; refuse it if someone saved in between.

    ``data`` has the snapshot shape (``DossierForm.to_data``); ``lock_version`` is the
    version of the dossier the user started from. Returns the names of changed fields.
    """
    require_editable(actor, dossier)
    try:
        expected = int(lock_version)
    except (TypeError, ValueError):
        raise InvalidInput("The form is incomplete; reload the page and try again.") from None
    if expected != dossier.lock_version:
        raise StaleObject(stale_message(dossier))
    before = dossier_to_dict(dossier)
    _apply(dossier, data)
    dossier.updated_at = utcnow()
    dossier.updated_by = actor
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(stale_message(db.session.get(Dossier, dossier.id))) from None
    changes = diff_snapshots(before, dossier_to_dict(dossier))
    audit.record(actor, "dossier.save", dossier, changes=changes.summary())
    return changes.summary()


def stale_message(dossier: Dossier | None) -> str:
    who = dossier.updated_by.name if dossier and dossier.updated_by else "someone else"
    when = dossier.updated_at.strftime("%H:%M UTC") if dossier else ""
    return (
        f"Not saved: {who} saved this dossier at {when}, after you opened it. Your changes "
        "are still shown below; compare them with the current version and save again to "
        "keep yours."
    )


def _enum(cls, value):
    if value in (None, ""):
        return None
    try:
        return cls(value)
    except ValueError:
        raise InvalidInput(f"“{value}” is not a valid choice.") from None


def _apply(dossier: Dossier, data: dict[str, Any]) -> None:
    for name in SCALAR_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if name in ENUM_FIELDS:
            value = _enum(ENUM_FIELDS[name], value)
        elif isinstance(value, list):
            value = list(value)
        elif value is None and name not in {
            "eqf_level",
            "workload_hours",
            "ects",
            "duration_weeks",
        }:
            value = "" if name != "level_not_applicable" else False
        setattr(dossier, name, value)
    if dossier.eqf_level is not None and not 1 <= dossier.eqf_level <= 8:
        raise InvalidInput("The EQF level goes from 1 to 8.")
    if dossier.level_not_applicable:
        dossier.eqf_level = None

    if "outcomes" in data:
        existing = {o.key: o for o in dossier.outcomes}
        kept: list[LearningOutcome] = []
        for position, row in enumerate(data["outcomes"]):
            key = row.get("key") or new_key()
            outcome = existing.pop(key, None) or LearningOutcome(key=key)
            outcome.position = position
            outcome.statement = row.get("statement") or ""
            outcome.eqf_domain = _enum(EqfDomain, row.get("eqf_domain"))
            outcome.framework_name = row.get("framework_name") or ""
            outcome.framework_code = row.get("framework_code") or ""
            outcome.framework_url = row.get("framework_url") or ""
            kept.append(outcome)
        dossier.outcomes = kept
    by_key = {o.key: o for o in dossier.outcomes}
    if "assessments" in data:
        existing_a = {a.key: a for a in dossier.assessments}
        kept_a: list[AssessmentComponent] = []
        for position, row in enumerate(data["assessments"]):
            key = row.get("key") or new_key()
            component = existing_a.pop(key, None) or AssessmentComponent(key=key)
            component.position = position
            component.method = _enum(AssessmentMethod, row.get("method"))
            component.description = row.get("description") or ""
            component.weight = row.get("weight")
            component.supervision = _enum(Supervision, row.get("supervision"))
            component.pass_criteria = row.get("pass_criteria") or ""
            keys = dict.fromkeys(row.get("outcomes") or [])  # each once, in the order given
            component.outcomes = [by_key[k] for k in keys if k in by_key]
            kept_a.append(component)
        dossier.assessments = kept_a
    if "prerequisites" in data:
        dossier.prerequisites = [
            Prerequisite(
                position=i,
                kind=_enum(PrerequisiteKind, row.get("kind")),
                description=row.get("description") or "",
                related_reference=row.get("related_reference") or "",
            )
            for i, row in enumerate(data["prerequisites"])
            if row.get("kind") or row.get("description") or row.get("related_reference")
        ]
    if "stackability" in data:
        dossier.stackability = [
            StackabilityEntry(
                position=i,
                qualification=row.get("qualification") or "",
                awarding_body=row.get("awarding_body") or "",
                credits=row.get("credits"),
            )
            for i, row in enumerate(data["stackability"])
            if row.get("qualification") or row.get("awarding_body") or row.get("credits")
        ]


# -- evidence files -----------------------------------------------------------------------
def add_evidence_file(
    actor: User, dossier: Dossier, kind: str, filename: str | None, data: bytes
) -> EvidenceFile:
    """Store an evidence PDF under a generated name, with its SHA-256, within the
    organisation's storage quota. The file gets its name when the transaction commits
    (``storage.stage_bytes``): a failed request leaves no file and no row."""
    require_editable(actor, dossier)
    evidence_kind = _enum(EvidenceKind, kind)
    if evidence_kind is None:
        raise InvalidInput("Choose the type of evidence.")
    limit = current_app.config["EVIDENCE_MAX_BYTES"]
    if len(data) > limit:
        raise InvalidInput(
            f"The file is larger than {storage.megabytes(limit)}, the limit for evidence files; "
            "please compress the PDF or split it."
        )
    if not data:
        raise InvalidInput("The file is empty.")
    check_pdf(data)
    name = storage.display_name(filename)
    if not name.lower().endswith(".pdf"):
        name = name.rsplit(".", 1)[0] + ".pdf" if "." in name else name + ".pdf"
    quota.reserve_storage(dossier.organisation_id, size=len(data), files=1)
    stored = storage.stage_bytes(data, kind="uploads", extension="pdf")
    return _record_evidence(actor, dossier, evidence_kind, name, stored)


def _record_evidence(
    actor: User,
    dossier: Dossier,
    evidence_kind: EvidenceKind,
    name: str,
    stored: storage.StoredFile,
) -> EvidenceFile:
    evidence = EvidenceFile(
        dossier=dossier,
        kind=evidence_kind,
        original_name=name,
        stored_name=stored.stored_name,
        sha256=stored.sha256,
        size=stored.size,
        uploaded_by=actor,
    )
    db.session.add(evidence)
    db.session.flush()
    audit.record(
        actor,
        "dossier.file_upload",
        dossier,
        file_id=evidence.id,
        kind=evidence_kind.value,
        name=name,
        sha256=stored.sha256,
        size=stored.size,
    )
    return evidence


def remove_evidence_file(actor: User, dossier: Dossier, evidence: EvidenceFile) -> list[int]:
    """Take a file out of the draft. A file that submitted versions refer to stays stored
    for them (marked removed); any other is deleted with its row, the file itself once the
    transaction commits (a rollback keeps both). Returns the numbers of those versions."""
    require_editable(actor, dossier)
    if evidence.dossier_id != dossier.id or evidence.removed_at is not None:
        raise InvalidInput("This file is not part of the dossier.")
    versions = versions_with_file(dossier, evidence)
    audit.record(
        actor,
        "dossier.file_remove",
        dossier,
        file_id=evidence.id,
        sha256=evidence.sha256,
        kept_for_versions=versions,
    )
    if versions:
        evidence.removed_at = utcnow()
    else:
        dossier.files.remove(evidence)  # delete-orphan: the row goes at the flush
        storage.delete_after_commit(evidence.stored_name, kind="uploads")
        db.session.flush()
    return versions


def versions_with_file(dossier: Dossier, evidence: EvidenceFile) -> list[int]:
    """The numbers of the dossier's submitted versions that list ``evidence``."""
    return [
        version.number
        for version in dossier.versions
        if any(f.get("id") == evidence.id for f in version.snapshot.get("files", ()))
    ]


def record_download(actor: User, dossier: Dossier, evidence: EvidenceFile) -> None:
    """Downloads by QA staff and reviewers are sensitive actions: audit them."""
    if actor.is_staff or not dossier.is_member(actor):
        audit.record(
            actor, "dossier.file_download", dossier, file_id=evidence.id, sha256=evidence.sha256
        )


# -- submission ---------------------------------------------------------------------------
def submit_action(dossier: Dossier) -> str:
    """The state-machine action a submission is: ``resubmit`` after a return."""
    return "resubmit" if dossier.state == DossierState.RETURNED else "submit"


def submit_dossier(actor: User, dossier: Dossier, lock_version: Any = None) -> DossierVersion:
    """Freeze the dossier as a new immutable version and move it to ``submitted``.

    Refused when the completeness check reports errors, when the dossier changed since
    the user reviewed it (``lock_version``), or when the state does not allow it.
    """
    _require_member(actor, dossier)
    action = submit_action(dossier)
    DOSSIER_MACHINE.check(dossier, action, "provider")
    if lock_version not in (None, "") and str(lock_version) != str(dossier.lock_version):
        raise StaleObject(
            "The dossier was changed after you opened this page; review it again, then submit."
        )
    data = dossier_to_dict(dossier)
    findings = completeness.check(data)
    if completeness.errors(findings):
        raise IncompleteDossier(findings)
    number = (
        db.session.execute(
            sa.select(sa.func.max(DossierVersion.number)).where(
                DossierVersion.dossier_id == dossier.id
            )
        ).scalar()
        or 0
    ) + 1
    version = DossierVersion(
        dossier=dossier,
        number=number,
        submitted_by=actor,
        snapshot_json=canonical(data),
        sha256=digest(data),
    )
    db.session.add(version)
    dossier.submitted_at = utcnow()
    # Reviews puts the version into its round (sets round_number) before it is stored.
    signals.dossier_submitted.send(dossier, version=version)
    try:
        # The optimistic lock also catches a save that landed after we read the dossier:
        # the frozen snapshot must be exactly what was checked.
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleObject(
            "The dossier was changed while you were submitting it; review it again, then submit."
        ) from None
    DOSSIER_MACHINE.fire(
        dossier,
        action,
        actor=actor,
        role="provider",
        version=number,
        round=version.round_number,
        version_sha256=version.sha256,
        warnings=len(completeness.warnings(findings)),
    )
    notify(
        officers(),
        "submitted",
        f"{'Resubmitted' if action == 'resubmit' else 'New dossier'}: {dossier.reference}",
        f"{dossier.organisation.name} submitted version {number} of “{dossier.title}” "
        f"(round {version.round_number}). Take it up for screening.",
        "cases.show",
        dossier_id=dossier.id,
    )
    return version
