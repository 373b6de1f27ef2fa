"""Panel composition (ESG 2.4): the policy's member types and required counts, the chair,
the secretary; reviewers' member types; roles on the panel; opening the review refused
while a requirement is unmet, unless the officer records a justified exception; and the
panel as the reports show it (names withheld when the policy says so)."""

from __future__ import annotations

import re

import pytest
from flask import render_template

from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.dossiers.models import DossierState
from qa_portal.extensions import db
from qa_portal.reports import data as report_data
from qa_portal.reports.models import ReportVariant
from qa_portal.reports.operations import request_report
from qa_portal.reviews import panel_rules
from qa_portal.reviews.panel_enums import PanelRole
from qa_portal.reviews.policy import current_policy, update_policy
from qa_portal.reviews.profiles import profile_of
from tests.builders import Case, new_dossier
from tests.helpers import audit_actions
from tests.reviews.helpers import field_errors, section, text

STUDENT_AND_CHAIR = {"required_counts_text": "student = 1", "panel_chair_required": "yes"}


def set_policy(admin, **values):
    update_policy(admin, values)
    commit()


def with_types(panel, *types):
    """Give each reviewer of ``panel`` the member types listed for it."""
    for reviewer, keys in zip(panel, types, strict=False):
        panel_rules.save_member_types(reviewer, reviewer, keys)
    commit()


def new_case(people, reviewers=()):
    dossier = new_dossier(people.provider_a, submit=True)
    return Case(dossier, officer=people.officer, provider=people.provider_a, reviewers=reviewers)


def accepted_case(people, panel):
    return new_case(people, panel[:2]).accept()


def requirement(round_, key):
    return next(r for r in panel_rules.panel_requirements(round_) if r["key"] == key)


def test_by_default_nothing_is_required_and_the_review_opens(people, panel):
    case = accepted_case(people, panel)
    assert panel_rules.panel_requirements(case.round) == []
    case.open()
    assert case.dossier.state == DossierState.IN_REVIEW


def test_requirements_count_the_accepted_members_by_type(people, panel):
    set_policy(people.admin, required_counts_text="student = 1\ninternational = 2")
    with_types(panel, ["student", "international"], ["international"], ["student"])
    case = new_case(people, panel).invite()
    # nobody has accepted yet: nothing is present
    assert requirement(case.round, "student")["present"] == 0
    case.accept()
    student = requirement(case.round, "student")
    international = requirement(case.round, "international")
    assert (student["required"], student["present"], student["met"]) == (1, 2, True)
    assert (international["required"], international["present"], international["met"]) == (
        2,
        2,
        True,
    )
    assert panel_rules.unmet_requirements(case.round) == []


def test_opening_is_refused_naming_each_unmet_requirement(people, panel):
    set_policy(people.admin, **STUDENT_AND_CHAIR)
    case = accepted_case(people, panel)
    with pytest.raises(TransitionNotAllowed, match="The panel needs 1 student member and a chair"):
        case.open()
    db.session.rollback()
    assert case.dossier.state == DossierState.SCREENING
    # a student joins and one member chairs: the review opens
    with_types(panel, ["student"])
    panel_rules.set_panel_role(people.officer, case.assignments[1], "chair")
    commit()
    case.open()
    assert case.dossier.state == DossierState.IN_REVIEW


def test_a_justified_exception_lets_the_review_open_and_is_audited(people, panel):
    set_policy(people.admin, **STUDENT_AND_CHAIR)
    case = accepted_case(people, panel)
    with pytest.raises(InvalidInput, match="Say why"):
        panel_rules.record_composition_exception(people.officer, case.round, "   ")
    with pytest.raises(NotPermitted):
        panel_rules.record_composition_exception(people.reviewer, case.round, "Because.")
    panel_rules.record_composition_exception(
        people.officer, case.round, "No student reviewer speaks the language of the course."
    )
    commit()
    assert "panel.exception" in audit_actions()
    case.open()
    assert case.dossier.state == DossierState.IN_REVIEW
    # once open, no further exception
    with pytest.raises(TransitionNotAllowed, match="already open"):
        panel_rules.record_composition_exception(people.officer, case.round, "Again.")
    internal = panel_rules.report_panel(case.round, internal=True)
    assert internal["exception"]["justification"].startswith("No student reviewer")
    assert panel_rules.report_panel(case.round, internal=False)["exception"] is None


def test_no_exception_when_every_requirement_is_met(people, panel):
    case = accepted_case(people, panel)
    with pytest.raises(TransitionNotAllowed, match="no exception is needed"):
        panel_rules.record_composition_exception(people.officer, case.round, "Just in case.")


