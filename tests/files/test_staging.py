"""Uploads follow the database transaction: written as ``.part`` during the request, given
their final name only after the commit, removed when the transaction rolls back (or a
savepoint does, or the session ends without committing); a failed request leaves no file,
and a row never points to a missing file once its transaction committed."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from qa_portal.core import storage
from qa_portal.core.db import commit
from qa_portal.core.file_sweep import sweep
from qa_portal.dossiers import operations
from qa_portal.dossiers.models import EvidenceFile
from qa_portal.extensions import db
from tests.helpers import count, pdf_bytes

from .helpers import names, parts, post_evidence


def test_the_file_is_a_part_file_until_the_commit(people, draft):
    before = names()
    data = pdf_bytes("Curriculum")
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "curriculum.pdf", data
    )
    stem = evidence.stored_name.removesuffix(".pdf")
    assert names() - before == {f"{stem}.part"}  # not under its final name before the commit
    commit()
    assert names() - before == {evidence.stored_name}
    assert (storage.path_of(evidence.stored_name)).read_bytes() == data


def test_a_rollback_removes_the_part_file_and_the_row(people, draft):
    before = names()
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "curriculum.pdf", pdf_bytes()
    )
    assert parts() - before
    db.session.rollback()
    assert names() == before
    assert count(EvidenceFile) == 0
    assert not storage.path_of(evidence.stored_name).exists()


def test_a_session_closed_without_commit_leaves_nothing(app, people, draft):
    before = names()
    operations.add_evidence_file(people.provider_a, draft, "curriculum", "c.pdf", pdf_bytes())
    db.session.close()
    assert names() == before


def test_a_savepoint_rolled_back_takes_only_its_own_files(people, draft):
    before = names()
    kept = storage.stage_bytes(b"%PDF kept")
    savepoint = db.session.begin_nested()
    dropped = storage.stage_bytes(b"%PDF dropped")
    savepoint.rollback()
    with db.session.begin_nested():  # released: its file waits for the real commit
        inner = storage.stage_bytes(b"%PDF inner")
    assert {kept.stored_name, inner.stored_name}.isdisjoint(names())
    db.session.commit()
    assert names() - before == {kept.stored_name, inner.stored_name}
    assert not storage.path_of(dropped.stored_name).exists()


def test_a_request_that_fails_after_storing_leaves_no_file(
    app, client, login, people, draft, monkeypatch
):
    before = names()

    def audit_down(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(operations.audit, "record", audit_down)
    login(client, people.provider_a)
    response = post_evidence(client, draft.id, pdf_bytes(), "c.pdf")
    assert response.status_code == 500
    assert names() == before
    assert count(EvidenceFile) == 0


def test_an_upload_answered_is_stored_under_its_final_name(client, login, people, draft):
    before = names()
    data = pdf_bytes("Assessment")
    login(client, people.provider_a)
    assert post_evidence(client, draft.id, data, "a.pdf").status_code == 302
    [row] = db.session.query(EvidenceFile).all()
    assert names() - before == {row.stored_name}
    download = client.get(f"/dossiers/{draft.id}/files/{row.id}")
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == row.sha256


def test_a_move_cut_short_after_the_commit_is_finished_by_the_sweep(
    client, login, people, draft, monkeypatch
):
    """The process dies between the commit and the move: the row is committed, the file
    is still ``.part``. The sweep moves it, however young, and the download works again."""
    monkeypatch.setattr(storage, "_finish_move", lambda pending: None)  # killed here
    login(client, people.provider_a)
    assert post_evidence(client, draft.id, pdf_bytes(), "c.pdf").status_code == 302
    [row] = db.session.query(EvidenceFile).all()
    assert not storage.path_of(row.stored_name).exists()
    assert client.get(f"/dossiers/{draft.id}/files/{row.id}").status_code == 404
    monkeypatch.undo()

    result = sweep(older_than=timedelta(days=1))
    assert [m.name for m in result.moved] == [row.stored_name.removesuffix(".pdf") + ".part"]
    assert result.removed == []
    assert storage.path_of(row.stored_name).is_file()
    assert client.get(f"/dossiers/{draft.id}/files/{row.id}").status_code == 200
