"""Anonymity (product spec section 4): providers never learn who reviewed.

One dossier goes through the whole workflow — submitted, screened, returned, resubmitted,
reviewed with divergent scores, decided "revise and resubmit", appealed, upheld, revised,
reviewed again, approved with conditions, evidence submitted and verified, renewal
started, withdrawn — and everything its provider can receive on the way is collected:
every page (dossier page in every state, version, edit, submit and appeal pages, inbox),
the JSON answers of the provider's actions, the downloads' file names and headers, every
inbox notification and every e-mail addressed to the provider's members. None of it may
contain a reviewer's name, e-mail address, or the name of their organisation or of the
organisations in their reviewer profile.
"""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.mail import OutboxMessage, build_message
from qa_portal.decisions import operations as decisions
from qa_portal.dossiers import operations as dossiers
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews import invitations, profiles
from qa_portal.reviews.models import ReviewerAffiliation, ReviewerProfile
from tests.builders import Case
from tests.helpers import page_text, pdf_bytes

from .helpers import GROUNDS

JSON = {"Accept": "application/json"}


def _reviewer(make_user, make_org, name, email, org_name, affiliation):
    org = make_org(org_name, domain=email.split("@")[1])
    user = make_user(Role.REVIEWER, org=org, email=email, name=name)
    profile = ReviewerProfile(user=user, isced_codes=["0613"], keywords=["DevOps"])
    profile.affiliations.append(
        ReviewerAffiliation(
            organisation_name=affiliation,
            role="Adjunct professor",
            start_date=clock.today() - timedelta(days=2000),
        )
    )
    db.session.add(profile)
    commit()
    return user


