"""QA admin pages for users: list, filter, create (with invitation), edit, disable."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.accounts import queries
from qa_portal.accounts.models import AccountStatus, Role, User
from qa_portal.core.audit import entries_for
from qa_portal.extensions import db
from tests.accounts.helpers import reset_through, whoami


@pytest.fixture
def admin_client(client, login, people):
    return login(client, people.admin)


def user_names(response) -> set[str]:
    body = response.get_data(as_text=True)
    return {
        name
        for name in ("Ada Provider", "Ben Provider", "Rita Reviewer", "Otto Officer", "Ann Admin")
        if f">{name}</a>" in body
    }


def test_users_list_and_filters(admin_client, people, make_user):
    make_user(Role.REVIEWER, name="Dora Disabled", status=AccountStatus.DISABLED)
    everyone = admin_client.get("/admin/users")
    assert everyone.status_code == 200
    assert user_names(everyone) == {
        "Ada Provider",
        "Ben Provider",
        "Rita Reviewer",
        "Otto Officer",
        "Ann Admin",
    }
    assert b"Dora Disabled" in everyone.data

    providers = admin_client.get("/admin/users?role=provider")
    assert user_names(providers) == {"Ada Provider", "Ben Provider"}
    disabled = admin_client.get("/admin/users?status=disabled")
    assert user_names(disabled) == set() and b"Dora Disabled" in disabled.data
    search = admin_client.get("/admin/users?q=RITA")
    assert user_names(search) == {"Rita Reviewer"}
    by_email = admin_client.get(f"/admin/users?q={people.officer.email[:12]}")
    assert "Otto Officer" in user_names(by_email)
    nothing = admin_client.get("/admin/users?q=zzzz-nobody")
    assert b"No user matches these filters." in nothing.data
    # Unknown filter values are ignored rather than breaking the page.
    assert admin_client.get("/admin/users?role=king&status=x&page=abc").status_code == 200


def test_admin_creates_a_user_who_is_invited_by_email(admin_client, people, outbox, app, sign_in):
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "Rolf.Reviewer@Experts.example",
            "name": "Rolf Reviewer",
            "roles": ["reviewer"],
            "organisation_id": "0",
        },
    )
    assert response.status_code == 302
    user = queries.user_by_email("rolf.reviewer@experts.example")
    assert user.roles == {Role.REVIEWER} and user.organisation is None
    assert user.password_hash is None and user.status == AccountStatus.ACTIVE
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}")
    created = entries_for(user)[0]
    assert created.action == "user.create" and created.actor_id == people.admin.id
    assert created.payload["roles"] == ["reviewer"]

    [mail] = outbox(to=user.email)
    assert mail.subject == "Your QA Portal account"
    assert "72 hours" in mail.body
    link = mail.link("/password/reset/")

    newcomer = app.test_client()
    assert newcomer.get(link, follow_redirects=True).status_code == 200
    chosen = "rolfs-own-password"
    assert reset_through(newcomer, link, chosen).status_code == 302
    assert sign_in(newcomer, user.email, chosen).status_code == 302
    assert whoami(newcomer) == user.email


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "EXISTING"}, "email", "already exists"),
        ({"email": "nope"}, "email", "not a valid e-mail address"),
        (
            {"roles": ["provider"], "organisation_id": "0"},
            "organisation_id",
            "provider organisation",
        ),
        (
            {"roles": ["provider"], "organisation_id": "QA"},
            "organisation_id",
            "provider organisation",
        ),
        ({"roles": ["emperor"]}, "roles", "not a valid choice"),
        ({"organisation_id": "99999"}, "organisation_id", "Not a valid choice"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_new_users_are_refused_next_to_the_field(
    admin_client, people, qa_body, outbox, data, field, message
):
    form = {"email": "new@experts.example", "name": "New Person", "roles": ["reviewer"]}
    form.update(data)
    if form["email"] == "EXISTING":
        form["email"] = people.reviewer.email.upper()
    if form.get("organisation_id") == "QA":
        form["organisation_id"] = str(qa_body.id)
    before = db.session.execute(sa.select(sa.func.count(User.id))).scalar()
    response = admin_client.post("/admin/users/new", data=form)
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    start = body.find(f'id="{field}-errors"')
    assert start != -1 and message.lower() in body[start : start + 500].lower(), body
    assert db.session.execute(sa.select(sa.func.count(User.id))).scalar() == before
    assert outbox() == []


def test_admin_creates_a_provider_member(admin_client, people):
    response = admin_client.post(
        "/admin/users/new",
        data={
            "email": "carl@provider-b.example",
            "name": "Carl",
            "roles": ["provider", "reviewer"],
            "organisation_id": str(people.org_b.id),
        },
    )
    assert response.status_code == 302
    user = queries.user_by_email("carl@provider-b.example")
    assert user.roles == {Role.PROVIDER, Role.REVIEWER}
    assert user.organisation_id == people.org_b.id


def test_edit_page_shows_the_current_values(admin_client, people):
    page = admin_client.get(f"/admin/users/{people.provider_a.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'value="Ada Provider"' in body
    assert f'<option selected value="{people.org_a.id}">' in body
    assert 'checked id="roles-0" name="roles" type="checkbox" value="provider"' in body


def test_admin_edits_name_organisation_and_roles(admin_client, people):
    user = people.provider_a
    response = admin_client.post(
        f"/admin/users/{user.id}",
        data={
            "name": "Ada Lovelace",
            "organisation_id": str(people.org_b.id),
            "roles": ["provider", "reviewer"],
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert user.name == "Ada Lovelace"
    assert user.organisation_id == people.org_b.id
    assert user.roles == {Role.PROVIDER, Role.REVIEWER}
    entries = entries_for(user)
    assert [e.action for e in entries] == ["user.update", "user.grant_role"]
    assert entries[0].payload == {
        "name": ["Ada Provider", "Ada Lovelace"],
        "organisation_id": [people.org_a.id, people.org_b.id],
    }
    assert entries[1].payload["role"] == "reviewer"

    admin_client.post(
        f"/admin/users/{user.id}",
        data={"name": "Ada Lovelace", "organisation_id": "0", "roles": ["reviewer"]},
    )
    db.session.expire_all()
    assert user.roles == {Role.REVIEWER} and user.organisation_id is None
    assert [e.action for e in entries_for(user)][-2:] == ["user.update", "user.revoke_role"]


def test_saving_without_changes_writes_no_audit_entry(admin_client, people):
    user = people.reviewer
    admin_client.post(
        f"/admin/users/{user.id}",
        data={"name": user.name, "organisation_id": "0", "roles": ["reviewer"]},
    )
    assert entries_for(user) == []


def test_provider_role_needs_a_provider_organisation(admin_client, people):
    response = admin_client.post(
        f"/admin/users/{people.reviewer.id}",
        data={"name": "Rita Reviewer", "organisation_id": "0", "roles": ["reviewer", "provider"]},
    )
    assert response.status_code == 400
    assert b'id="organisation_id-errors"' in response.data
    assert b"must belong to a provider organisation" in response.data
    db.session.expire_all()
    assert people.reviewer.roles == {Role.REVIEWER}


def test_admin_cannot_remove_their_own_admin_role(admin_client, people):
    response = admin_client.post(
        f"/admin/users/{people.admin.id}",
        data={"name": "Ann Admin", "organisation_id": "0", "roles": ["qa_officer"]},
    )
    assert response.status_code == 400
    assert b'id="roles-errors"' in response.data
    assert b"cannot remove your own QA admin role" in response.data
    db.session.expire_all()
    assert people.admin.roles == {Role.QA_ADMIN}
    assert people.admin.organisation_id is not None  # nothing half-saved


def test_admin_cannot_disable_themself(admin_client, people):
    response = admin_client.post(
        f"/admin/users/{people.admin.id}/status", data={"status": "disabled"}
    )
    assert response.status_code == 400
    assert b"You cannot disable your own account." in response.data
    db.session.expire_all()
    assert people.admin.status == AccountStatus.ACTIVE
    assert whoami(admin_client) == people.admin.email
    page = admin_client.get(f"/admin/users/{people.admin.id}")
    assert b"Disable account" not in page.data


def test_disable_and_enable_a_user(app, admin_client, people, sign_in, login):
    target = login(app.test_client(), people.reviewer)
    assert whoami(target) == people.reviewer.email

    response = admin_client.post(
        f"/admin/users/{people.reviewer.id}/status", data={"status": "disabled"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert people.reviewer.status == AccountStatus.DISABLED
    assert whoami(target) is None
    assert sign_in(target, people.reviewer.email).status_code == 400
    assert b"Enable account" in admin_client.get(f"/admin/users/{people.reviewer.id}").data

    admin_client.post(f"/admin/users/{people.reviewer.id}/status", data={"status": "active"})
    db.session.expire_all()
    assert people.reviewer.status == AccountStatus.ACTIVE
    assert sign_in(target, people.reviewer.email).status_code == 302
    assert [(e.action, e.payload["to_state"]) for e in entries_for(people.reviewer)] == [
        ("user.status", "disabled"),
        ("user.status", "active"),
    ]


@pytest.mark.parametrize("value", ["", "pending", "rejected", "sideways"])
def test_status_change_only_enables_or_disables(admin_client, people, value):
    response = admin_client.post(
        f"/admin/users/{people.reviewer.id}/status", data={"status": value}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert people.reviewer.status == AccountStatus.ACTIVE


def test_a_pending_registration_is_not_enabled_by_the_status_button(
    admin_client, people, make_user
):
    pending = make_user(Role.PROVIDER, org=people.org_a, status=AccountStatus.PENDING)
    page = admin_client.get(f"/admin/users/{pending.id}")
    assert b"Approve or reject the registration" in page.data
    response = admin_client.post(f"/admin/users/{pending.id}/status", data={"status": "active"})
    assert response.status_code == 409
    assert b"Registrations page" in response.data
    db.session.expire_all()
    assert pending.status == AccountStatus.PENDING


def test_unknown_users_are_404(admin_client):
    assert admin_client.get("/admin/users/99999").status_code == 404
    assert (
        admin_client.post("/admin/users/99999/status", data={"status": "active"}).status_code == 404
    )
