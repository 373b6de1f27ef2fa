"""Conditions of an approval: the provider answers each with a note and PDF evidence
(checked like dossier evidence), the QA officer marks it met or not met (with a note),
overdue conditions are flagged, and "conditions met" shows once all are met."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app

from qa_portal.core import clock
from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.decisions import operations as decisions
from qa_portal.extensions import db
from tests.dossiers import hostile_pdfs
from tests.helpers import notified, page_text, pdf_bytes

from .helpers import future, world


@pytest.fixture
def approved(workflow):
    dossier, decision = workflow.decided(
        "approved_with_conditions",
        conditions=[
            {"text": "Publish the grading scheme.", "due_date": future(30)},
            {"text": "Appoint an external examiner.", "due_date": future(60)},
        ],
    )
    return dossier, decision


def _evidence(client, dossier, condition, note="", files=(), headers=None):
    data = {"note": note, "files": [(io.BytesIO(data), name) for name, data in files]}
    return client.post(
        f"/dossiers/{dossier.id}/conditions/{condition.id}/evidence",
        data=data,
        headers=headers or {},
        content_type="multipart/form-data",
    )


def _stored_files() -> list[str]:
    return sorted(p.name for p in Path(current_app.config["UPLOAD_DIR"]).glob("*"))


def test_provider_submits_evidence_and_downloads_it(client, login, approved, people):
    dossier, decision = approved
    first = decision.conditions[0]
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "Publish the grading scheme." in text and "Submit the evidence" in text
    pdf = pdf_bytes("Grading scheme")
    response = _evidence(
        client, dossier, first, "Published on the course page.", [("grading scheme", pdf)]
    )
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.state.value == "evidence_submitted"
    assert first.evidence_note == "Published on the course page."
    (stored,) = first.files
    assert stored.original_name == "grading scheme.pdf"
    assert stored.sha256 == hashlib.sha256(pdf).hexdigest()

    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "grading scheme.pdf" in text and "Published on the course page." in text
    download = client.get(f"/dossiers/{dossier.id}/conditions/{first.id}/files/{stored.id}")
    body = download.data
    download.close()
    assert download.status_code == 200 and body == pdf
    assert download.headers["Content-Disposition"] == 'attachment; filename="grading scheme.pdf"'
    assert "sandbox" in download.headers["Content-Security-Policy"].split("; ")
    # the case officer is asked to verify
    assert any("Evidence for a condition" in n.title for n in notified(people.officer))

    # the officer's download is audited, the provider's own is not
    def downloads():
        return db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "condition.file_download")
        )

    assert downloads() == 0
    login(client, people.officer)
    client.get(f"/dossiers/{dossier.id}/conditions/{first.id}/files/{stored.id}").close()
    assert downloads() == 1


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("fake.pdf", b"MZ\x90\x00 not a pdf")], "is not a PDF"),
        ([("empty.pdf", b"")], "is empty"),
        ([("ok.pdf", pdf_bytes()), ("broken.pdf", b"%PDF-1.4\n garbage")], "broken.pdf"),
        (
            [("ok.pdf", pdf_bytes()), ("script.pdf", hostile_pdfs.open_action_javascript())],
            "script.pdf: This PDF contains JavaScript",
        ),
        ([("page.pdf", hostile_pdfs.html_polyglot())], "other content before its PDF header"),
    ],
    ids=["not-a-pdf", "empty", "second-file-broken", "script", "polyglot"],
)
def test_bad_evidence_is_refused_and_nothing_is_kept(
    client, login, approved, people, files, message
):
    dossier, decision = approved
    first = decision.conditions[0]
    before = world(dossier)
    login(client, people.provider_a)
    response = _evidence(client, dossier, first, "See attached.", files)
    assert response.status_code == 400
    assert message in page_text(response)
    answer = _evidence(
        client, dossier, first, "See attached.", files, {"Accept": "application/json"}
    )
    assert answer.status_code == 400 and message in answer.get_json()["message"]
    assert world(dossier) == before  # no row, no stored file, condition still open


def test_evidence_larger_than_the_limit_is_refused(approved, people, monkeypatch):
    dossier, decision = approved
    monkeypatch.setitem(current_app.config, "EVIDENCE_MAX_BYTES", 100)
    before = _stored_files()
    with pytest.raises(InvalidInput, match="larger than"):
        decisions.submit_condition_evidence(
            people.provider_a, decision.conditions[0], "", [("big.pdf", pdf_bytes())]
        )
    assert _stored_files() == before


def test_evidence_needs_a_note_or_a_file(approved, people):
    dossier, decision = approved
    with pytest.raises(InvalidInput, match="Describe how the condition is met"):
        decisions.submit_condition_evidence(people.provider_a, decision.conditions[0], " ", [])


def test_not_met_needs_a_note(client, login, approved, people):
    dossier, decision = approved
    first = decision.conditions[0]
    decisions.submit_condition_evidence(people.provider_a, first, "Done.", [])
    commit()
    before = world(dossier)
    login(client, people.officer)
    url = f"/dossiers/{dossier.id}/conditions/{first.id}/verify"
    response = client.post(url, data={"verdict": "not_met", "note": ""})
    assert response.status_code == 400 and "Say why the condition is not met" in page_text(response)
    assert client.post(url, data={"verdict": "maybe"}).status_code == 400
    assert world(dossier) == before
    note = "The grading scheme is still missing from the course page."
    assert client.post(url, data={"verdict": "not_met", "note": note}).status_code == 302
    db.session.refresh(first)
    assert first.state.value == "not_met" and first.verification_note == note
    assert first.verified_by_id == people.officer.id
    (told,) = [n for n in notified(people.provider_a) if n.kind == "condition_verified"]
    assert "not met" in told.title and note in told.body
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert note in text and "Not met" in text and "Otto Officer" not in text


def test_overdue_conditions_are_flagged(client, login, approved, people, monkeypatch):
    dossier, decision = approved
    login(client, people.provider_a)
    assert "overdue" not in page_text(client.get(f"/dossiers/{dossier.id}"))
    # 31 days later the first condition (due in 30 days, still open) is overdue
    later = clock.today() + timedelta(days=31)
    monkeypatch.setattr(clock, "today", lambda: later)
    for user in (people.provider_a, people.officer):
        login(client, user)
        text = page_text(client.get(f"/dossiers/{dossier.id}"))
        assert text.count('badge-overdue">overdue') == 1, user.name
    assert decisions.conditions_summary(decision)["overdue"] == 1
    # evidence submitted: no longer overdue (it waits for the QA body)
    decisions.submit_condition_evidence(people.provider_a, decision.conditions[0], "Done.", [])
    commit()
    assert 'badge-overdue">overdue' not in page_text(client.get(f"/dossiers/{dossier.id}"))


def test_conditions_met_is_shown_when_all_are_met(client, login, approved, people):
    dossier, decision = approved
    first, second = decision.conditions
    for condition in (first, second):
        decisions.submit_condition_evidence(people.provider_a, condition, "Done.", [])
    decisions.verify_condition(people.officer, first, met=True, note="")
    commit()
    login(client, people.provider_a)
    assert "conditions met" not in page_text(client.get(f"/dossiers/{dossier.id}"))
    decisions.verify_condition(people.officer, second, met=True, note="Thank you.")
    commit()
    for user in (people.provider_a, people.officer):
        login(client, user)
        assert "conditions met" in page_text(client.get(f"/dossiers/{dossier.id}"))
    assert decisions.conditions_summary(decision) == {
        "total": 2,
        "met": 2,
        "overdue": 0,
        "all_met": True,
    }
