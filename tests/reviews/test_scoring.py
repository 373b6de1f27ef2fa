"""Writing a review (spec sections 3–4): the rubric form with guidance, drafts kept between
visits, submission refused while incomplete, final once submitted (QA may reopen), the dossier
version with its warnings and files, and no silent overwrite from a second window."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from qa_portal.core.audit import AuditEntry
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews import invitations
from qa_portal.reviews.defaults import DEFAULT_CRITERIA
from qa_portal.reviews.models import AssignmentState
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, all_scores, field_errors, open_panel, review_form, text


@pytest.fixture
def open_review(workflow, client, login):
    """A review open for the first panel reviewer, signed in."""
    dossier, assignments = workflow.in_review()
    a = assignments[0]
    login(client, a.reviewer)
    return dossier, a, f"/reviews/assignments/{a.id}/review"


def checked(page: str, name: str) -> str | None:
    """The value of the checked radio button ``name``."""
    for tag in re.findall(r"<input[^>]*>", page):
        if f'name="{name}"' in tag and "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def test_the_form_shows_the_rubric_with_guidance(client, open_review):
    dossier, a, url = open_review
    r = client.get(url)
    assert r.status_code == 200
    page, seen = r.data.decode(), text(r)
    for i, (title, guidance) in enumerate(DEFAULT_CRITERIA):
        assert f"{i + 1}. {title}" in seen
        assert guidance in seen
        values = re.findall(rf'name="scores-{i}-score"[^>]*value="(\d)"', page)
        assert values == ["1", "2", "3", "4"]
        assert f'name="scores-{i}-comment"' in page
    for label in ["1 – Does not meet", "4 – Exceeds", "Overall recommendation"]:
        assert label in seen
    assert "Comments to the provider" in seen and "Confidential comments to the QA body" in seen
    # no alias before the review is in: aliases number the submitted reviews only
    assert "under an alias, never your name" in seen and "Reviewer 1" not in seen
    assert "version 1" in seen


def test_a_draft_is_kept_between_visits(client, open_review):
    dossier, a, url = open_review
    # a score outside 1–4 is refused next to its criterion, nothing saved
    r = client.post(url, data=review_form(a, {1: 3, 2: 7}, lock_version=0))
    assert r.status_code == 400
    assert "Not a valid choice" in field_errors(r, "scores-1-score")
    assert field_errors(r, "scores-0-score") == ""
    r = client.post(url, data=review_form(a, {2: 7}, lock_version=0), headers=JSON)
    assert r.status_code == 400 and "Not a valid choice" in r.json["message"]
    assert a.review is None

    form = review_form(
        a,
        {1: 3, 2: 2},
        comments={2: "Oral exam has no rubric."},
        recommendation="revise_and_resubmit",
        to_provider="Strengthen the assessment.",
        confidential="Possible overlap with another dossier.",
        lock_version=0,
    )
    r = client.post(url, data=form)
    assert r.status_code == 302
    page = client.get(url).data.decode()
    assert checked(page, "scores-0-score") == "3"
    assert checked(page, "scores-1-score") == "2"
    assert checked(page, "scores-2-score") is None
    assert "Oral exam has no rubric." in page
    assert re.search(
        r'<option selected value="revise_and_resubmit"|value="revise_and_resubmit" selected', page
    )
    assert "Strengthen the assessment." in page
    assert "Possible overlap with another dossier." in page
    db.session.refresh(a)
    assert a.state == AssignmentState.ACCEPTED
    assert "draft saved" in text(client.get("/reviews/"))


def test_an_incomplete_review_cannot_be_submitted(client, open_review, unchanged):
    dossier, a, url = open_review
    scores = {p: 3 for p in range(1, 7)}  # criteria 7 and 8 not scored
    form = review_form(a, scores, lock_version=0, action="submit")
    check = unchanged()
    r = client.post(url, data=form)
    assert r.status_code == 400
    seen = text(r)
    for missing in [
        "Criterion 7 has no score.",
        "Criterion 8 has no score.",
        "Choose an overall recommendation.",
        "Write your comments to the provider.",
    ]:
        assert missing in seen
    assert "Criterion 6 has no score" not in seen
    # each missing field is marked where it is, and what was typed is still there
    page = r.data.decode()
    assert page.count("Give a score before you submit.") == 2
    assert checked(page, "scores-5-score") == "3"
    r = client.post(url, data=form, headers=JSON)
    assert r.status_code == 400 and "Criterion 7 has no score." in r.json["message"]
    check()


def test_a_submitted_review_is_final_until_qa_reopens_it(client, login, people, open_review):
    dossier, a, url = open_review
    form = review_form(
        a,
        all_scores(),
        recommendation="approve",
        to_provider="Well designed.",
        confidential="For QA only.",
        lock_version=0,
        action="submit",
    )
    assert client.post(url, data=form).status_code == 302
    r = client.get(url)
    page = r.data.decode()
    assert 'id="review-form"' not in page and "<textarea" not in page
    assert "Your review (submitted" in text(r) and "Well designed." in text(r)
    save = {k: v for k, v in form.items() if k != "submit"} | {"save": "1"}
    r = client.post(url, data=save, headers=JSON)
    assert r.status_code == 409 and "submitted" in r.json["message"]

    login(client, people.officer)
    reason = "Please comment on criterion 2."
    r = client.post(f"/dossiers/{dossier.id}/panel/{a.id}/reopen", data={"reason": reason})
    assert r.status_code == 302
    note = db.session.scalars(
        sa.select(Notification)
        .where(Notification.user_id == a.reviewer_id)
        .order_by(Notification.id)
    ).all()[-1]
    assert reason in note.body
    login(client, a.reviewer)
    page = client.get(url).data.decode()
    assert 'id="review-form"' in page
    assert checked(page, "scores-7-score") == "3" and "Well designed." in page


def test_the_reviewer_reads_the_version_its_warnings_and_files(
    client, login, people, screening, make_dossier, panel
):
    dossier = screening(workload_hours=200)  # a warning: 200 hours for 5 ECTS
    a, b = open_panel(people, dossier, panel[:2])
    version = dossier.current_round.version
    login(client, a.reviewer)
    r = client.get(f"/reviews/assignments/{a.id}/review")
    seen = text(r)
    assert "version 1" in seen
    assert "40.0 hours per ECTS credit is outside the usual 25–30." in seen
    files = version.snapshot["files"]
    assert [f["name"] for f in files] == ["curriculum.pdf", "sample.pdf"]
    for f in files:
        assert f"/reviews/assignments/{a.id}/files/{f['id']}" in r.data.decode()

    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    r = client.get(f"/reviews/assignments/{a.id}/files/{files[0]['id']}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF")
    r.close()
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "dossier.file_download" and entry.actor_id == a.reviewer_id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == before + 1

    # a file of another dossier, through this assignment or through the other reviewer's
    other = make_dossier(people.provider_b, submit=True)
    other_file = other.latest_version.snapshot["files"][0]["id"]
    assert client.get(f"/reviews/assignments/{a.id}/files/{other_file}").status_code == 404
    assert client.get(f"/reviews/assignments/{b.id}/files/{files[0]['id']}").status_code == 404
    # a file added to the dossier after this version was frozen
    from qa_portal.dossiers.models import EvidenceFile

    later = EvidenceFile(
        dossier_id=dossier.id,
        kind="other",
        original_name="later.pdf",
        stored_name="x" * 32,
        sha256="0" * 64,
        size=10,
    )
    db.session.add(later)
    commit()
    assert client.get(f"/reviews/assignments/{a.id}/files/{later.id}").status_code == 404
    assert audit_actions().count("dossier.file_download") == 1


def test_files_open_only_after_accepting(client, login, people, screening):
    dossier = screening()
    a = invitations.invite_reviewer(people.officer, dossier, people.reviewer)
    commit()
    login(client, people.reviewer)
    file_id = dossier.latest_version.snapshot["files"][0]["id"]
    assert client.get(f"/reviews/assignments/{a.id}/files/{file_id}").status_code == 404
    page = client.get(f"/reviews/assignments/{a.id}")
    assert "The full dossier and its files open once you accept." in text(page)
    assert f"/files/{file_id}" not in page.data.decode()


def test_a_second_window_cannot_overwrite_a_draft(client, open_review, unchanged):
    dossier, a, url = open_review
    # Both windows opened the form before any draft existed (lock version 0).
    first = review_form(a, {1: 4}, to_provider="From window A.", lock_version=0)
    second = review_form(a, {1: 1}, to_provider="From window B.", lock_version=0)
    assert client.post(url, data=first).status_code == 302
    check = unchanged()
    r = client.post(url, data=second)
    assert r.status_code == 409
    assert "saved from another window" in text(r)
    assert "From window B." in r.data.decode()  # what was typed is not lost
    r = client.post(url, data=second, headers=JSON)
    assert r.status_code == 409 and r.json["error"] == "stale"
    check()
    # With a draft saved (version 1), the same: window B still holds version 1.
    saved = re.search(r'name="lock_version"[^>]*value="(\d+)"', client.get(url).data.decode())
    version = int(saved.group(1))
    assert client.post(url, data={**first, "lock_version": str(version)}).status_code == 302
    r = client.post(url, data={**second, "lock_version": str(version)}, headers=JSON)
    assert r.status_code == 409
    db.session.expire_all()
    assert a.review.comments_to_provider == "From window A."
