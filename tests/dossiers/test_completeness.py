"""The completeness check (product spec section 2): each rule fires when broken and is silent
when satisfied. The check runs on snapshot-shaped data, so no database is needed."""

from __future__ import annotations

import pytest

from qa_portal.dossiers import completeness
from tests.dossiers.helpers import complete_data


@pytest.fixture(autouse=True)
def ctx():
    """Pure functions on plain data: no database, so none of the per-test table cleanup."""
    yield


def codes(data) -> set[str]:
    return {f.code for f in completeness.check(data)}


def error_codes(data) -> set[str]:
    return {f.code for f in completeness.errors(completeness.check(data))}


def warning_codes(data) -> set[str]:
    return {f.code for f in completeness.warnings(completeness.check(data))}


def test_complete_dossier_has_no_errors():
    data = complete_data()
    assert completeness.errors(completeness.check(data)) == []


# -- mandatory elements -------------------------------------------------------------------
MANDATORY = [
    ("title", "", "missing_title"),
    ("title", "   ", "missing_title"),
    ("country", "", "missing_country"),
    ("workload_hours", None, "missing_workload"),
    ("workload_hours", 0, "missing_workload"),
    ("participation", None, "missing_participation"),
    ("internal_qa", "", "missing_quality_assurance"),
    ("internal_qa", "  \n ", "missing_quality_assurance"),
]


@pytest.mark.parametrize("name, value, code", MANDATORY)
def test_missing_mandatory_element_is_an_error(name, value, code):
    data = complete_data()
    assert code not in codes(data)
    data[name] = value
    assert code in error_codes(data)
    finding = next(f for f in completeness.check(data) if f.code == code)
    assert finding.level == completeness.ERROR and finding.message


def test_awarding_body_is_mandatory():
    data = complete_data()
    assert "missing_awarding_body" not in codes(data)
    data["awarding_body"] = {"name": ""}
    assert "missing_awarding_body" in error_codes(data)
    del data["awarding_body"]
    assert "missing_awarding_body" in error_codes(data)


def test_level_is_mandatory_but_may_be_not_applicable():
    data = complete_data()
    assert "missing_level" not in codes(data)
    data["eqf_level"] = None
    assert "missing_level" in error_codes(data)
    data["level_not_applicable"] = True
    assert "missing_level" not in codes(data)


def test_level_is_satisfied_by_each_eqf_level():
    data = complete_data()
    for level in range(1, 9):
        data["eqf_level"] = level
        assert "missing_level" not in codes(data)


# -- outcomes and assessments -------------------------------------------------------------
def test_no_learning_outcome_is_an_error():
    data = complete_data()
    assert "no_outcomes" not in codes(data)
    data["outcomes"] = []
    assert "no_outcomes" in error_codes(data)


def test_outcome_not_assessed_is_an_error_naming_the_outcome():
    data = complete_data()
    assert "outcome_not_assessed" not in codes(data)
    third = data["outcomes"][2]["key"]
    for component in data["assessments"]:
        component["outcomes"] = [k for k in component["outcomes"] if k != third]
    findings = [f for f in completeness.check(data) if f.code == "outcome_not_assessed"]
    assert len(findings) == 1
    assert findings[0].level == completeness.ERROR
    assert "LO3" in findings[0].message
    assert findings[0].anchor == "outcomes-2"


def test_outcome_assessed_by_any_component_is_enough():
    data = complete_data()
    keys = [o["key"] for o in data["outcomes"]]
    data["assessments"][0]["outcomes"] = keys
    data["assessments"][1]["outcomes"] = []
    assert "outcome_not_assessed" not in codes(data)


def test_no_assessment_component_is_an_error():
    data = complete_data()
    assert "no_assessments" not in codes(data)
    data["assessments"] = []
    assert "no_assessments" in error_codes(data)
    assert "outcome_not_assessed" in error_codes(data)


