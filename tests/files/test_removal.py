"""Removed evidence: a file no submitted version refers to is deleted with its row, the file
only after the commit (a rollback keeps both); a file a version refers to stays stored."""

from __future__ import annotations

from qa_portal.core import storage
from qa_portal.core.db import commit
from qa_portal.dossiers import operations, quota
from qa_portal.dossiers.models import Dossier, EvidenceFile
from qa_portal.extensions import db
from tests.dossiers.test_submission import return_to_provider
from tests.helpers import count, page_text, pdf_bytes

from .helpers import names, post_evidence


def _upload(client, login, people, draft) -> EvidenceFile:
    login(client, people.provider_a)
    assert post_evidence(client, draft.id, pdf_bytes("Staff"), "staff.pdf").status_code == 302
    return db.session.query(EvidenceFile).one()


def test_removed_evidence_is_deleted_after_the_commit(people, draft):
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "c.pdf", pdf_bytes()
    )
    commit()
    path = storage.path_of(evidence.stored_name)
    operations.remove_evidence_file(people.provider_a, draft, evidence)
    assert path.is_file()  # not before the commit
    commit()
    assert not path.exists()
    assert count(EvidenceFile) == 0


def test_a_rolled_back_removal_keeps_the_file_and_its_row(people, draft):
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "c.pdf", pdf_bytes()
    )
    commit()
    path, evidence_id = storage.path_of(evidence.stored_name), evidence.id
    operations.remove_evidence_file(people.provider_a, draft, evidence)
    db.session.rollback()
    assert path.is_file()
    assert db.session.get(EvidenceFile, evidence_id) is not None
    commit()  # a later commit does not delete it either
    assert path.is_file()


def test_removing_through_the_page_deletes_the_file(client, login, people, draft):
    evidence = _upload(client, login, people, draft)
    stored_name, before = evidence.stored_name, names()
    response = client.post(f"/dossiers/{draft.id}/files/{evidence.id}/remove")
    assert response.status_code == 302
    assert names() == before - {stored_name}
    assert count(EvidenceFile) == 0
    text = page_text(client.get(f"/dossiers/{draft.id}/edit"))
    assert "staff.pdf removed from the dossier and deleted" in text
    assert "0 bytes of 500 MB, 0 of 500 files" in text  # the space is given back


def test_a_file_a_version_refers_to_stays_stored(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    return_to_provider(dossier, people.officer)
    evidence = dossier.current_files[0]
    usage = quota.storage_usage(dossier.organisation_id)
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/files/{evidence.id}/remove")
    assert response.status_code == 302
    assert storage.path_of(evidence.stored_name).is_file()
    db.session.expire_all()
    assert db.session.get(EvidenceFile, evidence.id).removed_at is not None
    assert db.session.get(Dossier, dossier.id).current_files != []
    text = page_text(client.get(f"/dossiers/{dossier.id}/edit"))
    assert "stays stored for submitted version 1" in text
    assert quota.storage_usage(dossier.organisation_id) == usage  # still stored, still counted
