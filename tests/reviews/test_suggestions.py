"""Panel suggestions (spec section 4, "Panel"): conflict-free active reviewers ranked by
expertise match (exact ISCED-F field before broad field, keyword overlap with the dossier's
keywords and title), then by current load; those already on the panel are listed apart."""

from __future__ import annotations

from qa_portal.accounts.models import AccountStatus, Role
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reviews import conflicts, invitations, profiles
from qa_portal.reviews.models import ReviewerProfile
from tests.builders import Case
from tests.reviews.helpers import row_of, rows


def reviewer(make_user, name, codes=(), keywords=(), **kwargs):
    user = make_user(Role.REVIEWER, name=name, **kwargs)
    db.session.add(ReviewerProfile(user=user, isced_codes=list(codes), keywords=list(keywords)))
    commit()
    return user


def test_ranked_by_expertise_then_load(client, login, people, make_user, make_dossier, screening):
    # The dossier: ISCED-F 0613, keywords cloud computing / DevOps / Kubernetes,
    # title "Cloud-Native Operations".
    dossier = screening()
    exact = reviewer(make_user, "Eva Exact", ["0613"])
    busy = reviewer(make_user, "Bob Busy", ["0613"])
    broad = reviewer(make_user, "Bea Broad", ["0612"])
    words = reviewer(make_user, "Kim Keywords", ["0413"], ["kubernetes", "cloud"])
    reviewer(make_user, "Nina Nomatch", ["0111"], ["pedagogy"])
    reviewer(make_user, "Ian Inactive", ["0613"], status=AccountStatus.DISABLED)
    # Bob already reviews another dossier: one open assignment.
    other = make_dossier(people.provider_b, submit=True, title="Data Engineering")
    Case(other, officer=people.officer, reviewers=[busy]).invite()

    candidates, excluded = conflicts.suggest_reviewers(dossier, dossier.current_round)
    names = [c.reviewer.name for c in candidates]
    assert names[:4] == [exact.name, busy.name, words.name, broad.name]
    assert [c.load for c in candidates[:2]] == [0, 1]
    assert set(names[4:]) == {"Nina Nomatch", people.reviewer.name}
    assert "Ian Inactive" not in names + [c.reviewer.name for c in excluded]

    login(client, people.officer)
    page = client.get(f"/dossiers/{dossier.id}/panel/")
    shown = [r for r in rows(page, "Suggested reviewers")[1:]]  # without the header row
    assert [next(n for n in names if n in r) for r in shown] == names
    assert "field 0613" in row_of(page, "Suggested reviewers", exact.name)
    assert "broad field" in row_of(page, "Suggested reviewers", broad.name)
    assert "kubernetes" in row_of(page, "Suggested reviewers", words.name)
    assert "no match" in row_of(page, "Suggested reviewers", "Nina Nomatch")
    assert row_of(page, "Suggested reviewers", "Ian Inactive") is None
    assert row_of(page, "Excluded", "Ian Inactive") is None


def test_reviewers_already_on_the_panel_are_listed_with_their_state(
    client, login, people, make_user, screening
):
    dossier = screening()
    invited = reviewer(make_user, "Ivy Invited", ["0613"])
    declined = reviewer(make_user, "Dan Declined", ["0613"])
    invitations.invite_reviewer(people.officer, dossier, invited)
    a = invitations.invite_reviewer(people.officer, dossier, declined)
    invitations.decline_invitation(declined, a, "No time this month.")
    commit()
    login(client, people.officer)
    page = client.get(f"/dossiers/{dossier.id}/panel/")
    assert "Already on this round's panel (invited)" in row_of(page, "Excluded", "Ivy Invited")
    assert "Already on this round's panel (declined)" in row_of(page, "Excluded", "Dan Declined")
    assert row_of(page, "Suggested reviewers", "Ivy Invited") is None
    assert row_of(page, "Suggested reviewers", people.reviewer.name) is not None


def test_the_number_of_queries_does_not_grow_with_the_pool(people, make_user, screening):
    """2,000 reviewers are planned for: the suggestions cost a fixed number of queries."""
    from datetime import date

    from qa_portal.reviews.models import ReviewerAffiliation
    from tests.dossiers.helpers import count_queries

    dossier = screening()

    def add(n):
        for i in range(n):
            user = reviewer(make_user, f"Pool {i}", ["0613"], ["DevOps"])
            profile = profiles.ensure_profile(user)
            profile.affiliations.append(
                ReviewerAffiliation(organisation_name="Elsewhere", start_date=date(2020, 1, 1))
            )
        commit()

    def queries():
        db.session.expire_all()
        with count_queries() as n:
            candidates, _ = conflicts.suggest_reviewers(dossier, dossier.current_round)
        return n[0], len(candidates)

    add(2)
    few, found = queries()
    add(6)
    many, found_more = queries()
    assert found_more == found + 6
    assert many == few
