"""Each role's home page and navigation; the QA admin's dashboard; the reviewer's list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from qa_portal.accounts.models import AccountStatus, Role
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.reviews.invitations import invite_reviewer
from qa_portal.reviews.policy import update_policy
from qa_portal.reviews.rubric import current_rubric, revise_rubric


def _nav(html: str) -> list[str]:
    nav = html.split('<nav class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return [
        re.sub(r"<[^>]+>|\s+\d+$", "", label).strip()
        for label in re.findall(r"<a [^>]*>(.*?)</a>", nav, flags=re.S)
    ]


# the public pages every visitor has in the header: the catalogue, the register of
# reviews and the methodology (ESG 2.2, 2.6)
PUBLIC = ["Catalogue", "Register of reviews", "Methodology"]


@pytest.mark.parametrize(
    ("who", "home", "links"),
    [
        ("provider_a", "/dossiers/", [*PUBLIC, "My dossiers", "Complaints", "Inbox", "Account"]),
        ("reviewer", "/reviews/", [*PUBLIC, "My reviews", "Complaints", "Inbox", "Account"]),
        ("officer", "/dossiers/queue", [*PUBLIC, "Work queue", "Complaints", "Inbox", "Account"]),
        (
            "admin",
            "/admin/",
            [
                *PUBLIC,
                "Administration",
                "Users",
                "Rubric",
                "Policy",
                "Publication",
                "Organisations",
                "Registrations",
                "Complaints",
                "Inbox",
                "Account",
            ],
        ),
    ],
)
def test_each_role_lands_on_what_needs_their_action(client, login, people, who, home, links):
    login(client, getattr(people, who))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == home
    page = client.get(home)
    assert page.status_code == 200
    assert _nav(page.text) == links
    assert 'aria-current="page"' in page.text.split("</nav>", 1)[0]


def test_someone_with_several_roles_sees_each_roles_pages(client, login, make_user, people):
    both = make_user(Role.PROVIDER, Role.REVIEWER, org=people.org_b, name="Lecturer")
    login(client, both)
    assert client.get("/").headers["Location"] == "/dossiers/"
    assert _nav(client.get("/dossiers/").text)[3:5] == ["My dossiers", "My reviews"]
    staff = make_user(Role.QA_OFFICER, Role.QA_ADMIN, name="Lead")
    login(client, staff)
    assert client.get("/").headers["Location"] == "/dossiers/queue"
    assert _nav(client.get("/admin/").text)[3:5] == ["Work queue", "Administration"]


def test_the_reviewer_home_lists_invitations_and_overdue_reviews(
    client, login, people, workflow, panel
):
    invited = workflow.screening()
    a = invite_reviewer(people.officer, invited, people.reviewer)
    _, assignments = workflow.in_review(reviewers=[people.reviewer, panel[1]])
    assignments[0].review_due = clock.today() - timedelta(days=2)
    commit()
    login(client, people.reviewer)
    html = client.get(client.get("/").headers["Location"]).text
    invitations = html.split("Invitations waiting for your answer", 1)[1].split("</section>")[0]
    assert f"/reviews/assignments/{a.id}" in invitations
    to_write = html.split("Reviews to write", 1)[1].split("</section>")[0]
    assert f"/reviews/assignments/{assignments[0].id}/review" in to_write
    assert "overdue since" in to_write


# -- QA admin -----------------------------------------------------------------------------
def test_admin_dashboard_shows_registrations_accounts_rubric_and_policy(
    client, login, people, make_org, make_user
):
    pending_org = make_org("Pending College", status=AccountStatus.PENDING)
    applicant = make_user(
        Role.PROVIDER, org=pending_org, name="Paula Applicant", status=AccountStatus.PENDING
    )
    make_user(Role.REVIEWER, name="Dormant Reviewer", status=AccountStatus.DISABLED)
    update_policy(people.admin, {"reviewers_per_dossier": 3, "appeal_days": 21})
    rubric = current_rubric()
    revise_rubric(
        people.admin,
        [{"title": c.title, "guidance": c.guidance, "weight": c.weight} for c in rubric.criteria][
            :6
        ],
        "Six criteria.",
    )
    commit()

    login(client, people.admin)
    html = client.get("/admin/").text
    registrations = html.split('id="registrations"', 1)[1].split("</section>", 1)[0]
    assert '<span class="badge badge-pending">1</span>' in registrations
    assert "Paula Applicant" in registrations and applicant.email in registrations
    assert "Pending College" in registrations
    assert 'href="/admin/registrations"' in registrations

    accounts = html.split('id="accounts"', 1)[1].split("</section>", 1)[0]

    def stat(label):
        match = re.search(rf"<dt>{label}</dt><dd><a [^>]*>(\d+)</a></dd>", accounts)
        return int(match.group(1))

    # active accounts by role: people has one of each role but two providers
    assert (stat("Provider member"), stat("Reviewer"), stat("QA officer"), stat("QA admin")) == (
        2,
        1,
        1,
        1,
    )
    assert (stat("Pending"), stat("Disabled"), stat("Active")) == (1, 1, 5)
    assert "Rubric: version 2" in html and "6 criteria" in html and "Six criteria." in html
    policy = html.split('id="policy"', 1)[1].split("</section>", 1)[0]
    assert "<dt>Reviewers per dossier</dt><dd>3</dd>" in policy
    assert "<dt>Appeal period</dt><dd>21 days</dd>" in policy


def test_admin_dashboard_on_a_fresh_installation(client, login, people):
    """No rubric or policy yet: the first visit creates rubric version 1 and the policy."""
    login(client, people.admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert "Rubric: version 1" in response.text
    assert "No registration is waiting." in response.text
