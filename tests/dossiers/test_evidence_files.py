"""Evidence files: PDF only by content, size limits, generated names, downloads, removal."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader, PdfWriter
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.dossiers import operations
from qa_portal.dossiers.models import Dossier, EvidenceFile
from qa_portal.extensions import db
from tests.dossiers.test_submission import return_to_provider
from tests.helpers import pdf_bytes

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
MB = 1024 * 1024


def upload_dir(app) -> Path:
    return Path(app.config["UPLOAD_DIR"])


def stored_files(app) -> set[str]:
    root = upload_dir(app)
    return {p.name for p in root.iterdir()} if root.exists() else set()


def file_rows() -> list[EvidenceFile]:
    return list(db.session.execute(sa.select(EvidenceFile)).scalars())


def post_file(client, dossier_id, data: bytes, name="evidence.pdf", kind="curriculum"):
    # The body is encoded here, in memory: the test client would spool large bodies to a
    # temporary file that it never closes.
    boundary, body = encode_multipart(
        {"kind": kind, "file": FileStorage(io.BytesIO(data), filename=name)}
    )
    return client.post(
        f"/dossiers/{dossier_id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture
def draft(people, make_dossier):
    return make_dossier(people.provider_a, files=False)


# -- uploading ----------------------------------------------------------------------------
def test_upload_stores_the_pdf_under_a_generated_name(app, client, login, people, draft):
    login(client, people.provider_a)
    data = pdf_bytes("Curriculum")
    response = post_file(client, draft.id, data, "Curriculum 2026.pdf")
    assert response.status_code == 302
    [row] = file_rows()
    assert row.original_name == "Curriculum 2026.pdf"
    assert row.sha256 == hashlib.sha256(data).hexdigest()
    assert row.size == len(data)
    assert row.stored_name != row.original_name and row.stored_name.endswith(".pdf")
    assert (upload_dir(app) / row.stored_name).read_bytes() == data
    page = client.get(f"/dossiers/{draft.id}/edit")
    assert "Curriculum 2026.pdf" in page.text
    assert row.sha256[:16] in page.text
    assert entries_for(db.session.get(Dossier, draft.id))[-1].action == "dossier.file_upload"


def test_a_renamed_non_pdf_is_refused_and_nothing_is_stored(app, client, login, people, draft):
    before = stored_files(app)
    login(client, people.provider_a)
    response = post_file(client, draft.id, PNG, "x.pdf")
    assert response.status_code == 400
    assert "not a PDF" in response.text
    assert file_rows() == []
    assert stored_files(app) == before


@pytest.mark.parametrize(
    "data, words",
    [
        (encrypted_pdf(), "password-protected"),
        (pdf_bytes("Cut")[:-200], "incomplete or damaged"),
        (pdf_bytes("Cut")[: len(pdf_bytes("Cut")) // 2], "incomplete or damaged"),
        (b"%PDF-1.7\n%%EOF\n", "cannot be read"),
        (b"", "The file is empty"),
    ],
    ids=["encrypted", "truncated-tail", "truncated-half", "garbage", "empty"],
)
def test_broken_pdfs_are_refused_with_a_message(app, client, login, people, draft, data, words):
    before = stored_files(app)
    login(client, people.provider_a)
    response = post_file(client, draft.id, data, "broken.pdf")
    assert response.status_code == 400
    assert words in response.text
    assert file_rows() == []
    assert stored_files(app) == before


def test_the_operation_refuses_encrypted_and_truncated_pdfs(people, draft):
    for data in (encrypted_pdf(), pdf_bytes()[:-300]):
        with pytest.raises(InvalidInput):
            operations.add_evidence_file(people.provider_a, draft, "curriculum", "a.pdf", data)
    assert file_rows() == []


def test_upload_without_a_type_is_refused(client, login, people, draft):
    login(client, people.provider_a)
    response = post_file(client, draft.id, pdf_bytes(), kind="")
    assert response.status_code == 400
    assert "Choose the type of evidence" in response.text
    assert file_rows() == []


@pytest.fixture
def small_limits(app, monkeypatch):
    """1 MB per evidence file, 2 MB per request (restored after the test)."""
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_BYTES", 1 * MB)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2 * MB)


def big_pdf(size: int) -> bytes:
    """A PDF padded with a comment to ``size`` bytes (the size is checked before the content)."""
    data = pdf_bytes()
    head, tail = data.rsplit(b"startxref", 1)  # padding after the xref keeps offsets valid
    return head + b"%" + b"0" * (size - len(data)) + b"\nstartxref" + tail


def test_an_oversized_request_gets_a_friendly_413_page(
    app, client, login, people, draft, small_limits
):
    before = stored_files(app)
    login(client, people.provider_a)
    body = b"%PDF-1.7\n" + b"0" * (2 * MB + 10)
    response = post_file(client, draft.id, body, "huge.pdf")
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "too large" in response.text
    assert "1 MB" in response.text
    assert file_rows() == []
    assert stored_files(app) == before


def test_an_oversized_form_post_is_not_called_a_file(client, login, people, draft, small_limits):
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{draft.id}/edit", data={"description": "x" * (2 * MB)})
    assert response.status_code == 413
    assert "form you sent is too large" in response.text


def test_a_file_over_the_evidence_limit_is_refused_by_the_operation(
    app, client, login, people, draft, small_limits
):
    data = big_pdf(int(1.5 * MB))
    assert 1 * MB < len(data) < 2 * MB
    assert len(PdfReader(io.BytesIO(data)).pages) == 1  # a genuine PDF, just too big
    before = stored_files(app)
    login(client, people.provider_a)
    response = post_file(client, draft.id, data, "big.pdf")
    assert response.status_code == 400
    assert "larger than 1 MB" in response.text
    assert file_rows() == []
    assert stored_files(app) == before
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        operations.add_evidence_file(people.provider_a, draft, "curriculum", "big.pdf", data)


def test_a_path_in_the_file_name_is_harmless(app, client, login, people, draft, tmp_path):
    root = upload_dir(app)
    outside = {p for p in root.parent.parent.rglob("x.pdf")} if root.exists() else set()
    login(client, people.provider_a)
    response = post_file(client, draft.id, pdf_bytes(), "../../x.pdf")
    assert response.status_code == 302
    [row] = file_rows()
    assert row.original_name == "x.pdf"
    assert "/" not in row.stored_name and ".." not in row.stored_name
    assert (root / row.stored_name).is_file()
    assert {p for p in root.parent.parent.rglob("x.pdf")} == outside
    download = client.get(f"/dossiers/{draft.id}/files/{row.id}", buffered=True)
    assert download.status_code == 200
    assert "x.pdf" in download.headers["Content-Disposition"]
    assert ".." not in download.headers["Content-Disposition"]


def test_a_non_pdf_extension_is_shown_as_pdf(people, draft):
    evidence = operations.add_evidence_file(
        people.provider_a, draft, "curriculum", "syllabus.docx", pdf_bytes()
    )
    assert evidence.original_name == "syllabus.pdf"


# -- downloading --------------------------------------------------------------------------
def test_download_for_members_and_staff_after_submission(
    app, client, login, people, make_dossier, make_user
):
    dossier = make_dossier(people.provider_a)
    evidence = dossier.current_files[0]
    url = f"/dossiers/{dossier.id}/files/{evidence.id}"
    expected = (upload_dir(app) / evidence.stored_name).read_bytes()

    login(client, people.provider_a)
    response = client.get(url, buffered=True)
    assert response.status_code == 200
    assert response.data == expected
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert not [e for e in entries_for(dossier) if e.action == "dossier.file_download"]

    login(client, people.provider_b)
    assert client.get(url, buffered=True).status_code == 404
    login(client, people.officer)
    assert (
        client.get(url, buffered=True).status_code == 404
    )  # not submitted yet: the QA body cannot see it

    operations.submit_dossier(people.provider_a, db.session.get(Dossier, dossier.id))
    commit()
    response = client.get(url, buffered=True)
    assert response.status_code == 200 and response.data == expected
    [entry] = [e for e in entries_for(dossier) if e.action == "dossier.file_download"]
    assert entry.actor_id == people.officer.id
    assert entry.payload["sha256"] == evidence.sha256

    login(client, people.provider_b)
    assert client.get(url, buffered=True).status_code == 404
    login(client, None)
    assert client.get(url, buffered=True).status_code in (302, 401)


def test_a_file_of_another_dossier_is_not_found(client, login, people, make_dossier):
    mine = make_dossier(people.provider_a, title="Mine")
    theirs = make_dossier(people.provider_b, title="Theirs")
    login(client, people.provider_a)
    other_file = theirs.current_files[0].id
    assert client.get(f"/dossiers/{mine.id}/files/{other_file}").status_code == 404
    assert client.get(f"/dossiers/{theirs.id}/files/{other_file}").status_code == 404
    assert client.get(f"/dossiers/{mine.id}/files/999999").status_code == 404


def test_a_file_missing_from_storage_is_not_found(app, client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    evidence = dossier.current_files[0]
    (upload_dir(app) / evidence.stored_name).unlink()
    login(client, people.provider_a)
    assert client.get(f"/dossiers/{dossier.id}/files/{evidence.id}").status_code == 404


def test_a_removed_file_leaves_the_draft_but_stays_in_the_version(
    app, client, login, people, make_dossier
):
    dossier = make_dossier(people.provider_a, submit=True)
    return_to_provider(dossier, people.officer)
    evidence = dossier.current_files[0]
    login(client, people.provider_a)
    response = client.post(f"/dossiers/{dossier.id}/files/{evidence.id}/remove")
    assert response.status_code == 302

    page = client.get(f"/dossiers/{dossier.id}/edit")
    assert f"/files/{evidence.id}/remove" not in page.text
    assert ">curriculum.pdf</a>" not in page.text
    assert "Evidence file missing: curriculum" in page.text

    version_page = client.get(f"/dossiers/{dossier.id}/versions/1")
    assert f"/dossiers/{dossier.id}/files/{evidence.id}" in version_page.text
    assert ">curriculum.pdf</a>" in version_page.text
    download = client.get(f"/dossiers/{dossier.id}/files/{evidence.id}", buffered=True)
    assert download.status_code == 200
    assert hashlib.sha256(download.data).hexdigest() == evidence.sha256
    login(client, people.officer)
    assert (
        client.get(f"/dossiers/{dossier.id}/files/{evidence.id}", buffered=True).status_code == 200
    )

    login(client, people.provider_a)
    again = client.post(f"/dossiers/{dossier.id}/files/{evidence.id}/remove")
    assert again.status_code == 400


def test_files_cannot_be_changed_once_submitted(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, submit=True)
    evidence = dossier.current_files[0]
    login(client, people.provider_a)
    response = post_file(client, dossier.id, pdf_bytes(), "late.pdf")
    assert response.status_code == 409
    response = client.post(f"/dossiers/{dossier.id}/files/{evidence.id}/remove")
    assert response.status_code == 409
    db.session.expire_all()
    assert len(db.session.get(Dossier, dossier.id).current_files) == 2


def test_another_provider_cannot_upload(client, login, people, draft):
    login(client, people.provider_b)
    assert post_file(client, draft.id, pdf_bytes()).status_code == 404
    assert file_rows() == []


def test_a_failure_after_storing_leaves_no_file_behind(app, people, draft, monkeypatch):
    before = stored_files(app)

    def broken_audit(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(operations.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        operations.add_evidence_file(people.provider_a, draft, "curriculum", "a.pdf", pdf_bytes())
    db.session.rollback()
    assert stored_files(app) == before
    assert file_rows() == []
