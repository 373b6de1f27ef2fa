"""What the PDF says: the public report carries the decision, outcomes, scores, conditions
and verification code and names no reviewer (text or metadata); the internal one does."""

from __future__ import annotations

import re

import pytest

from qa_portal.cases import screening
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.snapshot import dossier_to_dict
from qa_portal.reports.models import ReportVariant

from .helpers import (
    column_text,
    issue,
    normalised,
    page_texts,
    pdf_metadata,
    pdf_text,
    squeezed,
)
from .world import Spec, render_world

PUBLIC, INTERNAL = ReportVariant.PUBLIC, ReportVariant.INTERNAL

SPEC = Spec(
    decider="Olivia Oberhauser",
    reviewers=[
        ("Riina Tammsaare", "riina.tammsaare@uni-tartu.example"),
        ("Marco Rossellini", "marco.rossellini@polimi.example"),
        ("Hanna Schulzendorf", "h.schulzendorf@hs-example.example"),
    ],
    # criterion 2 diverges (1 against 3): moderated; criterion 5 has a 2.33 mean
    scores=[{2: 1, 5: 2}, {2: 3, 5: 2}, {2: 3, 5: 3}],
    confidential="Confidential to the QA body from {alias}: the capstone looks borrowed.",
    general_note="The panel met online on 12 November and agreed the scores.",
    conditions=[
        "Publish the grading rubric of the capstone project to learners before enrolment.",
        "Align LO3 with an ESCO skill or another recognised framework item.",
    ],
)


@pytest.fixture(scope="module")
def sample(app):
    return render_world(app, SPEC)


@pytest.fixture(scope="module")
def public_text(sample):
    return pdf_text(sample.pdfs[PUBLIC])


def test_public_report_states_the_decision_and_its_code(sample, public_text):
    text = normalised(public_text)
    assert "Approved with conditions" in text
    assert sample.reports[PUBLIC]["code"] in text
    assert sample.reports[PUBLIC]["number"] in text
    assert normalised(SPEC.rationale) in text


def test_public_report_lists_every_learning_outcome(sample):
    column, pages = column_text(sample.pdfs[PUBLIC], "Learning outcome", "EQF domain")
    statements = [o["statement"] for o in sample.content[PUBLIC]["outcomes"]]
    assert len(statements) == 3 and pages
    for statement in statements:
        assert normalised(statement) in normalised(column)


def test_public_report_gives_every_criterion_with_its_mean(sample, public_text):
    criteria = sample.content[PUBLIC]["criteria"]
    assert len(criteria) == 8
    lines = public_text.splitlines()
    for c in criteria:
        assert normalised(f"C{c['position']}. {c['title']}") in normalised(public_text)
        # the scores table's row: criterion, three scores, mean, spread on its first line
        row = [line for line in lines if re.match(rf"C{c['position']}\. .* \d \d \d ", line)]
        assert row, c["title"]
        assert row[0].endswith(f" {c['mean']:.2f} {c['spread']}"), row[0]
    means = {c["position"]: c["mean"] for c in criteria}
    assert means[2] == pytest.approx(2.33) and means[5] == pytest.approx(2.33)
    column, _ = column_text(sample.pdfs[PUBLIC], "Mean", "Spread")
    assert re.findall(r"\b\d\.\d\d\b", column)[:8] == [f"{c['mean']:.2f}" for c in criteria]


def test_public_report_lists_the_conditions_with_due_dates(sample):
    column, pages = column_text(sample.pdfs[PUBLIC], "Condition", "Due")
    assert pages
    for condition in SPEC.conditions:
        assert condition in normalised(column)
    dues, _ = column_text(sample.pdfs[PUBLIC], "Due", "State")
    for c in sample.content[PUBLIC]["conditions"]:
        assert f"{c['due'].day} {c['due']:%b %Y}" in dues


def test_public_report_carries_the_moderation_and_the_comments_to_the_provider(sample, public_text):
    text = normalised(public_text)
    assert "Moderated: the panel agreed after discussing criterion 2." in text
    assert SPEC.general_note in text
    for alias in ("Reviewer 1", "Reviewer 2", "Reviewer 3"):
        assert SPEC.comments_to_provider.format(alias=alias) in text


def _people(sample) -> list[str]:
    names = [name for name, _ in SPEC.reviewers] + [SPEC.decider]
    return names + [email for _, email in SPEC.reviewers]


def test_public_report_names_no_reviewer_nor_the_decider(sample, public_text):
    text = squeezed(public_text).lower()
    for who in _people(sample):
        assert squeezed(who).lower() not in text, who
        # nor a first or last name on its own
        for part in who.split():
            if "@" not in part:
                assert part.lower() not in text, part
    assert "confidentialtotheqabody" not in text
    assert "looksborrowed" not in text