def test_a_round_has_at_most_one_chair(people, panel):
    case = accepted_case(people, panel)
    first, second = case.assignments
    panel_rules.set_panel_role(people.officer, first, "chair")
    commit()
    with pytest.raises(TransitionNotAllowed, match=f"{first.alias} is the chair"):
        panel_rules.set_panel_role(people.officer, second, "chair")
    db.session.rollback()
    panel_rules.set_panel_role(people.officer, first, "member")
    panel_rules.set_panel_role(people.officer, second, "chair")
    commit()
    assert [a.panel_role for a in case.assignments] == [PanelRole.MEMBER, PanelRole.CHAIR]
    assert audit_actions().count("review_assignment.panel_role") == 3
    with pytest.raises(NotPermitted):
        panel_rules.set_panel_role(people.reviewer, first, "chair")
    with pytest.raises(InvalidInput):
        panel_rules.set_panel_role(people.officer, first, "president")


def test_the_secretary_is_used_only_when_the_policy_says_so_and_counts_for_no_type(people, panel):
    set_policy(people.admin, required_counts_text="student = 1")
    with_types(panel, ["student"], [])
    case = accepted_case(people, panel)
    first = case.assignments[0]
    with pytest.raises(InvalidInput, match="does not use a panel secretary"):
        panel_rules.set_panel_role(people.officer, first, "secretary")
    set_policy(people.admin, panel_secretary_used="yes")
    panel_rules.set_panel_role(people.officer, first, "secretary")
    commit()
    assert requirement(case.round, "student")["present"] == 0
    with pytest.raises(TransitionNotAllowed, match="1 student member"):
        case.open()


def test_reviewers_record_their_member_types(client, login, people, panel):
    with pytest.raises(InvalidInput, match="not a member type"):
        panel_rules.save_member_types(people.reviewer, people.reviewer, ["astronaut"])
    with pytest.raises(NotPermitted):
        panel_rules.save_member_types(panel[1], people.reviewer, ["student"])
    login(client, people.reviewer)
    page = client.get("/reviews/profile")
    assert "Panel member types" in text(page) and 'value="labour_market"' in page.data.decode()
    r = client.post("/reviews/profile/member-types", data={"member_types": ["student", "academic"]})
    assert r.status_code == 302
    db.session.expire_all()
    assert profile_of(people.reviewer).member_types == ["academic", "student"]  # policy order
    assert "reviewer.member_types" in audit_actions()
    boxes = re.findall(r"<input[^>]*>", client.get("/reviews/profile").data.decode())
    ticked = {re.search(r'value="(\w+)"', b).group(1) for b in boxes if "checked" in b}
    assert {"academic", "student"} <= ticked and "international" not in ticked
    # the officer sees them among the suggested reviewers
    case = new_case(people).take_up()
    login(client, people.officer)
    page = client.get(f"/dossiers/{case.dossier.id}/panel/")
    assert "Rita Reviewer" in text(page) and "Member types: Academic, Student" in text(page)


def test_the_policy_page_validates_the_panel_settings_next_to_the_fields(client, login, people):
    login(client, people.admin)
    page = client.get("/admin/policy")
    assert "student = Student" in page.data.decode()
    r = client.post(
        "/admin/policy",
        data={"member_types_text": "Student Member = Student", "required_counts_text": ""},
    )
    assert r.status_code == 400
    assert "lower-case letters" in field_errors(r, "member_types_text")
    assert "Student Member = Student" in r.data.decode()  # what was typed is kept
    r = client.post(
        "/admin/policy",
        data={"member_types_text": "student = Student", "required_counts_text": "alumni = 1"},
    )
    assert r.status_code == 400
    assert "not one of the member types" in field_errors(r, "required_counts_text")
    r = client.post(
        "/admin/policy",
        data={
            "member_types_text": "student = Student\nemployer = Employer",
            "required_counts_text": "student = 1\nemployer = 2",
            "panel_chair_required": "yes",
            "panel_disclosure": "roles_types",
            "site_visit": "required",
        },
    )
    assert r.status_code == 302
    db.session.expire_all()
    policy = current_policy()
    assert [t["key"] for t in policy.member_types] == ["student", "employer"]
    assert policy.required_counts == {"employer": 2, "student": 1}
    assert policy.panel_chair_required and policy.site_visit.value == "required"
    assert "policy.update" in audit_actions()
    with pytest.raises(InvalidInput, match="listed twice"):
        update_policy(people.admin, {"member_types_text": "a = A\na = B"})
    with pytest.raises(InvalidInput, match="0 to 10"):
        update_policy(people.admin, {"required_counts_text": "student = 11"})


