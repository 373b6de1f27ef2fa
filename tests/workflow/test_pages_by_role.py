from datetime import timedelta

from qa_portal.core import clock
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reviews import moderation


def test_pages(client, login, workflow, people, panel):
    dossier, assignments = workflow.decision_pending(divergent=True)
    login(client, people.officer)
    for url in [
        f"/dossiers/{dossier.id}",
        f"/dossiers/{dossier.id}/panel/",
        f"/dossiers/{dossier.id}/decide",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.data.decode()[-3000:])
    r = client.post(
        f"/dossiers/{dossier.id}/decide",
        data={
            "outcome": "approved_with_conditions",
            "rationale": "Fine",
            "conditions-0-text": "Publish grading",
            "conditions-0-due_date": str(clock.today() + timedelta(days=30)),
        },
    )
    assert r.status_code == 409, r.data.decode()[-2000:]
    assert "diverge" in r.data.decode()
    crit = [s for s in moderation.round_statistics(dossier.current_round) if s.divergent][
        0
    ].criterion
    r = client.post(
        f"/dossiers/{dossier.id}/panel/moderation",
        data={"criterion_id": crit.id, "text": "Moderated"},
    )
    assert r.status_code == 302
    r = client.post(
        f"/dossiers/{dossier.id}/decide",
        data={
            "outcome": "approved_with_conditions",
            "rationale": "Fine",
            "conditions-0-text": "Publish grading",
            "conditions-0-due_date": str(clock.today() + timedelta(days=30)),
        },
    )
    assert r.status_code == 302, r.data.decode()[-2000:]
    db.session.refresh(dossier)
    assert dossier.state == DossierState.APPROVED_WITH_CONDITIONS
    login(client, panel[0])
    for url in [
        "/reviews/",
        f"/reviews/assignments/{assignments[0].id}",
        f"/reviews/assignments/{assignments[0].id}/review",
        "/reviews/profile",
    ]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.data.decode()[-3000:])
    login(client, people.admin)
    for url in ["/admin/rubric", "/admin/policy"]:
        r = client.get(url)
        assert r.status_code == 200, (url, r.data.decode()[-3000:])
    login(client, people.provider_a)
    r = client.get(f"/dossiers/{dossier.id}")
    assert r.status_code == 200
    html = r.data.decode()
    assert "Reviewer 1" in html and "Publish grading" in html
    for p in panel:
        assert p.name not in html and p.email not in html