def test_public_metadata_names_the_qa_body_and_no_person(sample):
    meta = pdf_metadata(sample.pdfs[PUBLIC])
    assert meta["/Author"] == SPEC.qa_body
    assert SPEC.qa_body in meta["/Creator"]
    assert sample.reports[PUBLIC]["number"] in meta["/Title"]
    for key in ("/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer"):
        assert key in meta, key
    everything = squeezed(" ".join(meta.values())).lower()
    for who in _people(sample):
        assert squeezed(who).lower() not in everything, who
        for part in who.split():
            if "@" not in part:
                assert part.lower() not in everything, part


def test_internal_report_names_the_panel_and_keeps_confidential_comments(sample):
    data = sample.pdfs[INTERNAL]
    text = normalised(pdf_text(data))
    assert "INTERNAL" in text
    for name, _ in SPEC.reviewers:
        assert name in text
    emails, pages = column_text(data, "Name and e-mail", "Recommendation")
    assert pages
    for _, email in SPEC.reviewers:
        assert email in squeezed(emails)
    for alias in ("Reviewer 1", "Reviewer 2", "Reviewer 3"):
        assert SPEC.confidential.format(alias=alias) in text
    assert f"by {SPEC.qa_body} ({SPEC.decider})" in text  # the deciding body, its officer
    # the internal file is still the QA body's document
    assert pdf_metadata(data)["/Author"] == SPEC.qa_body


def test_bench_data_has_the_shape_of_real_report_data(sample):
    """bench/report.py renders made-up data; it must keep the shape ``data.build`` gives."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "bench" / "report.py"
    spec = importlib.util.spec_from_file_location("bench_report", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    made_up = bench.sample_context(outcomes=3, reviewers=2, conditions=1)
    real = sample.content[PUBLIC]

    def shape(value):
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items()}
        if isinstance(value, list) and value and isinstance(value[0], dict):
            return [shape(value[0])]
        return None

    assert shape(made_up) == shape(real)


def test_a_second_round_report_gives_the_history_and_what_changed(workflow, people):
    """Revise and resubmit, then approval: the round-2 report lists both rounds and the
    outcome the provider reworded (the diff against version 1)."""
    dossier, _ = workflow.decided("revise_and_resubmit")
    screening.start_revision(people.provider_a, dossier)
    data = dossier_to_dict(dossier)
    data["outcomes"][0]["statement"] = "Operate a containerised application in production."
    dossiers.save_dossier(people.provider_a, dossier, data, dossier.lock_version)
    case = workflow.case(dossier).take_up()  # submitted; invites round 1's reviewers again
    assert len(case.assignments) == 2
    decision = case.decide("approved", rationale="Now meets the standards.").decision
    _, pdf = issue(people.officer, decision)
    text = normalised(pdf_text(pdf))
    # the timeline is part of the procedure (section 2), as in a published agency report
    assert "2. The procedure" in text and "Timeline" in text
    assert "Changes since version 1" in text
    assert "Revise and resubmit" in text and "Approved" in text
    assert "1 outcome reworded" in text
    assert "“Operate a containerised application in production.”" in text
    assert "review round 2" in text
    # page numbers and the running header and footer on every page after the cover
    pages = page_texts(pdf)
    for number, page in enumerate(pages[1:], start=2):
        assert f"Page {number} of {len(pages)}" in page
        assert "Verification code" in page and "revision 1" in page


def test_a_public_report_naming_the_panel_attributes_no_score_to_a_name(app):
    """Under a policy that discloses the panel, the public report lists the members' names
    with their role and member type, in the order of their roles and names, apart from the
    scores and comments, which stay under "Reviewer n"."""
    named = render_world(app, Spec(panel_disclosure="names_roles_types"), variants=(PUBLIC,))
    text = pdf_text(named.pdfs[PUBLIC])
    composition = named.content[PUBLIC]["panel_composition"]
    assert [m["name"] for m in composition["members"]] == ["Marco Rossi", "Riina Tamm"]
    for name, email in named.spec.reviewers:
        assert name in text
        assert email not in text
    panel_lines = [line for line in text.splitlines() if "Marco Rossi" in line or "Riina" in line]
    assert panel_lines and not any("Reviewer" in line for line in panel_lines)
    assert all(c["comments"] for c in named.content[PUBLIC]["criteria"])
    assert not any(
        name in comment
        for c in named.content[PUBLIC]["criteria"]
        for alias, comment in c["comments"]
        for name, _ in named.spec.reviewers
    )