@pytest.mark.parametrize("weights", [(70, 20), (70, 40), (0, 0), (100, 1)])
def test_weights_not_summing_to_100_is_an_error(weights):
    data = complete_data()
    assert "weights_not_100" not in codes(data)
    for component, weight in zip(data["assessments"], weights, strict=True):
        component["weight"] = weight
    finding = next(f for f in completeness.check(data) if f.code == "weights_not_100")
    assert finding.level == completeness.ERROR
    assert f"{sum(weights)} %" in finding.message


def test_weights_summing_to_100_in_any_split_are_fine():
    data = complete_data()
    for weights in [(50, 50), (99, 1), (100, 0)]:
        for component, weight in zip(data["assessments"], weights, strict=True):
            component["weight"] = weight
        assert "weights_not_100" not in codes(data)


def test_outcome_without_statement_is_an_error():
    data = complete_data()
    assert "outcome_statement_missing" not in codes(data)
    data["outcomes"][1]["statement"] = "  "
    finding = next(f for f in completeness.check(data) if f.code == "outcome_statement_missing")
    assert finding.level == completeness.ERROR and "LO2" in finding.message


def test_outcome_without_eqf_domain_is_an_error():
    data = complete_data()
    assert "outcome_domain_missing" not in codes(data)
    data["outcomes"][0]["eqf_domain"] = None
    finding = next(f for f in completeness.check(data) if f.code == "outcome_domain_missing")
    assert finding.level == completeness.ERROR and "LO1" in finding.message


def test_assessment_without_method_is_an_error():
    data = complete_data()
    assert "assessment_method_missing" not in codes(data)
    data["assessments"][1]["method"] = None
    finding = next(f for f in completeness.check(data) if f.code == "assessment_method_missing")
    assert finding.level == completeness.ERROR and "Assessment 2" in finding.message


def test_assessment_without_weight_is_an_error():
    data = complete_data()
    assert "assessment_weight_missing" not in codes(data)
    data["assessments"][0]["weight"] = None
    assert "assessment_weight_missing" in error_codes(data)
    # the other component's 30 % no longer adds up either
    assert "weights_not_100" in error_codes(data)


# -- evidence -----------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["curriculum", "assessment_sample"])
def test_required_evidence_type_missing_is_an_error(kind):
    data = complete_data()
    code = f"missing_evidence_{kind}"
    assert code not in codes(data)
    data["files"] = [f for f in data["files"] if f["kind"] != kind]
    assert error_codes(data) == {code}


def test_other_evidence_types_do_not_replace_the_required_ones():
    data = complete_data()
    data["files"] = [{**f, "kind": "internal_qa_policy"} for f in data["files"]]
    assert {"missing_evidence_curriculum", "missing_evidence_assessment_sample"} <= error_codes(
        data
    )


def test_an_empty_dossier_lists_every_error_and_no_crash():
    found = error_codes({"title": "", "outcomes": [], "assessments": [], "files": []})
    assert {
        "missing_title",
        "missing_awarding_body",
        "missing_country",
        "missing_level",
        "missing_workload",
        "missing_participation",
        "missing_quality_assurance",
        "no_outcomes",
        "no_assessments",
        "missing_evidence_curriculum",
        "missing_evidence_assessment_sample",
    } <= found


# -- warnings -----------------------------------------------------------------------------
NOT_OBSERVABLE = [
    "Understand the principles of container orchestration.",
    "understand container orchestration",
    "Know the main cloud service models.",
    "Be aware of the security risks of public clouds.",
    "Appreciate the role of observability.",
    "Learn about continuous delivery.",
    "Learners will be able to understand container orchestration.",
    "Learners will understand container orchestration.",
    "The learner is able to understand container orchestration.",
    "Students can know the main service models.",
    "Participants should be aware of security risks.",
    "Be able to understand container orchestration.",
    "Upon successful completion, learners will be able to understand Kubernetes.",
    "On completion of this microcredential, the learner will know the service models.",
    "By the end of the course, participants will be able to understand Kubernetes.",
    "At the end of this microcredential, learners will know the main service models.",
    "Understand.",
    "Understand: the principles of container orchestration.",
    "UNDERSTAND the principles of container orchestration.",
    "You will understand container orchestration.",
]


