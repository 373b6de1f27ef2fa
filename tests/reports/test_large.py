"""A large dossier (50 outcomes, 6 reviewers, 10 conditions) makes a long report in which
nothing is lost or cut off: every outcome is there whole, every character lies on its page
inside the side margins, nothing is printed over anything else, and long tables repeat their
header row on every page they continue on."""

from __future__ import annotations

import re

import pytest

from qa_portal.reports.models import ReportVariant

from .helpers import (
    column_text,
    header_cell,
    normalised,
    outside_the_page,
    overlapping_text,
    pdf_pages,
)
from .world import Spec, render_world

PUBLIC, INTERNAL = ReportVariant.PUBLIC, ReportVariant.INTERNAL
MM = 72 / 25.4
SIDE_MARGIN = 18 * MM

VERBS = ["Deploy", "Design", "Evaluate", "Configure", "Justify", "Monitor", "Document"]
OBJECTS = [
    "a containerised service on a managed Kubernetes cluster",
    "a continuous-delivery pipeline with automated tests, canary releases and rollback",
    "the reliability of a running service against its service-level objectives",
    "an incident runbook that an on-call colleague can follow at night without help",
    "observability dashboards that show latency, traffic, errors and saturation",
]


def statement(i: int) -> str:
    text = f"{VERBS[i % len(VERBS)]} {OBJECTS[i % len(OBJECTS)]} (outcome {i + 1})"
    if i % 6 == 0:  # some long outcomes that wrap over several lines
        text += (
            ", taking into account the security, cost and data-protection constraints of a "
            "regulated organisation and explaining each trade-off to non-specialist managers"
        )
    return text + "."


def large_spec() -> Spec:
    from qa_portal.demo import complete_dossier_data
    from qa_portal.dossiers.forms import new_key

    base = complete_dossier_data("Cloud-Native Operations at Scale")
    outcomes = [
        {
            "key": new_key(),
            "statement": statement(i),
            "eqf_domain": ("knowledge", "skills", "responsibility_autonomy")[i % 3],
            "framework_name": "ESCO" if i % 2 else "",
            "framework_code": f"S1.{i}" if i % 2 else "",
            "framework_url": f"http://data.europa.eu/esco/skill/{i:04d}-example" if i % 4 else "",
        }
        for i in range(50)
    ]
    keys = [o["key"] for o in outcomes]
    methods = ["project", "oral_exam", "portfolio", "written_exam"]
    assessments = [
        {
            "key": new_key(),
            "method": method,
            "description": f"Component {j + 1}: {OBJECTS[j]}.",
            "weight": 25,
            "supervision": "identity_checked",
            "pass_criteria": "50 % and every outcome assessed here demonstrated.",
            "outcomes": keys[j::4],
        }
        for j, method in enumerate(methods)
    ]
    reviewers = [
        (f"Panel Member {n}", f"member{n}@university{n}.example")
        for n in ("One", "Two", "Three", "Four", "Five", "Six")
    ]
    return Spec(
        dossier={"title": base["title"], "outcomes": outcomes, "assessments": assessments},
        reviewers=reviewers,
        scores=[{1: 3, 2: 3}, {1: 2}, {1: 3}, {1: 4}, {}, {2: 2}],
        conditions=[
            f"Condition {n}: publish the marking scheme of component A{n % 4 + 1} and the "
            "moderation procedure to learners before the next intake."
            for n in range(1, 11)
        ],
    )


@pytest.fixture(scope="module")
def large(app):
    return render_world(app, large_spec())


def test_every_outcome_is_in_the_report_whole(large):
    data = large.pdfs[PUBLIC]
    column, pages = column_text(data, "Learning outcome", "EQF domain")
    # a line may break after a hyphen of the statement ("data-|protection"): join it back
    text = normalised(re.sub(r"-[ \t]*\n", "-", column))
    statements = [statement(i) for i in range(50)]
    for s in statements:
        assert s in text, s
    assert len(pages) >= 2  # the table runs over several pages


def test_the_outcome_table_repeats_its_header_on_every_page_it_continues_on(large):
    pages = pdf_pages(large.pdfs[PUBLIC])
    with_rows = {
        number
        for number, page in enumerate(pages, start=1)
        if any(
            re.match(rf"LO{i + 1} {statement(i).split()[0]} ", line)
            for line in page.text.splitlines()
            for i in range(50)
        )
    }
    with_header = {
        number for number, page in enumerate(pages, start=1) if header_cell(page, "Learning", "EQF")
    }
    assert len(with_rows) >= 2
    assert with_rows <= with_header, sorted(with_rows - with_header)
    # the matrix (50 rows) continues over pages too, with its header
    matrix_rows = {
        number
        for number, page in enumerate(pages, start=1)
        if any(re.match(r"LO\d+ (● )*(●|yes|no)", line) for line in page.text.splitlines())
    }
    matrix_header = {
        number for number, page in enumerate(pages, start=1) if header_cell(page, "Outcome", "A1")
    }
    assert len(matrix_rows) >= 2
    assert matrix_rows <= matrix_header, sorted(matrix_rows - matrix_header)


@pytest.mark.parametrize("variant", [PUBLIC, INTERNAL], ids=lambda v: v.value)
def test_nothing_is_cut_off_or_printed_over(large, variant):
    data = large.pdfs[variant]
    assert outside_the_page(data) == []
    assert overlapping_text(data) == []
    for number, page in enumerate(pdf_pages(data), start=1):
        beyond = [
            c["text"]
            for c in page.chars
            if c["x0"] < SIDE_MARGIN - 1 or c["x1"] > page.width - SIDE_MARGIN + 1
        ]
        assert not beyond, (number, "".join(beyond)[:80])


def test_all_conditions_and_six_reviewers_are_reported(large):
    data = large.pdfs[PUBLIC]
    conditions, _ = column_text(data, "Condition", "Due")
    for text in large.spec.conditions:
        assert text in normalised(conditions)
    header = normalised(pdf_pages(data)[0].text)
    assert "6 independent experts" in header
    scores, pages = column_text(data, "R6", "Mean")
    assert pages and len(re.findall(r"\b[1-4]\b", scores)) >= 8
    internal = normalised(column_text(large.pdfs[INTERNAL], "Name and e-mail", "Recommendation")[0])
    for name, _ in large.spec.reviewers:
        assert name in internal