def test_providers_never_learn_who_reviewed(
    client, login, app, people, make_user, make_org, make_dossier, officer2, appeals_member
):
    ingrid = _reviewer(
        make_user,
        make_org,
        "Ingrid Halvorsen",
        "ingrid.halvorsen@northwind-research.example",
        "Northwind Research Institute",
        "Contoso Polytechnic",
    )
    tomasz = _reviewer(
        make_user,
        make_org,
        "Tomasz Wieczorek",
        "t.wieczorek@fabrikam-uni.example",
        "Fabrikam University",
        "Tailspin Academy of Design",
    )
    aiko = _reviewer(  # invited, declines
        make_user,
        make_org,
        "Aiko Tanaka",
        "aiko.tanaka@woodgrove-labs.example",
        "Woodgrove Laboratories",
        "Litware Graduate School",
    )
    reviewers = [ingrid, tomasz, aiko]
    secrets = set()
    for r in reviewers:
        secrets |= {r.name, r.name.split()[-1], r.email, r.email.split("@")[0]}
        secrets.add(r.organisation.name)
        secrets |= {a.organisation_name for a in profiles.profile_of(r).affiliations}
    colleague = make_user(Role.PROVIDER, org=people.org_a, name="Carla Colleague")
    members = [people.provider_a, colleague]
    officer, provider = people.officer, people.provider_a

    collected: list[tuple[str, str]] = []

    def keep(label: str, response) -> None:
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        if response.mimetype == "application/pdf":  # a download: its name, headers, bytes
            body = response.get_data().decode("latin-1")
        else:
            body = page_text(response)
        collected.append((label, headers + "\n" + body))
        response.close()

    def as_provider(label: str, path: str, method: str = "GET", **kwargs):
        login(client, provider)
        response = client.open(path, method=method, **kwargs)
        assert response.status_code < 400, (label, response.status_code)
        keep(label, response)
        return response

    dossier = make_dossier(provider, title="Site Reliability Engineering")
    base = f"/dossiers/{dossier.id}"

    def pages(label: str) -> None:
        as_provider(f"{label}: dossier page", base)
        as_provider(f"{label}: inbox", "/inbox/")
        for version in dossier.versions:
            as_provider(f"{label}: version {version.number}", f"{base}/versions/{version.number}")

    case = Case(dossier, officer=officer, provider=provider, reviewers=reviewers)

    def round_of_reviews(overrides):
        case.open()  # the invited accept (Aiko declined)
        pages("in review")
        for override in overrides:
            case.submit_reviews([override], only=1)
            pages("review submitted")
        assert case.stage == "reviewed"  # one review for each reviewer who accepted

    # -- draft and submission ------------------------------------------------------------
    as_provider("draft: submit page", f"{base}/submit")
    as_provider("draft: live check (JSON)", f"{base}/check", "POST", data={})
    as_provider("submit", f"{base}/submit", "POST", data={}, follow_redirects=True)
    pages("submitted")

    # -- screening, panel, return with a note, resubmission -------------------------------
    case.take_up().invite()
    invitation = next(a for a in dossier.current_round.assignments if a.reviewer_id == aiko.id)
    invitations.decline_invitation(aiko, invitation, "Aiko Tanaka has no time this month.")
    commit()
    pages("screening with panel")
    case.return_to_provider("Add the staff profiles, please.")
    pages("returned")
    as_provider("returned: edit page", f"{base}/edit")
    as_provider("returned: submit page", f"{base}/submit")
    as_provider("resubmit", f"{base}/submit", "POST", data={}, follow_redirects=True)
    case.take_up()

    # -- round 1: divergent scores, moderation, revise and resubmit ------------------------
    round_of_reviews([{2: 1}, {2: 4}])
    case.moderate("Reviewer 1 missed the oral.")  # criterion 2
    case.decide("revise_and_resubmit", rationale="Strengthen the assessment.")
    pages("revise and resubmit")

    # -- appeal, upheld ---------------------------------------------------------------------
    as_provider("appeal page", f"{base}/appeal")
    answer = as_provider(
        "appeal (JSON)", f"{base}/appeal", "POST", data={"grounds": GROUNDS}, headers=JSON
    )
    assert answer.get_json()["state"] == "appeal"
    pages("under appeal")
    appeal = decisions.latest_decision(dossier).appeals[0]
    decisions.decide_appeal(appeals_member, appeal, uphold=True, rationale="The panel was right.")
    commit()
    pages("appeal upheld")

    # -- revision, round 2 with the same reviewers, approval with conditions ----------------
    as_provider("start revision (JSON)", f"{base}/start-revision", "POST", headers=JSON)
    dossiers.save_dossier(
        provider, dossier, {"title": "Site Reliability Engineering II"}, dossier.lock_version
    )
    commit()
    as_provider("revision: edit page", f"{base}/edit")
    as_provider("revision: submit page", f"{base}/submit")
    as_provider("submit round 2", f"{base}/submit", "POST", data={}, follow_redirects=True)
    case.take_up()
    assert {a.reviewer_id for a in dossier.current_round.assignments} == {ingrid.id, tomasz.id}
    round_of_reviews([{}, {}])
    decision = case.decide(
        "approved_with_conditions",
        rationale="Approved; publish the grading scheme.",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": clock.today() + timedelta(30)}
        ],
        by=officer2,
    ).decision
    pages("approved with conditions")

    # -- conditions: evidence, downloads, verification -------------------------------------
    condition = decision.conditions[0]
    as_provider(
        "condition evidence (JSON)",
        f"{base}/conditions/{condition.id}/evidence",
        "POST",
        data={"note": "Published.", "files": [(io.BytesIO(pdf_bytes()), "grading.pdf")]},
        headers=JSON,
        content_type="multipart/form-data",
    )
    db.session.refresh(condition)
    as_provider(
        "condition evidence download",
        f"{base}/conditions/{condition.id}/files/{condition.files[0].id}",
    )
    for f in dossier.files:
        as_provider(f"evidence download {f.id}", f"{base}/files/{f.id}")
    decisions.verify_condition(officer, condition, met=True, note="Thank you.")
    commit()
    pages("conditions met")

    # -- renewal, then withdrawal of the renewal draft -------------------------------------
    as_provider("start renewal (JSON)", f"{base}/start-renewal", "POST", headers=JSON)
    pages("renewal draft")
    as_provider("withdraw page", f"{base}/withdraw")
    as_provider("withdraw", f"{base}/withdraw", "POST", data={"reason": ""}, follow_redirects=True)
    pages("withdrawn")

    # -- everything sent to the provider's members ------------------------------------------
    member_ids = [m.id for m in members]
    notes = (
        db.session.execute(sa.select(Notification).where(Notification.user_id.in_(member_ids)))
        .scalars()
        .all()
    )
    for n in notes:
        collected.append((f"notification {n.kind}", f"{n.title}\n{n.body}\n{n.url}"))
    mails = (
        db.session.execute(
            sa.select(OutboxMessage).where(OutboxMessage.recipient.in_([m.email for m in members]))
        )
        .scalars()
        .all()
    )
    with app.test_request_context():
        for m in mails:
            collected.append((f"e-mail {m.subject}", bytes(build_message(m)).decode()))

    # the walk really went everywhere and the reviews really reached the provider
    kinds = {n.kind for n in notes}
    assert {"returned", "decision", "appeal_decided", "condition_verified"} <= kinds
    assert {m.recipient for m in mails} == {m.email for m in members}
    assert any("Reviewer 1" in text and "Reviewer 2" in text for _, text in collected)
    assert any("Clear outcomes; strengthen the assessment" in text for _, text in collected)
    assert len(collected) > 80

    leaks = [
        (label, secret)
        for label, text in collected
        for secret in secrets
        if secret.lower() in text.lower()
    ]
    assert not leaks, leaks
