"""Demo data of the panel's part of the procedure (ESG 2.3, 2.4, 2.6): composition rules
and site visits, the panel's findings and the provider's factual-accuracy check."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from qa_portal.accounts.models import User
from qa_portal.cases import screening
from qa_portal.catalogue import operations as catalogue
from qa_portal.decisions import factual_accuracy
from qa_portal.decisions import operations as decisions
from qa_portal.demo_workflow import Cast, form_panel, scores, submitted
from qa_portal.dossiers.forms import new_key
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import (
    findings,
    invitations,
    panel_rules,
    rounds,
    scoring,
    site_visits,
)
from qa_portal.reviews.policy import current_policy, update_policy

MEMBER_TYPES = {  # the demo reviewers' panel member types (the default policy's keys)
    "riina": ["academic", "international"],
    "marco": ["academic", "international"],
    "hanna": ["academic", "labour_market"],
    "sam": ["student"],
}


def seed_panel_and_visit(c: Cast, admin: User) -> None:
    """Panel composition and site visits in the demo (ESG 2.3, 2.4): the reviewers' member
    types; the policy requiring a student member, an international member and a chair, with
    optional site visits; a review opened on a justified exception (no student member); a
    round decided after a panel meeting every rule held an online visit with minutes; and a
    visit scheduled for the dossier in review. Run it after the other scenarios: from here
    on, opening a review needs a panel that meets the rules (or an exception)."""
    for name, keys in MEMBER_TYPES.items():
        reviewer = getattr(c, name)
        panel_rules.save_member_types(reviewer, reviewer, keys)
    update_policy(
        admin,
        {
            "required_counts_text": "student = 1\ninternational = 1",
            "panel_chair_required": "yes",
            "site_visit": "optional",
        },
    )
    _opened_on_an_exception(c)
    _decided_after_a_site_visit(c)
    kubernetes = db.session.execute(
        db.select(Dossier).where(Dossier.title == "Kubernetes Security Hardening")
    ).scalar()
    if (
        kubernetes
        and kubernetes.current_round
        and not site_visits.visit_of(kubernetes.current_round)
    ):
        site_visits.schedule_site_visit(
            c.officer,
            kubernetes,
            mode="on_site",
            scheduled_for=datetime.combine(c.today + timedelta(days=10), time(9, 30)),
            location="University of Northbridge, Computing Building, room 2.14",
            participants="The panel (Riina Tamm, Hanna Schulz); the programme lead; the "
            "platform engineering lecturers; three current learners.",
        )


def _programme(outcomes, assessments, **fields) -> dict:
    """A demo dossier's own programme: outcomes (statement, EQF domain) and assessments
    (method, description, weight, supervision, the outcomes' positions), with fresh keys."""
    keys = [new_key() for _ in outcomes]
    return {
        **fields,
        "outcomes": [
            {
                "key": key,
                "statement": statement,
                "eqf_domain": domain,
                "framework_name": "",
                "framework_code": "",
                "framework_url": "",
            }
            for key, (statement, domain) in zip(keys, outcomes, strict=True)
        ],
        "assessments": [
            {
                "key": new_key(),
                "method": method,
                "description": description,
                "weight": weight,
                "supervision": supervision,
                "pass_criteria": "50 % overall and every assessed outcome demonstrated.",
                "outcomes": [keys[i] for i in positions],
            }
            for method, description, weight, supervision, positions in assessments
        ],
    }


def _agile_for_software_teams() -> dict:
    return _programme(
        [
            ("Plan and facilitate a sprint for a software team.", "skills"),
            ("Explain how Scrum and Kanban fit different kinds of software work.", "knowledge"),
            (
                "Take responsibility for a team's delivery and its retrospectives.",
                "responsibility_autonomy",
            ),
        ],
        [
            (
                "portfolio",
                "Portfolio of three sprints the learner facilitated.",
                60,
                "identity_checked",
                (0, 2),
            ),
            ("written_exam", "Case-study examination.", 40, "online_proctored", (1,)),
        ],
        summary="Run agile software projects: sprints, boards, reviews and retrospectives.",
        description="Scrum and Kanban for software teams, backlog management, estimation, "
        "sprint reviews and retrospectives, with a team project.",
        web_page="https://www.northbridge.ie/micro/agile-software-teams",
        partners=[],
        country="IE",
        region="Leinster",
        isced_code="0413",
        keywords=["project management", "agile", "software teams"],
    )


def _privacy_engineering() -> dict:
    return _programme(
        [
            ("Carry out a data protection impact assessment of a data pipeline.", "skills"),
            (
                "Explain the GDPR principles that apply to analytics and machine learning.",
                "knowledge",
            ),
            ("Apply pseudonymisation and aggregation to a data set before analysis.", "skills"),
        ],
        [
            (
                "project",
                "Privacy-by-design project on a realistic data set, with its DPIA.",
                70,
                "identity_checked",
                (0, 2),
            ),
            (
                "written_exam",
                "Online examination on the legal framework.",
                30,
                "online_proctored",
                (1,),
            ),
        ],
        summary="Build analytics that respect data protection law from the start.",
        description="The GDPR for data scientists, impact assessments, pseudonymisation, "
        "aggregation and privacy-preserving analysis, with a practising lawyer.",
        web_page="https://www.dsacademy.eu/courses/privacy-engineering",
        partners=[],
        stackability=[],
        country="NL",
        region="Noord-Holland",
        national_level="NLQF level 5",
        eqf_level=5,
        qf_ehea_cycle="short_cycle",
        isced_code="0612",
        keywords=["data protection", "privacy", "data science"],
    )


def _opened_on_an_exception(c: Cast) -> None:
    d = submitted(
        c.priya,
        "Agile Project Management for Software Teams",
        c.pdfs,
        **_agile_for_software_teams(),
    )
    if not d:
        return
    screening.take_up(c.officer, d)
    for reviewer in (c.riina, c.hanna):
        a = invitations.invite_reviewer(c.officer, d, reviewer)
        invitations.accept_invitation(reviewer, a, no_conflict=True)
    panel_rules.set_panel_role(c.officer, d.current_round.assignments[0], "chair")
    panel_rules.record_composition_exception(
        c.officer,
        d.current_round,
        "The pool's only student reviewer already sits on two panels this month and "
        "cannot take a third before the review period; two current learners will be "
        "interviewed during the site visit instead.",
    )
    rounds.open_review(c.officer, d)


def _decided_after_a_site_visit(c: Cast) -> None:
    d = submitted(
        c.dana, "Privacy Engineering for Data Scientists", c.pdfs, **_privacy_engineering()
    )
    if not d:
        return
    screening.take_up(c.officer, d)
    panel = []
    for reviewer in (c.marco, c.sam, c.riina):
        a = invitations.invite_reviewer(c.officer, d, reviewer)
        invitations.accept_invitation(reviewer, a, no_conflict=True)
        panel.append(a)
    panel_rules.set_panel_role(c.officer, panel[0], "chair")
    visit = site_visits.schedule_site_visit(
        c.officer,
        d,
        mode="online",
        scheduled_for=datetime.combine(c.today - timedelta(days=5), time(14, 0)),
        location="https://meet.dsacademy.example/qa-panel",
        participants="The panel (Marco Rossi, chair; Sam Student; Riina Tamm); the academy's "
        "director; the course lead; two graduates; an employer partner.",
    )
    rounds.open_review(c.officer, d)
    site_visits.record_site_visit(
        c.officer,
        visit,
        minutes="1. The course lead presented the privacy-by-design project and its rubric.\n"
        "2. The graduates described the feedback on their data protection impact "
        "assessments.\n3. The employer partner confirmed the demand for the skills.\n"
        "4. The panel asked how the academy keeps the legal content up to date: a yearly "
        "review with a practising lawyer.",
        summary="The panel met the academy's director, the course lead, two graduates and an "
        "employer partner online. The interviews confirmed that the assessment is authentic "
        "and that the legal content is reviewed every year.",
    )
    for a in panel:
        scoring.submit_review(a.reviewer, a, **scores(a, 3))
    decisions.decide_round(
        c.officer,
        d,
        outcome="approved",
        rationale="The panel found every criterion met; the site visit confirmed the "
        "authenticity of the assessment.",
    )
    catalogue.publish_listing(c.officer, d)


def _demo_findings(c: Cast, d: Dossier, *, outcome: str = "approve", conditions=()) -> None:
    """The panel's findings on ``d``'s round, by its case officer."""
    round_ = d.current_round
    texts = {
        1: "The outcomes are observable and pitched at EQF level 6.",
        2: "The capstone assesses LO1 and LO2 well; the oral defence is short for LO3.",
        3: "125 hours for 5 ECTS is plausible and matches the weekly plan.",
    }
    findings.save_findings(
        c.officer,
        round_,
        summary="A coherent, well-evidenced microcredential for working developers. The "
        "panel proposes approval" + (" with conditions." if conditions else "."),
        strengths="Authentic capstone on a real cluster; clear information for learners; "
        "documented employer demand.",
        recommendations=[
            "Involve the employer advisory board in the yearly review of the outcomes.",
            "Publish anonymised capstone examples for prospective learners.",
        ],
        conditions=list(conditions),
        proposed_outcome=outcome,
        criteria={
            criterion.id: {
                "judgement": 2 if conditions and criterion.position == 2 else 3,
                "text": texts.get(criterion.position, "Met; evidenced in the dossier."),
            }
            for criterion in round_.rubric.criteria
        },
    )


def checked_draft(c: Cast, d: Dossier, statement: str = "") -> None:
    """The panel's findings on ``d``'s reviewed round and, where the policy has the
    factual-accuracy step, the draft sent, the provider finding no error of fact, and the
    check closed: what a round needs before its decision is proposed or taken."""
    _demo_findings(c, d)
    if not current_policy().factual_accuracy_days:
        return
    provider = c.priya if d.organisation_id == c.priya.organisation_id else c.dana
    check = factual_accuracy.send_draft(c.officer, d)
    factual_accuracy.submit_comments(
        provider, check, points=[], statement=statement, no_errors=True
    )
    factual_accuracy.close_check(c.officer, check)


def seed_findings_and_factual_check(c: Cast, *, days: int = 14) -> None:
    """Three dossiers of the draft-report step: the draft sent and waiting for the
    provider; the provider's comments in (one point answered, one open); and a round
    decided after a closed check, whose report carries the provider's statement.

    Turns the policy's factual-accuracy step on (``days``) if it is off: run it after the
    other scenarios that decide rounds (a round decided later needs its closed check)."""
    policy = current_policy()
    if policy.factual_accuracy_days == 0:
        policy.factual_accuracy_days = days
        db.session.flush()
    reviewers = [c.riina, c.hanna]  # no conflict with Northbridge
    d = submitted(c.priya, "Site Reliability Engineering Foundations", c.pdfs)
    if d:  # the draft report sent; the provider may comment
        a1, a2 = form_panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **scores(a2, 3, {2: 2}))
        _demo_findings(c, d)
        factual_accuracy.send_draft(c.officer, d)
    d = submitted(c.priya, "Container Platform Operations", c.pdfs)
    if d:  # the provider's comments in: one point answered, one still open
        a1, a2 = form_panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **scores(a2, 3))
        _demo_findings(c, d)
        check = factual_accuracy.send_draft(c.officer, d)
        factual_accuracy.submit_comments(
            c.priya,
            check,
            points=[
                {"location": "Criterion 3", "text": "The workload is 125 hours, not 120."},
                {
                    "location": "Strengths",
                    "text": "The capstone runs on a managed cluster we provide, not the "
                    "learners' own.",
                },
            ],
            statement="We thank the panel and will act on both recommendations.",
        )
        factual_accuracy.answer_point(
            c.officer,
            check.points[0],
            accepted=True,
            answer="Corrected: the findings on criterion 3 now say 125 hours.",
        )
    d = submitted(c.priya, "Continuous Delivery in Practice", c.pdfs)
    if d:  # decided after the check: the report has the findings and the statement
        a1, a2 = form_panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **scores(a1, 3, {2: 2}))
        scoring.submit_review(c.hanna, a2, **scores(a2, 3, {2: 2}))
        condition = "Extend the oral defence to 30 minutes with a published rubric."
        _demo_findings(c, d, outcome="approve_with_conditions", conditions=[condition])
        check = factual_accuracy.send_draft(c.officer, d)
        factual_accuracy.submit_comments(
            c.priya,
            check,
            points=[{"location": "Summary", "text": "The course has two assessors, not one."}],
            statement="We accept the condition and have scheduled the longer oral defence.",
        )
        factual_accuracy.answer_point(
            c.officer,
            check.points[0],
            accepted=False,
            answer="The staff list in version 1 names one assessor; the finding stands.",
        )
        factual_accuracy.close_check(c.officer, check)
        decisions.decide_round(
            c.officer,
            d,
            outcome="approved_with_conditions",
            rationale="The panel's findings and proposal, after the provider's factual "
            "check of the draft report.",
            conditions=[{"text": condition, "due_date": c.today + timedelta(days=90)}],
        )
        catalogue.publish_listing(c.officer, d)