def test_the_panel_page_shows_the_requirements_and_the_exception_form(client, login, people, panel):
    set_policy(people.admin, **STUDENT_AND_CHAIR)
    case = accepted_case(people, panel)
    login(client, people.officer)
    page = client.get(f"/dossiers/{case.dossier.id}/panel/")
    card = section(page, "Panel composition")
    assert "Student members 1 0 Unmet" in card and "Chair 1 0 Unmet" in card
    r = client.post(f"/dossiers/{case.dossier.id}/panel/open")
    assert r.status_code == 409 and "The panel needs 1 student member and a chair" in text(r)
    # the exception needs a reason: the form comes back with the error next to the field
    r = client.post(f"/dossiers/{case.dossier.id}/panel/exception", data={"justification": " "})
    assert r.status_code == 400
    assert "Say why the review may open" in field_errors(r, "justification")
    # a role set on the dossier page
    a = case.assignments[0]
    r = client.post(
        f"/dossiers/{case.dossier.id}/panel/roles",
        data={"assignment_id": str(a.id), "panel_role": "chair"},
    )
    assert r.status_code == 302 and r.headers["Location"].endswith("#panel-rules")
    dossier_page = client.get(f"/dossiers/{case.dossier.id}")
    assert "Chair 1 1 Met" in section(dossier_page, "Panel composition")
    r = client.post(
        f"/dossiers/{case.dossier.id}/panel/exception",
        data={"justification": "No student was available in time."},
    )
    assert r.status_code == 302
    assert "No student was available in time." in text(client.get(f"/dossiers/{case.dossier.id}"))
    r = client.post(f"/dossiers/{case.dossier.id}/panel/open")
    assert r.status_code == 302
    # the provider sees none of it
    login(client, people.provider_a)
    assert "Panel composition" not in text(client.get(f"/dossiers/{case.dossier.id}"))


def test_the_report_lists_the_panel_without_names_when_the_policy_withholds_them(people, panel):
    set_policy(people.admin, panel_disclosure="roles_types")
    with_types(panel, ["student"], ["academic", "international"])
    case = accepted_case(people, panel)
    panel_rules.set_panel_role(people.officer, case.assignments[1], "chair")
    commit()
    case.decide("approved")
    public = report_data.build(
        request_report(people.officer, case.decision, ReportVariant.PUBLIC, dispatch=False)
    )
    internal = report_data.build(
        request_report(people.officer, case.decision, ReportVariant.INTERNAL, dispatch=False)
    )
    members = public["panel_composition"]["members"]
    assert [(m["name"], m["role"], m["types"]) for m in members] == [
        (None, "Chair", ["Academic", "International"]),
        (None, "Member", ["Student"]),
    ]
    assert [m["name"] for m in internal["panel_composition"]["members"]] == [
        panel[1].name,
        panel[0].name,
    ]
    html = render_template("reports/_panel_composition.html", **public)
    assert "Chair" in html and panel[0].name not in html and panel[1].name not in html
    assert "names are withheld" in html
    # by default the public report names them
    set_policy(people.admin, panel_disclosure="names_roles_types")
    assert panel_rules.report_panel(case.round, internal=False)["members"][0]["name"] == (
        panel[1].name
    )


def test_the_report_states_the_rules_the_round_opened_under(people, panel):
    """The requirements are kept on the round when its review opens: rules set afterwards do
    not appear in its report, and rules changed afterwards do not change it."""
    earlier = accepted_case(people, panel)
    earlier.open()
    set_policy(people.admin, required_counts_text="student = 1", panel_chair_required="yes")
    with_types(panel, ["student"], ["academic"])
    later = accepted_case(people, panel)
    panel_rules.set_panel_role(people.officer, later.assignments[1], "chair")
    later.open()
    commit()
    assert panel_rules.report_panel(earlier.round, internal=False)["requirements"] == []
    rules = [
        {"label": "Student members", "required": 1, "present": 1, "met": True},
        {"label": "Chair", "required": 1, "present": 1, "met": True},
    ]
    assert panel_rules.report_panel(later.round, internal=False)["requirements"] == rules
    set_policy(people.admin, required_counts_text="student = 2", panel_chair_required="no")
    assert panel_rules.report_panel(later.round, internal=False)["requirements"] == rules
