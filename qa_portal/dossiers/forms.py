"""Dossier forms: the authoring form with its repeating groups, uploads, submit and withdraw.

Repeating groups are ``FieldList(FormField(...))``; rows are added and removed with
buttons that work without JavaScript (the page is sent back with the row added or
removed, nothing lost) and instantly with it (``static/js/dossier.js`` clones a template
row). Outcomes and assessments carry a stable hidden key that links an assessment to the
outcomes it assesses and lets the diff tell a reworded outcome from a new one.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pycountry
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from qa_portal.core.forms import (
    MultiCheckboxField,
    OptionalSelectField,
    choices,
    country_choices,
    strip_filter,
)
from qa_portal.dossiers import isced
from qa_portal.dossiers.models import (
    ISSUANCE_STANDARDS,
    AssessmentMethod,
    EqfDomain,
    EvidenceKind,
    ExternalDecision,
    Issuance,
    Pacing,
    Participation,
    PrerequisiteKind,
    QfEheaCycle,
    Supervision,
    label_of,
)
from qa_portal.dossiers.snapshot import SCALAR_FIELDS

KEY_RE = re.compile(r"^[a-f0-9]{12,32}$")
GROUPS = ("outcomes", "assessments", "prerequisites", "stackability")
MAX_ROWS = {"outcomes": 100, "assessments": 30, "prerequisites": 30, "stackability": 30}


def new_key() -> str:
    return uuid.uuid4().hex[:16]


def enum_choices(enum_cls, blank: str = "— choose —"):
    return choices([("", blank)] + [(m.value, label_of(m)) for m in enum_cls])


def _optional_url():
    return [
        Optional(),
        URL(message="Enter a full web address starting with https://"),
        Length(max=500),
    ]


class CreditsField(DecimalField):
    """A finite number with at most one decimal place (ECTS credits are stored as such).

    ``NaN``, ``sNaN`` and infinities are refused here: ``sNaN`` would otherwise crash the
    range validator, and the database would round a second decimal silently.
    """

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("places", 1)
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is None:
            return
        if not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))
        if self.data.as_tuple().exponent < -1 and self.data != self.data.quantize(Decimal("0.1")):
            self.data = None
            raise ValueError("Give at most one decimal place (for example 2.5).")


class OutcomeForm(Form):
    key = HiddenField()
    statement = TextAreaField(
        "Statement",
        validators=[Length(max=2000)],
        filters=[strip_filter],
        render_kw={"rows": 2, "placeholder": "Learners can analyse …"},
    )
    eqf_domain = OptionalSelectField("EQF domain", choices=enum_choices(EqfDomain))
    framework_name = StringField(
        "Framework",
        validators=[Length(max=200)],
        filters=[strip_filter],
        render_kw={"placeholder": "ESCO"},
    )
    framework_code = StringField("Item code", validators=[Length(max=200)], filters=[strip_filter])
    framework_url = URLField(
        "Item URL",
        validators=_optional_url(),
        filters=[strip_filter],
        render_kw={"placeholder": "http://data.europa.eu/esco/skill/…"},
    )


class AssessmentForm(Form):
    key = HiddenField()
    method = OptionalSelectField("Method", choices=enum_choices(AssessmentMethod))
    description = TextAreaField(
        "Description", validators=[Length(max=4000)], filters=[strip_filter], render_kw={"rows": 2}
    )
    weight = IntegerField(
        "Weight (%)",
        validators=[Optional(), NumberRange(0, 100)],
        render_kw={"min": 0, "max": 100, "inputmode": "numeric"},
    )
    supervision = OptionalSelectField(
        "Supervision and identity verification", choices=enum_choices(Supervision)
    )
    pass_criteria = TextAreaField(
        "Pass criteria",
        validators=[Length(max=2000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    outcomes = MultiCheckboxField("Outcomes assessed", choices=[])


class PrerequisiteForm(Form):
    kind = OptionalSelectField("Kind", choices=enum_choices(PrerequisiteKind))
    description = TextAreaField(
        "Description", validators=[Length(max=2000)], filters=[strip_filter], render_kw={"rows": 2}
    )
    related_reference = StringField(
        "Builds on (catalogue reference)",
        validators=[Length(max=40)],
        filters=[strip_filter],
        render_kw={"placeholder": "MC-00012"},
    )


class StackabilityForm(Form):
    qualification = StringField(
        "Qualification it counts towards", validators=[Length(max=300)], filters=[strip_filter]
    )
    awarding_body = StringField(
        "Awarding body", validators=[Length(max=300)], filters=[strip_filter]
    )
    credits = CreditsField("Credits recognised", validators=[Optional(), NumberRange(0, 400)])


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    parts = re.split(r"[,;\n]", value)
    seen: list[str] = []
    for part in parts:
        item = part.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def _check_languages(form, field) -> None:
    for code in _split(field.data):
        if len(code) != 2 or pycountry.languages.get(alpha_2=code.lower()) is None:
            raise ValidationError(
                f"“{code}” is not a two-letter ISO 639-1 language code (for example en, fr, de)."
            )


EQF_LEVELS = {str(i) for i in range(1, 9)}


class EqfLevelField(OptionalSelectField):
    """EQF level 1–8 or nothing chosen, with a message that says what is expected."""

    def pre_validate(self, form) -> None:
        if self.data not in ("", None) and self.data not in EQF_LEVELS:
            raise ValidationError(
                "Choose an EQF level from 1 to 8, or mark the level as not applicable."
            )


class DossierForm(FlaskForm):
    lock_version = HiddenField()

    # Identification
    title = StringField("Title", validators=[Length(max=300)], filters=[strip_filter])
    summary = TextAreaField(
        "Summary",
        validators=[Length(max=2000)],
        filters=[strip_filter],
        description="Two or three sentences for the catalogue.",
        render_kw={"rows": 3},
    )
    description = TextAreaField(
        "Full description",
        validators=[Length(max=20000)],
        filters=[strip_filter],
        render_kw={"rows": 6},
    )
    web_page = URLField("Programme web page", validators=_optional_url(), filters=[strip_filter])
    # Awarding body and issuer
    partners = TextAreaField(
        "Partner organisations",
        validators=[Length(max=4000)],
        filters=[strip_filter],
        description="Co-issuers and delivery platforms, one per line, e.g. "
        "“Open Learning Ltd (delivery platform)”.",
        render_kw={"rows": 2},
    )
    country = OptionalSelectField("Country of the issuer", choices=country_choices())
    region = StringField("Region", validators=[Length(max=200)], filters=[strip_filter])
    languages_instruction = StringField(
        "Languages of instruction",
        validators=[Length(max=200), _check_languages],
        filters=[strip_filter],
        description="ISO 639-1 codes separated by commas, e.g. en, fr.",
    )
    languages_assessment = StringField(
        "Languages of assessment",
        validators=[Length(max=200), _check_languages],
        filters=[strip_filter],
        description="ISO 639-1 codes separated by commas.",
    )
    # Field of study and level
    isced_code = OptionalSelectField(
        "Field of study (ISCED-F 2013)", choices=choices(isced.choices())
    )
    keywords = StringField(
        "Keywords",
        validators=[Length(max=1000)],
        filters=[strip_filter],
        description="Separated by commas.",
    )
    eqf_level = EqfLevelField(
        "EQF level",
        choices=choices([("", "— choose —")] + [(str(i), f"Level {i}") for i in range(1, 9)]),
    )
    level_not_applicable = BooleanField("The level is not applicable to this microcredential")
    national_level = StringField(
        "National framework level", validators=[Length(max=200)], filters=[strip_filter]
    )
    qf_ehea_cycle = OptionalSelectField(
        "QF-EHEA cycle", choices=enum_choices(QfEheaCycle, "— not relevant —")
    )
    # Workload and participation
    workload_hours = IntegerField(
        "Notional workload (hours)",
        validators=[Optional(), NumberRange(1, 20000)],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    ects = CreditsField(
        "ECTS credits",
        validators=[Optional(), NumberRange(0, 400)],
        render_kw={"inputmode": "decimal"},
    )
    duration_weeks = IntegerField(
        "Duration (weeks)",
        validators=[Optional(), NumberRange(1, 520)],
        render_kw={"min": 1, "inputmode": "numeric"},
    )
    participation = OptionalSelectField(
        "Form of participation", choices=enum_choices(Participation)
    )
    pacing = OptionalSelectField("Pacing", choices=enum_choices(Pacing))
    # Repeating groups
    outcomes = FieldList(FormField(OutcomeForm), min_entries=0, max_entries=MAX_ROWS["outcomes"])
    assessments = FieldList(
        FormField(AssessmentForm), min_entries=0, max_entries=MAX_ROWS["assessments"]
    )
    prerequisites = FieldList(
        FormField(PrerequisiteForm), min_entries=0, max_entries=MAX_ROWS["prerequisites"]
    )
    stackability = FieldList(
        FormField(StackabilityForm), min_entries=0, max_entries=MAX_ROWS["stackability"]
    )
    recognition_arrangements = TextAreaField(
        "Credit transfer and recognition arrangements",
        validators=[Length(max=8000)],
        filters=[strip_filter],
        render_kw={"rows": 3},
    )
    # Quality assurance
    internal_qa = TextAreaField(
        "Internal quality assurance",
        validators=[Length(max=8000)],
        filters=[strip_filter],
        description="The provider's own QA procedures for this microcredential (the EU "
        "element “type of quality assurance”).",
        render_kw={"rows": 4},
    )
    external_decision = OptionalSelectField(
        "External decision requested", choices=enum_choices(ExternalDecision)
    )
    earlier_reviews = TextAreaField(
        "Earlier external reviews",
        validators=[Length(max=8000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    # Information for learners
    target_audience = TextAreaField(
        "Target audience",
        validators=[Length(max=4000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    cost = StringField(
        "Cost",
        validators=[Length(max=200)],
        filters=[strip_filter],
        render_kw={"placeholder": "EUR 450, free for employees of …"},
    )
    grading_scheme = TextAreaField(
        "Grading scheme",
        validators=[Length(max=2000)],
        filters=[strip_filter],
        render_kw={"rows": 2},
    )
    issuance = OptionalSelectField("How the credential is issued", choices=enum_choices(Issuance))
    issuance_standards = MultiCheckboxField(
        "Standards used", choices=choices(ISSUANCE_STANDARDS.items())
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sync_keys()

    # -- rows -----------------------------------------------------------------------------
    def sync_keys(self) -> None:
        """Give new rows a key, and offer each assessment the outcomes now in the form."""
        for group in ("outcomes", "assessments"):
            seen: set[str] = set()
            for entry in getattr(self, group).entries:
                # a row copied with its key (or a forged one) gets its own: keys are unique
                if not KEY_RE.match(entry.form.key.data or "") or entry.form.key.data in seen:
                    entry.form.key.data = new_key()
                seen.add(entry.form.key.data)
        outcome_choices = choices(
            (entry.form.key.data, f"LO{i + 1}") for i, entry in enumerate(self.outcomes.entries)
        )
        valid = {c.value for c in outcome_choices}
        for entry in self.assessments.entries:
            entry.form.outcomes.choices = outcome_choices
            entry.form.outcomes.data = [k for k in entry.form.outcomes.data or [] if k in valid]

    def apply_row_action(self, action: str) -> str | None:
        """Handle ``add-<group>`` / ``remove-<group>-<n>``; return the anchor to show."""
        parts = action.split("-")
        if len(parts) >= 2 and parts[1] in GROUPS:
            group: FieldList = getattr(self, parts[1])
            if parts[0] == "add" and len(group.entries) < MAX_ROWS[parts[1]]:
                group.append_entry()
                self.sync_keys()
                return f"{parts[1]}-{group.entries[-1].id.rsplit('-', 1)[-1]}"
            if parts[0] == "remove" and len(parts) == 3 and parts[2].isdigit():
                index = int(parts[2])
                group.entries = [e for e in group.entries if e.id != f"{parts[1]}-{index}"]
                self.sync_keys()
                return parts[1]
        return None

    # -- data -----------------------------------------------------------------------------
    def to_data(self) -> dict[str, Any]:
        """The form content in the snapshot shape (without the awarding body and files)."""
        data: dict[str, Any] = {}
        for name in SCALAR_FIELDS:
            value = getattr(self, name).data
            if name in ("partners",):
                value = [line.strip() for line in (value or "").splitlines() if line.strip()]
            elif name in ("languages_instruction", "languages_assessment"):
                value = [c.lower() for c in _split(value)]
            elif name == "keywords":
                value = _split(value)
            elif name == "eqf_level":
                # also called on invalid forms (live check, re-rendering): never raise here
                value = int(value) if value in EQF_LEVELS else None
            elif isinstance(value, Decimal):
                value = float(value)
            elif value == "":
                value = "" if name not in _ENUM_FIELDS else None
            data[name] = value
        data["country"] = data["country"] or ""
        data["isced_code"] = data["isced_code"] or ""
        data["outcomes"] = [
            {
                "key": e.form.key.data,
                "statement": e.form.statement.data or "",
                "eqf_domain": e.form.eqf_domain.data or None,
                "framework_name": e.form.framework_name.data or "",
                "framework_code": e.form.framework_code.data or "",
                "framework_url": e.form.framework_url.data or "",
            }
            for e in self.outcomes.entries
        ]
        data["assessments"] = [
            {
                "key": e.form.key.data,
                "method": e.form.method.data or None,
                "description": e.form.description.data or "",
                "weight": e.form.weight.data,
                "supervision": e.form.supervision.data or None,
                "pass_criteria": e.form.pass_criteria.data or "",
                "outcomes": list(e.form.outcomes.data or []),
            }
            for e in self.assessments.entries
        ]
        data["prerequisites"] = [
            {
                "kind": e.form.kind.data or None,
                "description": e.form.description.data or "",
                "related_reference": (e.form.related_reference.data or "").upper(),
            }
            for e in self.prerequisites.entries
        ]
        data["stackability"] = [
            {
                "qualification": e.form.qualification.data or "",
                "awarding_body": e.form.awarding_body.data or "",
                "credits": float(e.form.credits.data) if e.form.credits.data is not None else None,
            }
            for e in self.stackability.entries
        ]
        return data

    @classmethod
    def form_data_from(cls, data: dict[str, Any]) -> dict[str, Any]:
        """Keyword ``data=`` for building the form from snapshot-shaped data."""
        values = dict(data)
        values["partners"] = "\n".join(data.get("partners") or [])
        for name in ("languages_instruction", "languages_assessment", "keywords"):
            values[name] = ", ".join(data.get(name) or [])
        values["eqf_level"] = str(data["eqf_level"]) if data.get("eqf_level") else ""
        for name in _ENUM_FIELDS:
            values[name] = data.get(name) or ""
        values["outcomes"] = [
            {**o, "eqf_domain": o.get("eqf_domain") or ""} for o in data.get("outcomes") or []
        ]
        values["assessments"] = [
            {**a, "method": a.get("method") or "", "supervision": a.get("supervision") or ""}
            for a in data.get("assessments") or []
        ]
        values["prerequisites"] = [
            {**p, "kind": p.get("kind") or ""} for p in data.get("prerequisites") or []
        ]
        return values


_ENUM_FIELDS = {"qf_ehea_cycle", "participation", "pacing", "external_decision", "issuance"}


class NewDossierForm(FlaskForm):
    title = StringField(
        "Title of the microcredential",
        validators=[DataRequired(), Length(max=300)],
        filters=[strip_filter],
    )


class UploadForm(FlaskForm):
    kind = OptionalSelectField(
        "Type of evidence",
        choices=enum_choices(EvidenceKind),
        validators=[DataRequired(message="Choose the type of evidence.")],
    )
    file = FileField("PDF file", validators=[FileRequired(message="Choose a PDF file.")])


class ConfirmForm(FlaskForm):
    lock_version = HiddenField()


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        "Reason (optional)", validators=[Length(max=2000)], filters=[strip_filter]
    )
