"""Visibility (spec section 4): a reviewer sees the other reviews of the round only after
submitting their own — on no page and through no address before — and then only as
"Reviewer N", without the name, the e-mail or the confidential comments, which are for QA."""

from __future__ import annotations

import pytest

from qa_portal.core.db import commit
from qa_portal.reviews import scoring
from tests.builders import full_scores
from tests.reviews.helpers import text


def submit(a, tag):
    draft = full_scores(a)
    draft["comments_to_provider"] = f"PUBLIC-{tag}"
    draft["confidential_comments"] = f"SECRET-{tag}"
    for values in draft["scores"].values():
        values["comment"] = f"CRITERION-{tag}"
    scoring.submit_review(a.reviewer, a, **draft)
    commit()


@pytest.fixture
def half_done(workflow):
    """Reviewer 1 has submitted; Reviewer 2 has not."""
    dossier, (first, second) = workflow.in_review()
    submit(first, "ONE")
    return dossier, first, second


def test_before_submitting_a_reviewer_sees_no_other_review(client, login, half_done):
    dossier, first, second = half_done
    login(client, second.reviewer)
    pages = [
        client.get("/reviews/"),
        client.get(f"/reviews/assignments/{second.id}"),
        client.get(f"/reviews/assignments/{second.id}/review"),
        client.get("/inbox/"),
    ]
    for page in pages:
        assert page.status_code == 200
        seen = page.data.decode()
        for secret in ["PUBLIC-ONE", "SECRET-ONE", "CRITERION-ONE", first.reviewer.name]:
            assert secret not in seen
    assert "No other review" not in text(pages[2])  # the section is not even offered

    file_id = first.round.version.snapshot["files"][0]["id"]
    for url in [
        f"/reviews/assignments/{first.id}",
        f"/reviews/assignments/{first.id}/review",
        f"/reviews/assignments/{first.id}/files/{file_id}",
        f"/dossiers/{dossier.id}",
        f"/dossiers/{dossier.id}/panel/",
    ]:
        assert client.get(url).status_code in (403, 404), url
    for url in [
        f"/reviews/assignments/{first.id}/review",
        f"/reviews/assignments/{first.id}/accept",
    ]:
        assert client.post(url, data={"save": "1"}).status_code == 404
    assert client.get(f"/reviews/assignments/{first.id}/review").status_code == 404


def test_after_submitting_the_others_appear_anonymised_without_confidential_comments(
    client, login, people, half_done
):
    dossier, first, second = half_done
    submit(second, "TWO")
    for me, other, mine, theirs in [
        (second, first, "TWO", "ONE"),
        (first, second, "ONE", "TWO"),
    ]:
        login(client, me.reviewer)
        r = client.get(f"/reviews/assignments/{me.id}/review")
        seen = text(r)
        others = seen[seen.index("The other reviews of this round") :]
        assert f"{other.alias} — Approve" in others
        assert f"PUBLIC-{theirs}" in others and f"CRITERION-{theirs}" in others
        assert f"SECRET-{theirs}" not in r.data.decode()
        assert other.reviewer.name not in r.data.decode()
        assert other.reviewer.email not in r.data.decode()
        assert f"SECRET-{mine}" in seen  # their own confidential comment, in their review

    # QA reads the confidential comments, with the reviewers' names
    login(client, people.officer)
    seen = text(client.get(f"/dossiers/{dossier.id}"))
    assert "SECRET-ONE" in seen and "SECRET-TWO" in seen
    assert first.reviewer.name in seen


def test_the_provider_never_sees_confidential_comments(client, login, people, half_done):
    from qa_portal.decisions import operations as decisions

    dossier, first, second = half_done
    submit(second, "TWO")
    decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Good.")
    commit()
    login(client, people.provider_a)
    r = client.get(f"/dossiers/{dossier.id}")
    seen = r.data.decode()
    assert "PUBLIC-ONE" in seen and "Reviewer 2" in seen
    for hidden in ["SECRET-ONE", "SECRET-TWO", first.reviewer.name, second.reviewer.email]:
        assert hidden not in seen
