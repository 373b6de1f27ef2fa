"""Field-by-field difference between two dossier snapshots."""

from __future__ import annotations

import copy

import pytest

from qa_portal.dossiers.diff import diff_snapshots
from tests.dossiers.helpers import complete_data


@pytest.fixture(autouse=True)
def ctx():
    """Pure functions on plain data: no database, so none of the per-test table cleanup."""
    yield


def pair():
    old = complete_data()
    return old, copy.deepcopy(old)


def test_no_change_is_empty():
    old, new = pair()
    changes = diff_snapshots(old, new)
    assert changes.is_empty
    assert changes.summary() == []


def test_equivalent_values_are_no_change():
    old, new = pair()
    new["ects"] = 5  # 5.0 before
    new["earlier_reviews"] = None  # "" before
    new["summary"] = old["summary"] + "  "
    assert diff_snapshots(old, new).is_empty


def test_field_changes_carry_label_and_values():
    old, new = pair()
    new["title"] = "Cloud Operations"
    new["eqf_level"] = 5
    new["languages_instruction"] = ["en", "ga"]
    changes = diff_snapshots(old, new)
    by_field = {c.field: c for c in changes.fields}
    assert set(by_field) == {"title", "eqf_level", "languages_instruction"}
    assert by_field["title"].label == "Title"
    assert (by_field["title"].old, by_field["title"].new) == (
        "Cloud-Native Operations",
        "Cloud Operations",
    )
    assert (by_field["eqf_level"].old, by_field["eqf_level"].new) == (6, 5)
    assert by_field["languages_instruction"].new == ["en", "ga"]
    assert not changes.outcomes and not changes.assessments and not changes.files


def test_outcome_added():
    old, new = pair()
    new["outcomes"].append(
        {"key": "f" * 16, "statement": "Secure a cluster.", "eqf_domain": "skills"}
    )
    changes = diff_snapshots(old, new)
    assert [o["statement"] for o in changes.outcomes.added] == ["Secure a cluster."]
    assert changes.outcomes.added[0]["position"] == 4
    assert not changes.outcomes.removed and not changes.outcomes.reworded


def test_outcome_removed():
    old, new = pair()
    removed = new["outcomes"].pop(1)
    changes = diff_snapshots(old, new)
    assert [o["key"] for o in changes.outcomes.removed] == [removed["key"]]
    assert changes.outcomes.removed[0]["position"] == 2
    assert not changes.outcomes.added and not changes.outcomes.reworded


def test_outcome_reworded_keeps_its_identity():
    old, new = pair()
    new["outcomes"][0]["statement"] = "Deploy a containerised application with Helm."
    changes = diff_snapshots(old, new)
    assert len(changes.outcomes.reworded) == 1
    before, after = changes.outcomes.reworded[0]
    assert before["statement"].startswith("Deploy a containerised application to")
    assert after["statement"] == "Deploy a containerised application with Helm."
    assert not changes.outcomes.added and not changes.outcomes.removed
    assert not changes.outcomes.changed


def test_outcome_changed_in_other_attributes():
    old, new = pair()
    new["outcomes"][2]["eqf_domain"] = "knowledge"
    new["outcomes"][2]["framework_code"] = "K7"
    changes = diff_snapshots(old, new)
    assert not changes.outcomes.reworded
    [(before, after, fields)] = changes.outcomes.changed
    assert fields == ["eqf_domain", "framework_code"]
    assert after["position"] == 3


def test_outcome_reworded_and_changed_is_reported_as_both():
    old, new = pair()
    new["outcomes"][0]["statement"] = "Operate a cluster."
    new["outcomes"][0]["eqf_domain"] = "knowledge"
    changes = diff_snapshots(old, new)
    assert len(changes.outcomes.reworded) == 1
    assert changes.outcomes.changed[0][2] == ["eqf_domain"]


def test_reordered_outcomes_are_not_reworded():
    old, new = pair()
    new["outcomes"].reverse()
    changes = diff_snapshots(old, new)
    assert not changes.outcomes.added and not changes.outcomes.removed
    assert not changes.outcomes.reworded and not changes.outcomes.changed


