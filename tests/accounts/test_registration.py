"""Provider self-registration and its approval or rejection by a QA admin."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.accounts import queries
from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User
from qa_portal.core.audit import entries_for
from qa_portal.extensions import db
from tests.accounts.helpers import whoami

PW = "registration-pass-1"


def form(**overrides):
    data = {
        "name": "Nora New",
        "email": "nora@new-college.example",
        "password": PW,
        "confirm": PW,
        "organisation_name": "New College",
        "domain": "new-college.example",
        "country": "PT",
        "website": "https://www.new-college.example",
    }
    data.update(overrides)
    return data


def count(model) -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar()


def test_registration_creates_a_pending_organisation_and_user(client, people, outbox):
    response = client.post("/register", data=form())
    assert response.status_code == 200
    assert b"nora@new-college.example" in response.data

    user = queries.user_by_email("nora@new-college.example")
    assert user.status == AccountStatus.PENDING
    assert user.roles == {Role.PROVIDER}
    assert user.password_hash.startswith("scrypt:")
    org = user.organisation
    assert (org.name, org.kind, org.status) == ("New College", OrgKind.PROVIDER, "pending")
    assert (org.domain, org.country) == ("new-college.example", "PT")

    [mail] = outbox(to=people.admin.email)  # every active QA admin, nobody else
    assert mail.subject == "New provider registration to review"
    assert "Nora New" in mail.body and "New College" in mail.body
    assert mail.link("/admin/registrations")
    assert [m.to for m in outbox()] == [people.admin.email]

    assert [e.action for e in entries_for(user)] == ["user.create", "user.register"]
    assert [e.action for e in entries_for(org)] == ["organisation.create"]


def test_a_pending_registration_cannot_sign_in(client, people, sign_in):
    client.post("/register", data=form())
    assert sign_in(client, "nora@new-college.example", PW).status_code == 400
    assert whoami(client) is None


def test_registration_with_a_known_domain_joins_that_organisation(client, people, outbox):
    response = client.post(
        "/register",
        data=form(
            email="zoe@provider-a.example",
            domain="https://www.Provider-A.example/about",
            organisation_name="Whatever they typed",
        ),
    )
    assert response.status_code == 200
    user = queries.user_by_email("zoe@provider-a.example")
    assert user.status == AccountStatus.PENDING
    assert user.organisation_id == people.org_a.id
    assert count(Organisation) == 3  # no new organisation
    assert people.org_a.status == AccountStatus.ACTIVE


def registrations_page(client):
    return client.get("/admin/registrations")


def test_admin_approves_a_registration(client, people, login, outbox, sign_in):
    client.post("/register", data=form())
    user = queries.user_by_email("nora@new-college.example")
    login(client, people.admin)
    page = registrations_page(client)
    assert b"Nora New" in page.data and b"new organisation" in page.data

    response = client.post(f"/admin/registrations/{user.id}/approve")
    assert response.status_code == 302
    db.session.expire_all()
    assert user.status == AccountStatus.ACTIVE
    assert user.organisation.status == AccountStatus.ACTIVE
    assert f"/admin/registrations/{user.id}/approve".encode() not in registrations_page(client).data

    [mail] = outbox(to=user.email)
    assert mail.subject == "Your QA Portal account is approved"
    assert mail.link("/login")

    approved = entries_for(user)[-2:]
    assert [e.action for e in approved] == ["user.status", "user.registration_approved"]
    assert approved[0].payload == {"from_state": "pending", "to_state": "active"}
    assert {e.actor_id for e in approved} == {people.admin.id}
    assert [e.action for e in entries_for(user.organisation)][-1] == "organisation.status"

    client.post("/logout")
    assert sign_in(client, user.email, PW).status_code == 302
    assert whoami(client) == user.email


def test_admin_rejects_a_registration_with_a_reason(client, people, login, outbox, sign_in):
    client.post("/register", data=form())
    user = queries.user_by_email("nora@new-college.example")
    login(client, people.admin)

    no_reason = client.post(f"/admin/registrations/{user.id}/reject", data={"reason": "  "})
    assert no_reason.status_code == 400
    assert b"Give the reason" in no_reason.data
    assert b'id="reason-errors"' in no_reason.data
    db.session.expire_all()
    assert user.status == AccountStatus.PENDING

    response = client.post(
        f"/admin/registrations/{user.id}/reject",
        data={"reason": "We only review providers established in the EU."},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert user.status == AccountStatus.REJECTED
    assert user.organisation.status == AccountStatus.REJECTED

    [mail] = outbox(to=user.email)
    assert "We only review providers established in the EU." in mail.body
    rejected = [e for e in entries_for(user) if e.action == "user.registration_rejected"]
    assert rejected[0].payload == {"reason": "We only review providers established in the EU."}

    client.post("/logout")
    assert sign_in(client, user.email, PW).status_code == 400


def test_rejecting_one_applicant_keeps_an_organisation_with_active_members(client, people, login):
    client.post("/register", data=form(email="zoe@provider-a.example", domain="provider-a.example"))
    user = queries.user_by_email("zoe@provider-a.example")
    login(client, people.admin)
    client.post(f"/admin/registrations/{user.id}/reject", data={"reason": "Not staff."})
    db.session.expire_all()
    assert user.status == AccountStatus.REJECTED
    assert people.org_a.status == AccountStatus.ACTIVE


def test_a_handled_registration_cannot_be_handled_again(client, people, login):
    client.post("/register", data=form())
    user = queries.user_by_email("nora@new-college.example")
    login(client, people.admin)
    client.post(f"/admin/registrations/{user.id}/approve")
    assert client.post(f"/admin/registrations/{user.id}/approve").status_code == 404
    response = client.post(f"/admin/registrations/{user.id}/reject", data={"reason": "late"})
    assert response.status_code == 404


def field_error(response, field: str, text: str) -> bool:
    body = response.get_data(as_text=True)
    start = body.find(f'id="{field}-errors"')
    return start != -1 and text in body[start : start + 600]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-address"}, "email", "not a valid e-mail address"),
        ({"domain": "not a domain"}, "domain", "is not a web domain"),
        ({"domain": "localhost"}, "domain", "is not a web domain"),
        ({"domain": "agency.example"}, "domain", "belongs to the QA body"),
        ({"password": "short", "confirm": "short"}, "password", "at least 10 characters"),
        (
            {"password": "nora@new-college.example", "confirm": "nora@new-college.example"},
            "password",
            "must not be your e-mail address",
        ),
        ({"confirm": "something-else"}, "confirm", "The two passwords differ"),
        ({"country": "XX"}, "country", "Not a valid choice"),
        ({"organisation_name": "Provider B"}, "organisation_name", "already exists"),
        ({"name": ""}, "name", "This field is required"),
    ],
)
def test_bad_registrations_are_refused_next_to_the_field(
    client, people, outbox, overrides, field, message
):
    users, orgs = count(User), count(Organisation)
    response = client.post("/register", data=form(**overrides))
    assert response.status_code == 400
    assert field_error(response, field, message), response.get_data(as_text=True)
    assert (count(User), count(Organisation)) == (users, orgs)  # nothing half-saved
    assert outbox() == []


def test_a_disabled_organisation_cannot_be_joined(client, people, login):
    from qa_portal.accounts import operations
    from qa_portal.core.db import commit

    operations.set_organisation_status(people.admin, people.org_b, AccountStatus.DISABLED)
    commit()
    response = client.post(
        "/register", data=form(email="x@provider-b.example", domain="provider-b.example")
    )
    assert response.status_code == 400
    assert field_error(response, "domain", "disabled")
    assert queries.user_by_email("x@provider-b.example") is None


def test_after_a_rejection_the_organisation_may_register_again(client, people, login):
    client.post("/register", data=form())
    first = queries.user_by_email("nora@new-college.example")
    login(client, people.admin)
    client.post(f"/admin/registrations/{first.id}/reject", data={"reason": "Incomplete."})
    login(client, None)

    again = client.post("/register", data=form(email="olga@new-college.example", name="Olga Other"))
    assert again.status_code == 200
    second = queries.user_by_email("olga@new-college.example")
    assert second.status == AccountStatus.PENDING
    assert second.organisation_id == first.organisation_id
    assert second.organisation.status == AccountStatus.PENDING

    login(client, people.admin)
    client.post(f"/admin/registrations/{second.id}/approve")
    db.session.expire_all()
    assert second.status == AccountStatus.ACTIVE
    assert second.organisation.status == AccountStatus.ACTIVE


def test_a_rejected_person_may_register_again_with_the_same_address(
    client, people, login, sign_in, outbox
):
    client.post("/register", data=form())
    user = queries.user_by_email("nora@new-college.example")
    login(client, people.admin)
    client.post(f"/admin/registrations/{user.id}/reject", data={"reason": "Wrong domain."})
    login(client, None)

    again = client.post(
        "/register",
        data=form(name="Nora Newer", password="second-try-pass", confirm="second-try-pass"),
    )
    assert again.status_code == 200
    db.session.expire_all()
    assert count(User) == 6  # the same account, opened again for review
    assert (user.status, user.name) == (AccountStatus.PENDING, "Nora Newer")
    assert user.organisation.status == AccountStatus.PENDING
    assert [e.action for e in entries_for(user)][-1] == "user.register"
    assert len(outbox(to=people.admin.email)) == 2
    assert sign_in(client, user.email, "second-try-pass").status_code == 400  # not yet approved


def test_rejecting_one_of_two_applicants_of_a_new_organisation_keeps_it_open(client, people, login):
    client.post("/register", data=form())
    client.post("/register", data=form(email="olga@new-college.example", name="Olga"))
    nora = queries.user_by_email("nora@new-college.example")
    olga = queries.user_by_email("olga@new-college.example")
    assert nora.organisation_id == olga.organisation_id
    login(client, people.admin)
    client.post(f"/admin/registrations/{nora.id}/reject", data={"reason": "Not staff."})
    db.session.expire_all()
    assert olga.organisation.status == AccountStatus.PENDING
    assert client.post(f"/admin/registrations/{olga.id}/approve").status_code == 302
    db.session.expire_all()
    assert (olga.status, olga.organisation.status) == ("active", "active")


def test_registration_pages_are_for_qa_admins_only(client, people, login):
    client.post("/register", data=form())
    user = queries.user_by_email("nora@new-college.example")
    for person in (people.officer, people.provider_a, people.reviewer):
        login(client, person)
        assert client.get("/admin/registrations").status_code == 403
        assert client.post(f"/admin/registrations/{user.id}/approve").status_code == 403
        reject = client.post(f"/admin/registrations/{user.id}/reject", data={"reason": "x"})
        assert reject.status_code == 403
    db.session.expire_all()
    assert user.status == AccountStatus.PENDING


def test_a_double_submitted_registration_is_refused_cleanly(client, people, monkeypatch, caplog):
    """Two requests racing past the duplicate check: the database constraint refuses the
    second after its response; nothing of it is saved."""
    client.post("/register", data=form())
    monkeypatch.setattr(queries, "user_by_email", lambda email: None)
    monkeypatch.setattr(queries, "organisation_by_domain", lambda domain: None)
    again = client.post(
        "/register", data=form(domain="other-college.example", organisation_name="Other College")
    )
    assert again.status_code == 200
    assert "work after the response failed" in caplog.text
    assert count(User) == 6 and count(Organisation) == 4
