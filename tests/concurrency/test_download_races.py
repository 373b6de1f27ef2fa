"""Sixteen people download the same evidence file at the same instant: each download appends
its entry to the audit trail's access log, so sixteen writers extend the hash chain at once.
Every download is served (no 500: no "database is locked", no second entry claiming the same
predecessor), every one is logged, and the chain stays intact. On SQLite the download takes
the write lock before it reads the chain's head; on PostgreSQL the appends queue on an
advisory lock."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.accounts.models import Role
from qa_portal.core.audit import AuditEntry
from qa_portal.extensions import db
from tests.concurrency.helpers import race

DOWNLOADS = 16


def test_sixteen_audited_downloads_at_once(
    app, login, people, make_user, make_dossier, qa_body, audit_ok
):
    dossier = make_dossier(people.provider_a, submit=True)
    evidence = dossier.files[0]
    url = f"/dossiers/{dossier.id}/files/{evidence.id}"
    officers = [people.officer, people.admin] + [
        make_user(Role.QA_OFFICER, org=qa_body) for _ in range(DOWNLOADS - 2)
    ]
    clients = [login(app.test_client(), officer) for officer in officers]
    dossier_id = dossier.id
    db.session.rollback()  # the test's own session holds nothing while they download

    responses = race(app, [_download(client, url) for client in clients])

    assert [getattr(r, "status_code", r) for r in responses] == [200] * DOWNLOADS
    assert {r.content_type for r in responses} == {"application/pdf"}
    logged = db.session.execute(
        sa.select(AuditEntry.actor_id).where(
            AuditEntry.action == "dossier.file_download", AuditEntry.object_id == dossier_id
        )
    ).scalars()
    assert sorted(logged) == sorted(officer.id for officer in officers)
    audit_ok()


def _download(client, url: str):
    def prepare():
        def act():
            response = client.get(url)
            response.close()
            return response

        return act

    return prepare
