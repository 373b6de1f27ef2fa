"""``flask demo``: apply the migrations and create demonstration data (idempotent).

Creates the QA body with a QA admin and officers, four reviewers with expertise, two
provider organisations with members, and dossiers in several states; prints the logins.
"""

from __future__ import annotations

from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from weasyprint import HTML

from qa_portal.accounts import operations as accounts
from qa_portal.accounts import queries
from qa_portal.accounts.models import OrgKind, Role, User
from qa_portal.core.db import commit
from qa_portal.demo_data import complete_dossier_data
from qa_portal.demo_decisions import APPEALS_MEMBERS, COMMITTEE_MEMBERS, seed_procedure
from qa_portal.demo_workflow import seed_workflow
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.forms import new_key
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews.models import ReviewerAffiliation, ReviewerProfile

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed demo login

QA_BODY = {
    "name": "European Microcredential Quality Agency",
    "domain": "emqa.eu",
    "country": "BE",
    "website": "https://emqa.eu",
}
PROVIDERS = [
    {
        "name": "University of Northbridge",
        "domain": "northbridge.ie",
        "country": "IE",
        "website": "https://www.northbridge.ie",
    },
    {
        "name": "Digital Skills Academy",
        "domain": "dsacademy.eu",
        "country": "NL",
        "website": "https://dsacademy.eu",
    },
]
STAFF = [
    ("admin@emqa.eu", "Alex Admin", [Role.QA_ADMIN]),
    ("officer@emqa.eu", "Olivia Officer", [Role.QA_OFFICER]),
    ("officer2@emqa.eu", "Oscar Officer", [Role.QA_OFFICER]),
]
PROVIDER_MEMBERS = [
    ("provider@northbridge.ie", "Priya Provider", "University of Northbridge"),
    ("colleague@northbridge.ie", "Colm Colleague", "University of Northbridge"),
    ("provider@dsacademy.eu", "Dana Dekker", "Digital Skills Academy"),
]
REVIEWERS = [
    (
        "reviewer1@uni-tartu.example",
        "Riina Tamm",
        ["0613", "0612"],
        ["software engineering", "cloud computing", "DevOps"],
        "Associate professor of software engineering; external reviewer since 2018.",
        [("University of Tartu", "Associate professor", date(2015, 9, 1), None)],
    ),
    (
        "reviewer2@polimi.example",
        "Marco Rossi",
        ["0613", "0541"],
        ["data science", "machine learning", "statistics"],
        "Lecturer in data science and member of two national QA panels.",
        [
            ("Politecnico di Milano", "Lecturer", date(2012, 1, 1), None),
            (
                "University of Northbridge",
                "Visiting researcher",
                date(2024, 1, 1),
                date(2024, 12, 31),
            ),
        ],
    ),
    (
        "reviewer3@hs-example.de",
        "Hanna Schulz",
        ["0413", "0417"],
        ["project management", "leadership", "work-based learning"],
        "Professor of management, expert in work-based learning and recognition of prior learning.",
        [("Hochschule Example", "Professor", date(2010, 10, 1), None)],
    ),
    (
        "reviewer4@student-reviewers.example",
        "Sam Student",
        ["0613", "0111"],
        ["digital education", "assessment", "student experience"],
        "Student reviewer nominated by the European Students' Union pool.",
        [("European Student Reviewers", "Student expert", date(2023, 1, 1), None)],
    ),
]


def _org(spec: dict, kind: OrgKind):
    existing = db.session.execute(
        db.select(accounts.Organisation).where(accounts.Organisation.name == spec["name"])
    ).scalar()
    return existing or accounts.create_organisation(None, kind=kind, **spec)


def _user(email: str, name: str, roles, organisation=None) -> User:
    user = queries.user_by_email(email)
    if user is None:
        user = accounts.create_user(
            None,
            email=email,
            name=name,
            roles=roles,
            organisation=organisation,
            password=DEMO_PASSWORD,
        )
    return user


def _pdf(title: str, body: str) -> bytes:
    html = f"<html><body style='font-family:sans-serif'><h1>{title}</h1><p>{body}</p></body></html>"
    return HTML(string=html).write_pdf()


def _dossier(member: User, title: str) -> tuple[Dossier, bool]:
    existing = db.session.execute(
        db.select(Dossier).where(
            Dossier.title == title, Dossier.organisation_id == member.organisation_id
        )
    ).scalar()
    if existing:
        return existing, False
    return dossiers.create_dossier(member, title), True