@pytest.mark.parametrize("statement", NOT_OBSERVABLE)
def test_non_observable_verb_is_a_warning(statement):
    data = complete_data()
    assert "outcome_not_observable" not in codes(data)
    data["outcomes"][0]["statement"] = statement
    findings = [f for f in completeness.check(data) if f.code == "outcome_not_observable"]
    assert len(findings) == 1, statement
    assert findings[0].level == completeness.WARNING
    assert "LO1" in findings[0].message
    assert completeness.errors(completeness.check(data)) == []  # a warning never blocks


OBSERVABLE = [
    "Analyse the cost of a cloud deployment.",
    "Knowledge-based systems: design a rule engine for triage.",
    "Know-how transfer: document an operations runbook for a new team.",
    "Knowingly apply least-privilege policies to service accounts.",
    "Understandably explain an outage to non-technical stakeholders.",
    "Learners will be able to analyse the cost of a cloud deployment.",
    "Learners know-how: configure a CI pipeline.",
    "Apply what they understand about networking to design a VPC.",
    "Explain how learners understand feedback.",
    "Learning analytics: evaluate a dashboard for teachers.",
    "Appraise the reliability of a running service.",
    "Be accountable for the security of a deployment.",
    "Awareness campaigns: design one for phishing.",
]


@pytest.mark.parametrize("statement", OBSERVABLE)
def test_observable_or_trap_statement_is_not_flagged(statement):
    data = complete_data()
    data["outcomes"][0]["statement"] = statement
    assert "outcome_not_observable" not in codes(data), statement


def test_each_non_observable_outcome_is_flagged_separately():
    data = complete_data()
    data["outcomes"][0]["statement"] = "Understand Kubernetes."
    data["outcomes"][2]["statement"] = "Know the service models."
    flagged = [f.anchor for f in completeness.check(data) if f.code == "outcome_not_observable"]
    assert flagged == ["outcomes-0", "outcomes-2"]


@pytest.mark.parametrize(
    "hours, ects, warned",
    [
        (125, 5, False),  # 25 h per ECTS: the lower edge is fine
        (150, 5, False),  # 30 h per ECTS: the upper edge is fine
        (140, 5, False),
        (124, 5, True),
        (151, 5, True),
        (40, 5, True),
        (500, 5, True),
        (75, 2.5, False),
        (100, None, False),  # no ECTS: nothing to compare
    ],
)
def test_hours_per_ects_outside_25_to_30_is_a_warning(hours, ects, warned):
    data = complete_data()
    data["workload_hours"], data["ects"] = hours, ects
    assert ("hours_per_ects" in warning_codes(data)) is warned
    assert "hours_per_ects" not in error_codes(data)


@pytest.mark.parametrize("ects, warned", [(59.5, False), (59.9, False), (60, True), (90, True)])
def test_sixty_ects_or_more_is_a_warning(ects, warned):
    data = complete_data()
    data["ects"], data["workload_hours"] = ects, int(ects * 27)
    assert ("not_micro" in warning_codes(data)) is warned
    if warned:
        finding = next(f for f in completeness.check(data) if f.code == "not_micro")
        assert "no longer a microcredential" in finding.message


def test_outcome_without_framework_alignment_is_a_warning():
    data = complete_data()
    # LO3 of the demo dossier has no alignment; LO1 and LO2 have a code.
    flagged = [f.anchor for f in completeness.check(data) if f.code == "outcome_not_aligned"]
    assert flagged == ["outcomes-2"]
    data["outcomes"][2]["framework_url"] = "http://data.europa.eu/esco/skill/abc"
    assert "outcome_not_aligned" not in codes(data)
    data["outcomes"][0].update(framework_code="", framework_url="", framework_name="ESCO")
    flagged = [f.anchor for f in completeness.check(data) if f.code == "outcome_not_aligned"]
    assert flagged == ["outcomes-0"]


def test_warnings_come_after_errors():
    data = complete_data()
    data["title"] = ""
    data["outcomes"][0]["statement"] = "Understand Kubernetes."
    levels = [f.level for f in completeness.check(data)]
    assert levels == sorted(levels, key=lambda level: level != completeness.ERROR)
    assert levels[0] == completeness.ERROR and levels[-1] == completeness.WARNING
