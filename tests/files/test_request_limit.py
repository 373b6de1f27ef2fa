"""At most ``MAX_FILES_PER_REQUEST`` files in one request (condition evidence accepted 200 in
one POST): more are refused with the reason by the field (400), and nothing is stored."""

from __future__ import annotations

import pytest

from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import ConditionFile
from qa_portal.dossiers import quota
from qa_portal.extensions import db
from tests.helpers import count, page_text, pdf_bytes

from .helpers import field_errors, names, post_condition_evidence

PDF = pdf_bytes("Evidence")


def test_two_hundred_files_in_one_post_are_refused(client, login, people, approved):
    dossier, decision = approved
    condition = decision.conditions[0]
    before = names()
    login(client, people.provider_a)
    files = [(f"{n}.pdf", PDF) for n in range(200)]
    response = post_condition_evidence(client, dossier, condition, "All of it.", files)
    assert response.status_code == 400
    assert "At most 20 files can be sent at once; you sent 200" in field_errors(response, "files")
    assert "All of it.</textarea>" in response.text
    assert names() == before
    assert count(ConditionFile) == 0
    db.session.refresh(condition)
    assert condition.state.value == "open"

    answer = post_condition_evidence(
        client, dossier, condition, "", files[:21], headers={"Accept": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "too_many_files"
    assert "you sent 21" in answer.get_json()["message"]
    assert names() == before


def test_the_limit_is_configurable_and_inclusive(app, client, login, people, approved, monkeypatch):
    dossier, decision = approved
    monkeypatch.setitem(app.config, "MAX_FILES_PER_REQUEST", 3)
    login(client, people.provider_a)
    four = [(f"{n}.pdf", PDF) for n in range(4)]
    refused = post_condition_evidence(client, dossier, decision.conditions[0], "", four)
    assert refused.status_code == 400 and "At most 3 files" in page_text(refused)
    accepted = post_condition_evidence(client, dossier, decision.conditions[0], "", four[:3])
    assert accepted.status_code == 302
    assert count(ConditionFile) == 3


def test_the_operation_refuses_too_many_files(people, approved):
    dossier, decision = approved
    before = names()
    with pytest.raises(quota.TooManyFiles, match="you sent 21"):
        decisions.submit_condition_evidence(
            people.provider_a, decision.conditions[0], "", [("x.pdf", PDF)] * 21
        )
    assert names() == before