def _reviewers(orgs: dict) -> None:
    """The reviewers, each with a profile: expertise, biography and affiliations."""
    for email, name, codes, keywords, bio, affiliations in REVIEWERS:
        user = _user(email, name, [Role.REVIEWER])
        if (
            db.session.execute(
                db.select(ReviewerProfile).where(ReviewerProfile.user_id == user.id)
            ).scalar()
            is None
        ):
            profile = ReviewerProfile(user=user, bio=bio, isced_codes=codes, keywords=keywords)
            for org_name, role, start, end in affiliations:
                profile.affiliations.append(
                    ReviewerAffiliation(
                        organisation_name=org_name,
                        role=role,
                        start_date=start,
                        end_date=end,
                        organisation=orgs.get(org_name),
                    )
                )
            db.session.add(profile)


def _submit_with_evidence(
    member: User, dossier: Dossier, data: dict, names: tuple[str, str], pdfs: tuple[bytes, bytes]
) -> None:
    """Save ``data`` into the dossier, attach the curriculum and an assessment sample (as
    ``names``) and submit it."""
    dossiers.save_dossier(member, dossier, data, dossier.lock_version)
    dossiers.add_evidence_file(member, dossier, "curriculum", names[0], pdfs[0])
    dossiers.add_evidence_file(member, dossier, "assessment_sample", names[1], pdfs[1])
    dossiers.submit_dossier(member, dossier)


def _provider_dossiers(priya: User, dana: User, pdfs: tuple[bytes, bytes]) -> None:
    """A draft, and one submitted dossier from each provider."""
    draft, created = _dossier(priya, "Data Literacy for Public Servants")
    if created:
        dossiers.save_dossier(
            priya,
            draft,
            {
                "summary": "Short course on reading and questioning data in policy work.",
                "country": "IE",
                "participation": "online",
                "pacing": "self_paced",
                "workload_hours": 50,
                "ects": 2.0,
                "outcomes": [
                    {
                        "key": new_key(),
                        "statement": "Understand basic statistics.",
                        "eqf_domain": "knowledge",
                    }
                ],
            },
            draft.lock_version,
        )
    submitted, created = _dossier(priya, "Cloud-Native Operations")
    if created:
        data = complete_dossier_data("Cloud-Native Operations")
        _submit_with_evidence(
            priya, submitted, data, ("curriculum.pdf", "capstone-brief.pdf"), pdfs
        )
    second, created = _dossier(dana, "Applied Data Analysis with Python")
    if created:
        data = complete_dossier_data("Applied Data Analysis with Python")
        data.update(
            country="NL",
            isced_code="0542",
            web_page="https://dsacademy.eu/python",
            keywords=["data analysis", "Python", "statistics"],
            eqf_level=5,
            stackability=[],
            partners=[],
        )
        _submit_with_evidence(dana, second, data, ("syllabus.pdf", "exam.pdf"), pdfs)


def seed() -> None:
    qa_body = queries.qa_body() or accounts.create_organisation(
        None, kind=OrgKind.QA_BODY, **QA_BODY
    )
    orgs = {spec["name"]: _org(spec, OrgKind.PROVIDER) for spec in PROVIDERS}
    for email, name, roles in STAFF:
        _user(email, name, roles, qa_body)
    members = {
        email: _user(email, name, [Role.PROVIDER], orgs[org])
        for email, name, org in PROVIDER_MEMBERS
    }
    _reviewers(orgs)
    db.session.flush()

    pdfs = (
        _pdf("Curriculum", "Programme structure, weekly plan and learning activities."),
        _pdf("Assessment sample", "Capstone brief, rubric and a sample oral defence."),
    )
    _provider_dossiers(members["provider@northbridge.ie"], members["provider@dsacademy.eu"], pdfs)
    seed_workflow(pdfs)
    seed_procedure(pdfs, DEMO_PASSWORD)


@click.command("demo")
@click.option("--no-upgrade", is_flag=True, help="Do not apply migrations first.")
@with_appcontext
def demo_command(no_upgrade: bool) -> None:
    """Create demonstration data (safe to run again)."""
    if not no_upgrade:
        upgrade(directory=current_app.extensions["migrate"].directory)
    seed()
    commit()
    base = current_app.config.get("PUBLIC_BASE_URL") or "http://127.0.0.1:5000"
    click.echo(f"\nDemo data ready. Open {base}/ and sign in with password “{DEMO_PASSWORD}” as:")
    rows = [(e, n, "QA admin" if Role.QA_ADMIN in r else "QA officer") for e, n, r in STAFF]
    rows += [(e, n, f"provider member, {o}") for e, n, o in PROVIDER_MEMBERS]
    rows += [(e, n, "reviewer") for e, n, *_ in REVIEWERS]
    rows += [(e, n, "decision committee") for e, n in COMMITTEE_MEMBERS]
    rows += [(e, n, "appeals committee") for e, n in APPEALS_MEMBERS]
    for email, name, role in rows:
        click.echo(f"  {email:<38} {name:<30} {role}")
