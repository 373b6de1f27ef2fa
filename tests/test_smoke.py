from qa_portal.accounts.models import Role


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_provider_pages(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    login(client, people.provider_a)
    for url in [
        "/dossiers/",
        f"/dossiers/{dossier.id}",
        f"/dossiers/{dossier.id}/edit",
        f"/dossiers/{dossier.id}/submit",
    ]:
        response = client.get(url)
        assert response.status_code == 200, (url, response.data[:3000])
    assert people.provider_a.has_role(Role.PROVIDER)
