"""Complaints (ESG 2.7), separate from appeals: anyone signed in files one (category, text,
optionally a dossier they can see, the person complained about, a PDF); only the
complainant and the QA admins see it; a QA admin who is neither the subject nor the
complainant handles it; lodged → acknowledged → resolved, or withdrawn by the complainant;
due dates from the policy, overdue shown, reminders sent once; every step audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app

from qa_portal.accounts.models import Role
from qa_portal.cases.reminders import send_reminders
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.decisions import complaints
from qa_portal.decisions.models import Complaint, ComplaintOutcome, ComplaintState
from qa_portal.extensions import db
from qa_portal.reviews.policy import update_policy
from tests.helpers import audit_actions, count, last_transition, notified, page_text, pdf_bytes

TEXT = "The case officer did not answer our three messages about the screening."
RESPONSE = "We apologise: the officer was away; messages are now forwarded during absences."


@pytest.fixture
def admin2(make_user, qa_body):
    return make_user(Role.QA_ADMIN, org=qa_body, name="Ines Second-Admin")


def _file(user, **kw) -> Complaint:
    complaint = complaints.file_complaint(
        user, category=kw.pop("category", "conduct"), text=kw.pop("text", TEXT), **kw
    )
    commit()
    return complaint


def _uploads() -> set[str]:
    return {p.name for p in Path(current_app.config["UPLOAD_DIR"]).glob("*")}


# -- filing -------------------------------------------------------------------------------
def test_anyone_signed_in_files_a_complaint_and_the_admins_are_told(people, admin2):
    for author in (people.provider_a, people.reviewer, people.officer):
        complaint = _file(author, category="process", subject=people.admin)
        assert complaint.state == ComplaintState.LODGED
        assert complaint.ack_due == clock.today() + timedelta(days=5)
        assert complaint.resolution_due == clock.today() + timedelta(days=30)
        assert last_transition(complaint, "lodge")["category"] == "process"
    # the admin complained about is not told; the other admin is, each time
    assert [n.kind for n in notified(admin2)] == ["complaint"] * 3
    assert not notified(people.admin)


def test_the_due_dates_follow_the_policy(people):
    update_policy(people.admin, {"complaint_ack_days": 2, "complaint_days": 10})
    commit()
    complaint = _file(people.provider_a)
    assert complaint.ack_due == clock.today() + timedelta(days=2)
    assert complaint.resolution_due == clock.today() + timedelta(days=10)


def test_a_complaint_needs_a_category_and_a_real_text(people):
    before = count(Complaint)
    with pytest.raises(InvalidInput, match="at least 30"):
        complaints.file_complaint(people.provider_a, category="conduct", text="Rude.")
    with pytest.raises(InvalidInput, match="what the complaint is about"):
        complaints.file_complaint(people.provider_a, category="weather", text=TEXT)
    commit()
    assert count(Complaint) == before


def test_only_a_dossier_the_author_can_see(people, workflow):
    dossier = workflow.submitted()
    with pytest.raises(NotPermitted):
        complaints.file_complaint(people.provider_b, category="process", text=TEXT, dossier=dossier)
    commit()
    assert count(Complaint) == 0
    assert _file(people.provider_a, dossier=dossier).dossier_id == dossier.id


def test_the_attachment_is_checked_like_evidence(people):
    before = _uploads()
    with pytest.raises(complaints.AttachmentRefused, match="notes.pdf"):
        complaints.file_complaint(
            people.provider_a, category="conduct", text=TEXT, attachment=("notes.pdf", b"hello")
        )
    with pytest.raises(complaints.AttachmentRefused, match="empty"):
        complaints.file_complaint(
            people.provider_a, category="conduct", text=TEXT, attachment=("empty.pdf", b"")
        )
    db.session.rollback()
    assert count(Complaint) == 0 and _uploads() == before
    complaint = _file(people.provider_a, attachment=("mails.pdf", pdf_bytes("Mails")))
    assert complaint.attachment_name == "mails.pdf" and complaint.attachment_sha256
    assert complaint.attachment_stored_name in _uploads()


def test_the_form_shows_errors_by_the_fields_and_keeps_the_text(client, login, people):
    login(client, people.provider_a)
    page = client.get("/complaints/new")
    assert page.status_code == 200 and "Your complaint" in page_text(page)
    typed = "Too short."
    response = client.post("/complaints/new", data={"text": typed})
    text = page_text(response)
    assert response.status_code == 400
    assert "Choose what the complaint is about." in text and "at least 30" in text
    assert typed in text
    bad = {
        "category": "conduct",
        "text": TEXT,
        "attachment": (io.BytesIO(b"not a pdf"), "scan.pdf"),
    }
    response = client.post("/complaints/new", data=bad, content_type="multipart/form-data")
    assert response.status_code == 400 and "scan.pdf" in page_text(response)
    assert TEXT in page_text(response)
    assert count(Complaint) == 0
    good = {**bad, "attachment": (io.BytesIO(pdf_bytes()), "mails.pdf")}
    response = client.post("/complaints/new", data=good, content_type="multipart/form-data")
    assert response.status_code == 302
    complaint = db.session.execute(db.select(Complaint)).scalar_one()
    assert response.headers["Location"].endswith(f"/complaints/{complaint.id}")
    download = client.get(f"/complaints/{complaint.id}/attachment")
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_the_dossier_choice_lists_only_visible_dossiers(client, login, people, workflow):
    dossier = workflow.submitted()
    login(client, people.provider_b)
    response = client.post(
        "/complaints/new", data={"category": "process", "text": TEXT, "dossier": str(dossier.id)}
    )
    assert response.status_code == 400 and dossier.reference not in page_text(response)
    assert count(Complaint) == 0
    login(client, people.provider_a)
    page = page_text(client.get(f"/complaints/new?dossier={dossier.id}"))
    assert re.search(
        rf'<option (selected value="{dossier.id}"|value="{dossier.id}" selected)', page
    )


# -- who sees what ------------------------------------------------------------------------
def test_the_complainant_and_the_qa_admins_see_it_nobody_else(client, login, people, make_user):
    complaint = _file(people.provider_a, subject=people.officer)
    url = f"/complaints/{complaint.id}"
    for user, status in (
        (people.provider_a, 200),
        (people.admin, 200),
        (people.provider_b, 404),
        (people.reviewer, 404),
        (people.officer, 404),  # the person complained about
    ):
        login(client, user)
        assert client.get(url).status_code == status, user.name
        listed = f'href="{url}"' in client.get("/complaints/").get_data(as_text=True)
        assert listed is (status == 200), user.name


def test_the_admin_list_filters_by_state_and_overdue(client, login, people, monkeypatch):
    old = _file(people.provider_a)
    fresh = _file(people.reviewer)
    complaints.acknowledge_complaint(people.admin, fresh)
    commit()
    monkeypatch.setattr(clock, "today", lambda: old.ack_due + timedelta(days=1))
    login(client, people.admin)
    text = client.get("/complaints/?overdue=1").get_data(as_text=True)
    assert f"/complaints/{old.id}" in text and f'/complaints/{fresh.id}"' not in text
    assert "overdue" in page_text(client.get(f"/complaints/{old.id}"))
    text = client.get("/complaints/?state=acknowledged").get_data(as_text=True)
    assert f'/complaints/{fresh.id}"' in text and f'/complaints/{old.id}"' not in text


# -- handling -----------------------------------------------------------------------------
def test_the_subject_and_the_complainant_may_not_handle_it(people, admin2, make_user, qa_body):
    about_admin = _file(people.provider_a, subject=people.admin)
    with pytest.raises(NotPermitted, match="person complained about"):
        complaints.acknowledge_complaint(people.admin, about_admin)
    with pytest.raises(NotPermitted, match="person complained about"):
        complaints.acknowledge_complaint(admin2, about_admin, people.admin)
    by_admin = _file(admin2, category="process")
    with pytest.raises(NotPermitted, match="made the complaint"):
        complaints.acknowledge_complaint(admin2, by_admin)
    with pytest.raises(NotPermitted, match="QA admins"):
        complaints.acknowledge_complaint(people.officer, by_admin)
    commit()
    assert {about_admin.state, by_admin.state} == {ComplaintState.LODGED}
    complaints.acknowledge_complaint(admin2, about_admin)
    complaints.acknowledge_complaint(people.admin, by_admin)
    commit()
    assert (about_admin.handler_id, by_admin.handler_id) == (admin2.id, people.admin.id)


def test_lodged_acknowledged_resolved(client, login, people, admin2):
    complaint = _file(people.provider_a, subject=people.officer)
    with pytest.raises(TransitionNotAllowed):
        complaints.resolve_complaint(admin2, complaint, outcome="upheld", response=RESPONSE)
    commit()
    login(client, people.admin)
    response = client.post(
        f"/complaints/{complaint.id}/acknowledge", data={"handler": str(admin2.id)}
    )
    assert response.status_code == 302
    db.session.refresh(complaint)
    assert complaint.state == ComplaintState.ACKNOWLEDGED and complaint.handler_id == admin2.id
    (ack,) = [n for n in notified(people.provider_a) if n.kind == "complaint_acknowledged"]
    assert "acknowledged" in ack.title
    # only the handler resolves it
    with pytest.raises(NotPermitted, match="handler"):
        complaints.resolve_complaint(people.admin, complaint, outcome="upheld", response=RESPONSE)
    with pytest.raises(InvalidInput, match="response"):
        complaints.resolve_complaint(admin2, complaint, outcome="upheld", response="Sorry.")
    commit()
    login(client, admin2)
    url = f"/complaints/{complaint.id}/resolve"
    assert client.post(url, data={"outcome": "partly_upheld"}).status_code == 400
    response = client.post(url, data={"outcome": "partly_upheld", "response": RESPONSE})
    assert response.status_code == 302
    db.session.refresh(complaint)
    assert complaint.state == ComplaintState.RESOLVED
    assert complaint.outcome == ComplaintOutcome.PARTLY_UPHELD
    (told,) = [n for n in notified(people.provider_a) if n.kind == "complaint_resolved"]
    assert RESPONSE in told.body
    # the complainant reads the response; it can no longer be withdrawn or resolved again
    login(client, people.provider_a)
    text = page_text(client.get(f"/complaints/{complaint.id}"))
    assert "Response: Partly upheld" in text and RESPONSE in text
    assert "Withdraw the complaint" not in text
    with pytest.raises(TransitionNotAllowed):
        complaints.withdraw_complaint(people.provider_a, complaint)
    with pytest.raises(TransitionNotAllowed):
        complaints.resolve_complaint(admin2, complaint, outcome="upheld", response=RESPONSE)
    commit()
    actions = [a for a in audit_actions() if a.startswith("complaint.")]
    assert actions == ["complaint.lodge", "complaint.acknowledge", "complaint.resolve"]


def test_the_complainant_withdraws_before_resolution(client, login, people):
    complaint = _file(people.provider_a)
    with pytest.raises(NotPermitted):
        complaints.withdraw_complaint(people.admin, complaint)
    commit()
    login(client, people.provider_a)
    assert "Withdraw the complaint" in page_text(client.get(f"/complaints/{complaint.id}"))
    assert client.post(f"/complaints/{complaint.id}/withdraw").status_code == 302
    db.session.refresh(complaint)
    assert complaint.state == ComplaintState.WITHDRAWN and complaint.withdrawn_at
    with pytest.raises(TransitionNotAllowed):
        complaints.acknowledge_complaint(people.admin, complaint)
    commit()


def test_the_dossier_page_card(client, login, people, workflow):
    dossier = workflow.submitted()
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{dossier.id}"))
    assert "File a complaint about this procedure" in text
    complaint = _file(people.provider_a, dossier=dossier)
    login(client, people.admin)
    assert f"/complaints/{complaint.id}" in page_text(client.get(f"/dossiers/{dossier.id}"))
    login(client, people.officer)
    assert f"/complaints/{complaint.id}" not in page_text(client.get(f"/dossiers/{dossier.id}"))


# -- deadlines and reminders ----------------------------------------------------------------
def test_reminders_before_the_due_date_and_when_overdue_each_once(people, admin2):
    complaint = _file(people.provider_a, subject=people.admin)
    day_before = complaint.ack_due - timedelta(days=1)
    assert not complaint.is_overdue(complaint.ack_due)
    assert complaint.is_overdue(complaint.ack_due + timedelta(days=1))
    for _ in range(2):
        send_reminders(day_before, commit=commit)
    reminders = [n for n in notified(admin2) if n.kind == "reminder"]
    assert len(reminders) == 1 and "complaint" in reminders[0].title.lower()
    assert not [n for n in notified(people.admin) if n.kind == "reminder"]  # the subject
    late = complaint.ack_due + timedelta(days=1)
    for _ in range(2):
        counts = send_reminders(late, commit=commit)
    assert counts["complaint_overdue"] == 0 and counts["skipped"] >= 1
    assert len([n for n in notified(admin2) if n.kind == "overdue"]) == 1
    # once acknowledged, the handler is reminded of the resolution's due date, once
    complaints.acknowledge_complaint(admin2, complaint)
    commit()
    before = notified(admin2)[-1].id
    for _ in range(2):
        send_reminders(complaint.resolution_due - timedelta(days=1), commit=commit)
    assert len([n for n in notified(admin2, before) if n.kind == "reminder"]) == 1
