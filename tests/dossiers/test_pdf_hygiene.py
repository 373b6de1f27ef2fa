"""Uploaded PDFs must be plain documents: no scripts, launch actions, attachments, rich
media or data-sending forms, and nothing before the ``%PDF-`` header. Ordinary PDFs (ours,
WeasyPrint's, ones with web links and bookmarks) still pass."""

from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from qa_portal.core.errors import InvalidInput
from qa_portal.core.pdf import html_to_pdf
from qa_portal.dossiers import operations
from qa_portal.dossiers.pdf_check import check_pdf
from tests.dossiers import hostile_pdfs
from tests.dossiers.test_evidence_files import file_rows, post_file, stored_files
from tests.helpers import page_text, pdf_bytes

SCRIPT = "This PDF contains JavaScript"
REFUSED = [
    (hostile_pdfs.document_javascript, SCRIPT),
    (hostile_pdfs.open_action_javascript, SCRIPT),
    (hostile_pdfs.page_opening_script_in_disguise, SCRIPT),
    (hostile_pdfs.open_action_launch, "an action that launches a program"),
    (hostile_pdfs.attachment, "embedded files (attachments)"),
    (hostile_pdfs.file_attachment_annotation, "embedded files (attachments)"),
    (hostile_pdfs.link_submitting_a_form, "a form action that sends or imports data"),
    (hostile_pdfs.rich_media, "embedded rich media"),
    (hostile_pdfs.html_polyglot, "other content before its PDF header"),
]
IDS = [build.__name__ for build, _ in REFUSED]


@pytest.mark.parametrize(("build", "reason"), REFUSED, ids=IDS)
def test_the_check_refuses_active_content_with_its_reason(build, reason):
    with pytest.raises(InvalidInput) as refused:
        check_pdf(build())
    assert reason in refused.value.message


def test_only_the_kinds_found_are_named():
    with pytest.raises(InvalidInput, match="embedded files") as refused:
        check_pdf(hostile_pdfs.attachment())
    assert "JavaScript" not in refused.value.message


@pytest.mark.parametrize(
    "data",
    [b" %PDF-1.7\n", b"\xef\xbb\xbf", b"\n"],
    ids=["space", "byte-order-mark", "newline"],
)
def test_any_byte_before_the_header_is_refused(data):
    with pytest.raises(InvalidInput, match="other content before its PDF header"):
        check_pdf(data + pdf_bytes())


def test_ordinary_pdfs_pass(app):
    assert check_pdf(pdf_bytes(pages=3)) == 3
    assert check_pdf(hostile_pdfs.with_web_link_and_bookmark()) == 1
    weasyprint_made = html_to_pdf(
        "<h1 id='top'>Curriculum</h1><p><a href='https://example.org/'>Web</a> "
        "<a href='#top'>Top</a></p><h2>Assessment</h2>"
    )
    assert check_pdf(weasyprint_made) == 1


@pytest.fixture
def draft(people, make_dossier):
    return make_dossier(people.provider_a, files=False)


def test_the_operation_refuses_a_script_and_stores_nothing(app, people, draft):
    before = stored_files(app)
    with pytest.raises(InvalidInput, match=SCRIPT):
        operations.add_evidence_file(
            people.provider_a, draft, "curriculum", "c.pdf", hostile_pdfs.document_javascript()
        )
    assert file_rows() == [] and stored_files(app) == before


def test_the_upload_form_shows_the_reason_next_to_the_file_field(app, client, login, people, draft):
    login(client, people.provider_a)
    response = post_file(client, draft.id, hostile_pdfs.open_action_launch(), "c.pdf")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    errors = html.split('id="file-errors"', 1)[1].split("</ul>", 1)[0]
    assert "an action that launches a program" in errors
    assert "an action that launches a program" in page_text(response)
    assert file_rows() == []


def test_a_json_client_gets_the_reason(client, login, people, draft):
    login(client, people.provider_a)
    boundary, body = encode_multipart(
        {
            "kind": "curriculum",
            "file": FileStorage(io.BytesIO(hostile_pdfs.attachment()), filename="c.pdf"),
        }
    )
    response = client.post(
        f"/dossiers/{draft.id}/files",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "embedded files (attachments)" in response.get_json()["message"]
    assert file_rows() == []