def test_assessments_added_removed_reworded_changed():
    old, new = pair()
    new["assessments"][0]["description"] = "Capstone project with a peer review."
    new["assessments"][1]["weight"] = 20
    new["assessments"][1]["outcomes"] = [o["key"] for o in new["outcomes"]]
    new["assessments"].append({"key": "e" * 16, "method": "portfolio", "weight": 10})
    changes = diff_snapshots(old, new)
    assert [after["description"] for _, after in changes.assessments.reworded] == [
        "Capstone project with a peer review."
    ]
    assert changes.assessments.changed[0][2] == ["outcomes", "weight"]
    assert [a["method"] for a in changes.assessments.added] == ["portfolio"]

    gone = copy.deepcopy(old)
    gone["assessments"].pop()
    assert [a["method"] for a in diff_snapshots(old, gone).assessments.removed] == ["oral_exam"]


def test_prerequisites_added_and_removed():
    old, new = pair()
    new["prerequisites"].append(
        {"kind": "language", "description": "English B2", "related_reference": ""}
    )
    changes = diff_snapshots(old, new)
    assert [p["description"] for p in changes.prerequisites.added] == ["English B2"]
    assert not changes.prerequisites.removed

    new["prerequisites"] = []
    changes = diff_snapshots(old, new)
    assert [p["kind"] for p in changes.prerequisites.removed] == ["skill"]


def test_edited_prerequisite_is_one_removed_and_one_added():
    old, new = pair()
    new["prerequisites"][0]["description"] = "Python and git."
    changes = diff_snapshots(old, new)
    assert [p["description"] for p in changes.prerequisites.added] == ["Python and git."]
    assert len(changes.prerequisites.removed) == 1


def test_stackability_added_and_removed():
    old, new = pair()
    new["stackability"] = [
        {"qualification": "MSc Data Science", "awarding_body": "Northbridge", "credits": 5.0}
    ]
    changes = diff_snapshots(old, new)
    assert [s["qualification"] for s in changes.stackability.added] == ["MSc Data Science"]
    assert [s["qualification"] for s in changes.stackability.removed] == ["MSc Cloud Computing"]


def test_files_are_compared_by_hash_not_by_name():
    old, new = pair()
    new["files"][0] = {**new["files"][0], "id": 9, "name": "renamed.pdf"}
    assert not diff_snapshots(old, new).files  # same bytes: no change

    new["files"][0] = {**new["files"][0], "sha256": "c" * 64}
    new["files"].append(
        {"id": 10, "kind": "staff_profiles", "name": "s.pdf", "sha256": "d" * 64, "size": 1}
    )
    changes = diff_snapshots(old, new)
    assert {f["sha256"][0] for f in changes.files.added} == {"c", "d"}
    assert [f["sha256"][0] for f in changes.files.removed] == ["a"]


def test_summary_sentences():
    old, new = pair()
    new["title"] = "Cloud Operations"
    new["ects"] = 6
    new["outcomes"][0]["statement"] = "Operate a cluster."
    new["outcomes"][1]["statement"] = "Automate a pipeline."
    new["outcomes"].append({"key": "f" * 16, "statement": "Secure it.", "eqf_domain": "skills"})
    new["prerequisites"] = []
    new["stackability"].append({"qualification": "BSc", "awarding_body": "", "credits": None})
    new["files"] = new["files"][:1]
    assert diff_snapshots(old, new).summary() == [
        "2 fields changed: Title, ECTS credits",
        "1 outcome added",
        "2 outcomes reworded",
        "1 prerequisite removed",
        "1 stackability entry added",
        "1 evidence file removed",
    ]


def test_summary_of_one_field():
    old, new = pair()
    new["internal_qa"] = "New procedure."
    assert diff_snapshots(old, new).summary() == ["1 field changed: Internal quality assurance"]


def test_diff_against_an_empty_draft():
    old = {"title": "", "outcomes": [], "assessments": [], "files": []}
    changes = diff_snapshots(old, complete_data())
    assert len(changes.outcomes.added) == 3
    assert len(changes.files.added) == 2
    assert not changes.is_empty
