"""QA admin pages for organisations, and the access rule for every admin page."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind
from qa_portal.core.audit import entries_for
from qa_portal.extensions import db


@pytest.fixture
def admin_client(client, login, people):
    return login(client, people.admin)


def org_named(name: str) -> Organisation | None:
    return db.session.execute(sa.select(Organisation).where(Organisation.name == name)).scalar()


def field_error(response, field: str, text: str) -> bool:
    body = response.get_data(as_text=True)
    start = body.find(f'id="{field}-errors"')
    return start != -1 and text.lower() in body[start : start + 500].lower()


def test_organisation_list(admin_client, people):
    page = admin_client.get("/admin/organisations")
    assert page.status_code == 200
    for name in (b"Provider A", b"Provider B", b"Quality Agency"):
        assert name in page.data


def test_admin_creates_an_organisation(admin_client, people):
    response = admin_client.post(
        "/admin/organisations/new",
        data={
            "name": "Open Skills Academy",
            "domain": "https://www.OpenSkills.example/",
            "country": "FI",
            "website": "openskills.example/en",
        },
    )
    assert response.status_code == 302
    org = org_named("Open Skills Academy")
    assert (org.kind, org.status) == (OrgKind.PROVIDER, AccountStatus.ACTIVE)
    assert (org.domain, org.country) == ("openskills.example", "FI")
    assert org.website == "https://openskills.example/en"
    [entry] = entries_for(org)
    assert entry.action == "organisation.create" and entry.actor_id == people.admin.id


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "provider a"}, "name", "already exists"),
        ({"name": ""}, "name", "This field is required"),
        ({"domain": "no spaces please"}, "domain", "is not a web domain"),
        ({"domain": "provider-b.example"}, "domain", "already the domain of “Provider B”"),
        ({"country": "ZZ"}, "country", "Not a valid choice"),
        ({"website": "javascript:alert(1)"}, "website", "is not a web address"),
        ({"website": "ftp://files.example"}, "website", "is not a web address"),
    ],
)
def test_bad_organisations_are_refused_next_to_the_field(
    admin_client, people, data, field, message
):
    form = {"name": "Fresh Org", "domain": "fresh.example", "country": "DE", "website": ""}
    form.update(data)
    before = db.session.execute(sa.select(sa.func.count(Organisation.id))).scalar()
    response = admin_client.post("/admin/organisations/new", data=form)
    assert response.status_code == 400
    assert field_error(response, field, message), response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count(Organisation.id))).scalar() == before


def test_admin_edits_an_organisation(admin_client, people):
    org = people.org_a
    response = admin_client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Provider A University", "domain": "provider-a.example", "country": "NL"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (org.name, org.country) == ("Provider A University", "NL")
    [entry] = entries_for(org)
    assert entry.action == "organisation.update"
    assert entry.payload["changes"] == {
        "name": ["Provider A", "Provider A University"],
        "country": ["IE", "NL"],
    }


def test_editing_keeps_names_and_domains_unique(admin_client, people):
    org = people.org_a
    clash = admin_client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "PROVIDER B", "domain": "provider-a.example", "country": "IE"},
    )
    assert clash.status_code == 400 and field_error(clash, "name", "already exists")
    domain = admin_client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Provider A", "domain": "provider-b.example", "country": "IE"},
    )
    assert domain.status_code == 400 and field_error(domain, "domain", "already the domain")
    db.session.expire_all()
    assert (org.name, org.domain) == ("Provider A", "provider-a.example")
    # Its own name and domain are no clash.
    same = admin_client.post(
        f"/admin/organisations/{org.id}",
        data={"name": "Provider A", "domain": "provider-a.example", "country": "IE"},
    )
    assert same.status_code == 302


def test_disable_and_enable_an_organisation(admin_client, people):
    org = people.org_b
    admin_client.post(f"/admin/organisations/{org.id}/status", data={"status": "disabled"})
    db.session.expire_all()
    assert org.status == AccountStatus.DISABLED
    admin_client.post(f"/admin/organisations/{org.id}/status", data={"status": "active"})
    db.session.expire_all()
    assert org.status == AccountStatus.ACTIVE
    assert [e.payload["to_state"] for e in entries_for(org)] == ["disabled", "active"]


def test_the_qa_body_cannot_be_disabled(admin_client, people, qa_body):
    page = admin_client.get(f"/admin/organisations/{qa_body.id}")
    assert page.status_code == 200 and b"Disable organisation" not in page.data
    response = admin_client.post(
        f"/admin/organisations/{qa_body.id}/status", data={"status": "disabled"}
    )
    assert response.status_code == 409
    assert b"The QA body cannot be disabled." in response.data
    db.session.expire_all()
    assert qa_body.status == AccountStatus.ACTIVE
    assert entries_for(qa_body) == []


def test_unknown_organisations_are_404(admin_client):
    assert admin_client.get("/admin/organisations/99999").status_code == 404
    response = admin_client.post("/admin/organisations/99999/status", data={"status": "active"})
    assert response.status_code == 404


# -- access: every admin page, every other role -------------------------------------------
def admin_urls(app, people) -> list[tuple[str, str]]:
    values = {"user_id": people.reviewer.id, "org_id": people.org_a.id}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<int:{name}>", str(values[name]))
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


def test_every_admin_page_is_listed(app, people):
    urls = admin_urls(app, people)
    assert len(urls) >= 14  # the access checks below cover each of them
    assert all("<" not in path for _, path in urls)


@pytest.mark.parametrize("who", ["provider_a", "reviewer", "officer"])
def test_non_admins_get_403_on_every_admin_page(app, client, login, people, who):
    login(client, getattr(people, who))
    for method, path in admin_urls(app, people):
        response = client.open(path, method=method, data={"status": "disabled", "reason": "x"})
        assert response.status_code == 403, (method, path)
    db.session.expire_all()
    assert people.reviewer.status == AccountStatus.ACTIVE
    assert people.org_a.status == AccountStatus.ACTIVE


def test_anonymous_visitors_are_sent_to_sign_in(app, client, people):
    for method, path in admin_urls(app, people):
        response = client.open(path, method=method)
        assert response.status_code == 302, (method, path)
        assert "/login" in response.headers["Location"]


def test_admins_reach_every_admin_page(app, client, login, people):
    login(client, people.admin)
    for method, path in admin_urls(app, people):
        if method == "GET":
            assert client.get(path).status_code == 200, path
