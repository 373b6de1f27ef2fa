"""A second round after "revise and resubmit": reviewers keep their alias within the dossier
(new reviewers get new numbers), and the panel reads what changed since the last version."""

from __future__ import annotations

import pytest

from qa_portal.cases import screening as screening_ops
from qa_portal.core.db import commit
from qa_portal.dossiers import operations as dossiers
from qa_portal.reviews import invitations
from tests.builders import Case
from tests.helpers import pdf_bytes
from tests.reviews.helpers import text


@pytest.fixture
def second_round(workflow, people, panel):
    """Round 1 decided "revise and resubmit"; the revised version (new title, one more
    evidence file) is submitted and taken up: round 1's reviewers are invited again."""
    dossier, _ = workflow.decided("revise_and_resubmit")
    screening_ops.start_revision(people.provider_a, dossier)
    dossiers.save_dossier(
        people.provider_a,
        dossier,
        {"title": "Cloud-Native Operations and Security"},
        dossier.lock_version,
    )
    dossiers.add_evidence_file(
        people.provider_a, dossier, "other", "security-policy.pdf", pdf_bytes("Security")
    )
    return workflow.case(dossier).take_up().dossier  # submitted first


def test_aliases_are_stable_within_the_dossier(second_round, panel, people, screening):
    dossier = second_round
    aliases = {r.number: {a.reviewer_id: a.alias for a in r.assignments} for r in dossier.rounds}
    assert aliases[1] == {panel[0].id: "Reviewer 1", panel[1].id: "Reviewer 2"}
    assert aliases[2] == aliases[1]
    newcomer = invitations.invite_reviewer(people.officer, dossier, panel[2])
    commit()
    assert newcomer.alias == "Reviewer 3"
    # Another dossier numbers its own panel from 1.
    other = screening()
    assert invitations.invite_reviewer(people.officer, other, panel[2]).alias == "Reviewer 1"


def test_the_panel_reads_what_changed_since_the_last_round(
    client, login, second_round, panel, people
):
    dossier = second_round
    assignments = dossier.current_round.assignments
    Case(dossier, officer=people.officer).open()
    a = assignments[0]
    login(client, a.reviewer)
    r = client.get(f"/reviews/assignments/{a.id}/review")
    seen = text(r)
    assert "round 2 · version 2" in seen
    start = seen.index("What changed since the previous round (version 1)")
    changes = seen[start : seen.index("The dossier under review", start)]
    assert "Cloud-Native Operations and Security" in changes
    assert "security-policy.pdf" in changes
    new_file = next(
        f["id"]
        for f in dossier.current_round.version.snapshot["files"]
        if f["name"] == "security-policy.pdf"
    )
    # The new file opens through this round's assignment, not through round 1's.
    r = client.get(f"/reviews/assignments/{a.id}/files/{new_file}")
    assert r.status_code == 200
    r.close()
    old = next(x for x in dossier.rounds[0].assignments if x.reviewer_id == a.reviewer_id)
    assert client.get(f"/reviews/assignments/{old.id}/files/{new_file}").status_code == 404
