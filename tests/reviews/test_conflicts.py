"""Conflicts of interest (spec section 4): a reviewer who is a member of the provider, whose
e-mail domain is the provider's, or who declared an affiliation with the provider in the last
three years is excluded from the suggestions with the reason, cannot be invited (whatever the
form sends), cannot accept, and blocks the opening of the review."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews import conflicts, invitations, profiles
from qa_portal.reviews.models import (
    AssignmentState,
    ReviewAssignment,
    ReviewerAffiliation,
    ReviewerProfile,
)
from tests.builders import Case
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, row_of, text


def years_ago(years: int) -> date:
    today = clock.today()
    return today.replace(year=today.year - years, day=min(today.day, 28))


def affiliated(user, org_name: str, *, end: date | None, organisation=None) -> None:
    profile = profiles.ensure_profile(user)
    profile.affiliations.append(
        ReviewerAffiliation(
            organisation_name=org_name,
            organisation_id=organisation.id if organisation else None,
            role="Lecturer",
            start_date=date(2010, 1, 1),
            end_date=end,
        )
    )
    commit()


# Each rule: how to make the conflicted reviewer, and the reason QA must see.
def member(make_user, people):
    return make_user(Role.REVIEWER, org=people.org_a, email="mia@elsewhere.example"), (
        "Member of the provider organisation (Provider A)."
    )


def same_domain(make_user, people):
    return make_user(Role.REVIEWER, email="dora@provider-a.example"), (
        "E-mail address in the provider's domain (provider-a.example)."
    )


def subdomain(make_user, people):
    return make_user(Role.REVIEWER, email="sam@cs.Provider-A.example"), (
        "E-mail address in the provider's domain (provider-a.example)."
    )


def affiliation_ongoing_by_name(make_user, people):
    user = make_user(Role.REVIEWER, email="olga@elsewhere.example")
    affiliated(user, "provider a", end=None)  # matched by name, whatever the case
    return user, "Declared affiliation with Provider A in the last 3 years (Lecturer, ongoing)."


def affiliation_ended_two_years_ago_by_link(make_user, people):
    user = make_user(Role.REVIEWER, email="lena@elsewhere.example")
    end = years_ago(2)
    # Declared under the organisation's former name: the link decides.
    affiliated(user, "Old College of A", end=end, organisation=people.org_a)
    return (
        user,
        "Declared affiliation with Provider A in the last 3 years "
        f"(Lecturer, until {end:%d %b %Y}).",
    )


RULES = [
    member,
    same_domain,
    subdomain,
    affiliation_ongoing_by_name,
    affiliation_ended_two_years_ago_by_link,
]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_conflicted_reviewer_is_excluded_and_cannot_be_invited(
    rule, client, login, people, make_user, screening, unchanged
):
    dossier = screening()
    reviewer, reason = rule(make_user, people)
    login(client, people.officer)

    page = client.get(f"/dossiers/{dossier.id}/panel/")
    assert page.status_code == 200
    assert reason in row_of(page, "Excluded", reviewer.name)
    assert row_of(page, "Suggested reviewers", reviewer.name) is None
    assert row_of(page, "Suggested reviewers", people.reviewer.name) is not None

    check = unchanged()
    # A crafted POST with the conflicted reviewer's id: refused with the reason.
    r = client.post(f"/dossiers/{dossier.id}/panel/invite", data={"reviewer_id": reviewer.id})
    assert r.status_code == 403
    assert reason in text(r)
    r = client.post(
        f"/dossiers/{dossier.id}/panel/invite", data={"reviewer_id": reviewer.id}, headers=JSON
    )
    assert r.status_code == 403
    assert r.json["error"] == "forbidden" and reason in r.json["message"]
    check()
    assert "review_assignment.invite" not in audit_actions()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewAssignment)) == 0


def test_affiliation_ended_four_years_ago_no_longer_conflicts(
    client, login, people, make_user, screening
):
    dossier = screening()
    reviewer = make_user(Role.REVIEWER, email="vera@elsewhere.example", name="Vera Veteran")
    affiliated(reviewer, "Provider A", end=years_ago(4), organisation=people.org_a)
    login(client, people.officer)
    page = client.get(f"/dossiers/{dossier.id}/panel/")
    assert row_of(page, "Suggested reviewers", "Vera Veteran") is not None
    assert row_of(page, "Excluded", "Vera Veteran") is None
    r = client.post(f"/dossiers/{dossier.id}/panel/invite", data={"reviewer_id": reviewer.id})
    assert r.status_code == 302
    assert "review_assignment.invite" in audit_actions()


def test_other_providers_do_not_conflict(people, make_user, screening):
    dossier = screening()
    reviewer = make_user(Role.REVIEWER, org=people.org_b)
    affiliated(reviewer, "Provider B", end=None, organisation=people.org_b)
    assert conflicts.conflict_reasons(reviewer, dossier) == []


def _become_conflicted(how, reviewer, people):
    if how == "affiliation":
        affiliated(reviewer, "Provider A", end=None)
        return "Declared affiliation with Provider A"
    if how == "email":
        reviewer.email = "rita@provider-a.example"
        commit()
        return "E-mail address in the provider's domain"
    reviewer.organisation = people.org_a
    commit()
    return "Member of the provider organisation"


@pytest.mark.parametrize("how", ["affiliation", "email", "membership"])
def test_accepting_is_refused_when_a_conflict_appeared_after_the_invitation(
    how, client, login, people, screening, unchanged
):
    dossier = screening()
    assignment = invitations.invite_reviewer(people.officer, dossier, people.reviewer)
    commit()
    reason = _become_conflicted(how, people.reviewer, people)
    login(client, people.reviewer)
    check = unchanged()
    url = f"/reviews/assignments/{assignment.id}/accept"
    r = client.post(url, data={"no_conflict": "y"})
    assert r.status_code == 403
    assert reason in text(r)
    r = client.post(url, data={"no_conflict": "y"}, headers=JSON)
    assert r.status_code == 403 and reason in r.json["message"]
    check()
    db.session.refresh(assignment)
    assert assignment.state == AssignmentState.INVITED


def test_opening_the_review_is_refused_when_an_accepted_reviewer_became_conflicted(
    client, login, people, panel, screening, unchanged
):
    dossier = screening()
    Case(dossier, officer=people.officer, reviewers=panel[:2]).accept()
    affiliated(panel[1], "Provider A", end=None)
    login(client, people.officer)
    check = unchanged()
    r = client.post(f"/dossiers/{dossier.id}/panel/open", headers=JSON)
    assert r.status_code == 409
    assert "Reviewer 2 now has a conflict of interest" in r.json["message"]
    assert "Declared affiliation with Provider A" in r.json["message"]
    r = client.post(f"/dossiers/{dossier.id}/panel/open")
    assert r.status_code == 409 and b"Reviewer 2 now has a conflict" in r.data
    check()
    db.session.refresh(dossier)
    assert dossier.state == DossierState.SCREENING
    assert dossier.current_round.rubric is None


def test_profile_keeps_the_organisation_link_when_the_organisation_is_renamed(
    people, make_user, screening
):
    """An affiliation declared by name is linked to the registered organisation, so the
    conflict still holds after the organisation changes its name."""
    dossier = screening()
    reviewer = make_user(Role.REVIEWER, email="nico@elsewhere.example")
    profiles.save_reviewer_profile(
        reviewer,
        reviewer,
        bio="",
        isced_codes=[],
        keywords=[],
        affiliations=[{"organisation_name": "Provider A", "start_date": date(2020, 1, 1)}],
    )
    commit()
    people.org_a.name = "Provider A University"
    commit()
    reasons = conflicts.conflict_reasons(reviewer, dossier)
    assert reasons and "Declared affiliation with Provider A University" in reasons[0]
    # Saving the profile again (the form sends the old name only) keeps the link.
    profiles.save_reviewer_profile(
        reviewer,
        reviewer,
        bio="Cloud engineer",
        isced_codes=[],
        keywords=[],
        affiliations=[{"organisation_name": "Provider A", "start_date": date(2020, 1, 1)}],
    )
    commit()
    profile = db.session.scalar(
        sa.select(ReviewerProfile).where(ReviewerProfile.user_id == reviewer.id)
    )
    assert profile.affiliations[0].organisation_id == people.org_a.id
    assert conflicts.conflict_reasons(reviewer, dossier)
