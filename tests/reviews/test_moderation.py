"""Moderation (spec section 4, "Divergence"): per criterion the mean and spread of the
submitted reviews; a spread of 2 or more flags the criterion, and the officer writes a
moderation note on it before deciding."""

from __future__ import annotations

import pytest

from qa_portal.core.db import commit
from qa_portal.core.errors import TransitionNotAllowed
from qa_portal.decisions import operations as decisions
from qa_portal.reviews import moderation, rounds, scoring
from tests.builders import Case, full_scores
from tests.helpers import audit_actions
from tests.reviews.helpers import JSON, row_of, rows, text


@pytest.fixture
def scored(people, panel, screening):
    """Three reviewers: two submitted (criterion 1: 3 and 4; criterion 2: 1 and 3), the
    third has only a draft (criterion 2: 4), which must not count."""
    case = Case(screening(), officer=people.officer, reviewers=panel)
    a, b, c = case.submit_reviews([{1: 3, 2: 1}, {1: 4, 2: 3}], only=2).assignments
    scoring.save_review(c.reviewer, c, **full_scores(c, overrides={2: 4}))
    commit()
    return case.dossier


def test_mean_and_spread_over_submitted_reviews(scored):
    stats = {s.criterion.position: s for s in moderation.round_statistics(scored.current_round)}
    assert (stats[1].mean, stats[1].spread, stats[1].divergent) == (3.5, 1, False)
    assert (stats[2].mean, stats[2].spread, stats[2].divergent) == (2.0, 2, True)
    assert (stats[3].mean, stats[3].spread, stats[3].divergent) == (3.0, 0, False)
    assert [
        s.criterion.position for s in moderation.unmoderated_divergences(scored.current_round)
    ] == [2]


def test_the_officer_sees_the_flag_and_moderates(client, login, people, panel, scored):
    login(client, people.officer)
    page = client.get(f"/dossiers/{scored.id}")
    first = row_of(page, "Scores", "1. Learning outcomes")
    second = row_of(page, "Scores", "2. Assessment is valid")
    assert "divergent" not in first and "3.50" in first
    assert "divergent" in second and "2.00" in second
    header = rows(page, "Scores")[0]
    assert "Reviewer 1" in header and "Reviewer 2" in header
    assert "Reviewer 3" not in header  # a draft is not a review

    criterion = next(
        s.criterion for s in moderation.round_statistics(scored.current_round) if s.divergent
    )
    url = f"/dossiers/{scored.id}/panel/moderation"
    note = "Reviewer 1 overlooked the oral defence; 3 stands."
    for user in [panel[0], people.provider_a, people.admin]:
        login(client, user)
        r = client.post(url, data={"criterion_id": criterion.id, "text": note}, headers=JSON)
        assert r.status_code in (403, 404)
    login(client, people.officer)
    r = client.post(url, data={"criterion_id": criterion.id, "text": " "}, headers=JSON)
    assert r.status_code == 400
    assert "moderation.note" not in audit_actions()

    assert client.post(url, data={"criterion_id": criterion.id, "text": note}).status_code == 302
    assert "moderation.note" in audit_actions()
    page = client.get(f"/dossiers/{scored.id}")
    assert f"Moderation: {note}" in text(page)
    assert moderation.unmoderated_divergences(scored.current_round) == []


def test_no_divergence_at_one_point(people, panel, screening):
    case = Case(screening(), officer=people.officer, reviewers=panel[:2])
    dossier = case.submit_reviews([{4: 2}, {4: 3}]).dossier
    assert moderation.unmoderated_divergences(dossier.current_round) == []
    decisions.decide_round(people.officer, dossier, outcome="approved", rationale="Good.")
    commit()


def test_notes_come_before_the_decision(client, login, people, scored):
    criterion = scored.current_round.rubric.criteria[1]
    rounds.close_round(people.officer, scored)
    commit()
    with pytest.raises(TransitionNotAllowed, match="moderation note"):
        decisions.decide_round(people.officer, scored, outcome="approved", rationale="Good.")
    moderation.add_moderation_note(people.officer, scored, criterion.id, "Checked.")
    decisions.decide_round(people.officer, scored, outcome="approved", rationale="Good.")
    commit()
    login(client, people.officer)
    r = client.post(
        f"/dossiers/{scored.id}/panel/moderation",
        data={"criterion_id": criterion.id, "text": "Too late."},
        headers=JSON,
    )
    assert r.status_code == 409 and "before the decision" in r.json["message"]
