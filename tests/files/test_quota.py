"""The storage quota of a provider organisation (bytes and files, every file its dossiers
own), shown where the provider uploads; an upload past it is refused by its field, with
what was typed kept, and nothing is written. Concurrent uploads cannot both slip past it."""

from __future__ import annotations

import re

import pytest

from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import ConditionFile
from qa_portal.dossiers import operations, quota
from qa_portal.dossiers.models import EvidenceFile
from qa_portal.extensions import db
from tests.concurrency.helpers import race
from tests.helpers import count, page_text, pdf_bytes

from .helpers import field_errors, names, post_condition_evidence, post_evidence


def usage_of(org):
    return quota.storage_usage(org.id)


def test_usage_counts_every_file_the_organisations_dossiers_own(people, make_dossier, approved):
    dossier, decision = approved
    evidence = sum(f.size for f in dossier.files)
    assert usage_of(people.org_a).used_files == len(dossier.files) == 2
    other = make_dossier(people.provider_a, title="Second", files=False)
    operations.add_evidence_file(people.provider_a, other, "curriculum", "c.pdf", pdf_bytes("x"))
    decisions.submit_condition_evidence(
        people.provider_a, decision.conditions[0], "Done.", [("a.pdf", pdf_bytes("y"))]
    )
    commit()
    usage = usage_of(people.org_a)
    assert usage.used_files == 4
    assert usage.used_bytes == evidence + len(pdf_bytes("x")) + len(pdf_bytes("y"))
    assert usage_of(people.org_b).used_files == 0  # another organisation's files do not count
    assert (usage.quota_bytes, usage.quota_files) == (500 * 1024 * 1024, 500)


def test_the_provider_sees_the_usage_where_they_upload(client, login, people, approved):
    dossier, decision = approved
    shown = str(usage_of(people.org_a))
    assert re.fullmatch(r"\d+ bytes of 500 MB, 2 of 500 files", shown), shown
    login(client, people.provider_a)
    case_page = client.get(f"/dossiers/{dossier.id}")
    assert f"Your organisation’s storage: {shown}." in page_text(case_page)
    form_page = client.get(
        f"/dossiers/{dossier.id}/conditions/{decision.conditions[0].id}/evidence"
    )
    assert form_page.status_code == 200
    assert f"Your organisation’s storage: {shown}." in page_text(form_page)
    assert "up to 20 files at once" in page_text(form_page)


def test_the_edit_page_shows_the_usage(client, login, people, draft):
    login(client, people.provider_a)
    text = page_text(client.get(f"/dossiers/{draft.id}/edit"))
    assert "Your organisation’s storage: 0 bytes of 500 MB, 0 of 500 files." in text


@pytest.mark.parametrize("limit", ["bytes", "files"])
def test_an_upload_past_the_quota_is_refused_by_its_field(
    app, client, login, people, make_dossier, monkeypatch, limit
):
    dossier = make_dossier(people.provider_a, files=False)
    operations.add_evidence_file(people.provider_a, dossier, "curriculum", "c.pdf", pdf_bytes())
    commit()
    data = pdf_bytes("Assessment sample")
    used = usage_of(people.org_a)
    if limit == "bytes":
        monkeypatch.setitem(app.config, "ORG_STORAGE_QUOTA_BYTES", used.used_bytes + len(data) - 1)
        reason = "would exceed it"
    else:
        monkeypatch.setitem(app.config, "ORG_STORAGE_QUOTA_FILES", used.used_files)
        reason = "may store at most 1 files and already stores 1"
    before = names()
    login(client, people.provider_a)
    response = post_evidence(client, dossier.id, data, "sample.pdf", kind="assessment_sample")
    assert response.status_code == 400
    assert reason in field_errors(response, "file")
    assert "ask the QA body to raise the quota" in field_errors(response, "file")
    kind = re.search(r'<select[^>]*id="kind".*?</select>', response.text, re.S).group(0)
    assert re.search(r'<option selected value="assessment_sample">', kind)  # kept as chosen
    assert names() == before  # nothing written, not even a .part file
    assert count(EvidenceFile) == 1

    answer = post_evidence(
        client, dossier.id, data, "sample.pdf", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "quota_exceeded"
    assert reason in answer.get_json()["message"]
    assert names() == before


def test_condition_evidence_past_the_quota_is_refused_by_its_field(
    app, client, login, people, approved, monkeypatch
):
    dossier, decision = approved
    condition = decision.conditions[0]
    monkeypatch.setitem(
        app.config, "ORG_STORAGE_QUOTA_FILES", usage_of(people.org_a).used_files + 1
    )
    before = names()
    login(client, people.provider_a)
    files = [("one.pdf", pdf_bytes("1")), ("two.pdf", pdf_bytes("2"))]
    response = post_condition_evidence(client, dossier, condition, "Published on the page.", files)
    assert response.status_code == 400
    assert "this upload would add 2" in field_errors(response, "files")
    assert "Published on the page.</textarea>" in response.text  # what was typed is kept
    assert names() == before
    assert count(ConditionFile) == 0
    db.session.refresh(condition)
    assert condition.state.value == "open"
    # within the quota it goes through
    ok = post_condition_evidence(client, dossier, condition, "Published.", files[:1])
    assert ok.status_code == 302
    assert count(ConditionFile) == 1


def test_two_uploads_at_once_cannot_both_pass_the_quota(
    app, own_folders, login, people, make_dossier, monkeypatch
):
    dossier = make_dossier(people.provider_a, files=False)
    monkeypatch.setitem(app.config, "ORG_STORAGE_QUOTA_FILES", 1)  # room for one file
    clients = [login(app.test_client(), people.provider_a) for _ in range(4)]
    dossier_id = dossier.id
    db.session.rollback()

    def upload(client, n):
        def prepare():
            return lambda: post_evidence(client, dossier_id, pdf_bytes(f"Race {n}"), f"{n}.pdf")

        return prepare

    responses = race(app, [upload(c, n) for n, c in enumerate(clients)])
    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [302, 400, 400, 400]
    [row] = db.session.query(EvidenceFile).all()
    assert names() == {row.stored_name}  # the refused ones left nothing behind
