"""Demo dossiers in every workflow state (used by ``flask demo``; idempotent by title)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from qa_portal.accounts import operations as accounts
from qa_portal.accounts import queries
from qa_portal.accounts.models import Role, User
from qa_portal.cases import screening, withdrawal
from qa_portal.catalogue import operations as catalogue
from qa_portal.core import clock
from qa_portal.decisions import committee, factual_accuracy, follow_up
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Decision
from qa_portal.demo_data import complete_dossier_data
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.forms import new_key
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import (
    findings,
    invitations,
    methodology,
    moderation,
    panel_rules,
    rounds,
    scoring,
    site_visits,
)
from qa_portal.reviews.policy import current_policy, update_policy


def _scores(
    assignment, base: int, overrides: dict[int, int] | None = None, recommendation: str = "approve"
) -> dict:
    overrides = overrides or {}
    comments = {
        1: "Outcomes are observable and fit EQF 6.",
        2: "The capstone covers LO1–LO2 well; the oral defence is short for LO3.",
        3: "125 hours for 5 ECTS is plausible.",
        4: "Entry requirements are clear.",
        5: "Recognition within the MSc is documented.",
        6: "Faculty QA procedures are described and evidenced.",
        7: "Employer demand is referenced (ESCO, sector survey).",
        8: "Cost, grading and issuance are published.",
    }
    return {
        "scores": {
            c.id: {
                "score": overrides.get(c.position, base),
                "comment": comments.get(c.position, ""),
            }
            for c in assignment.round.rubric.criteria
        },
        "recommendation": recommendation,
        "comments_to_provider": "A well-designed microcredential. Strengthen the assessment "
        "of the third outcome and publish the grading scheme.",
        "confidential_comments": "No concerns about the provider's capacity.",
    }


def _submitted(member: User, title: str, pdfs: tuple[bytes, bytes], **changes) -> Dossier | None:
    if db.session.execute(db.select(Dossier.id).where(Dossier.title == title)).first():
        return None
    dossier = dossiers.create_dossier(member, title)
    data = complete_dossier_data(title)
    data.update(changes)
    dossiers.save_dossier(member, dossier, data, dossier.lock_version)
    dossiers.add_evidence_file(member, dossier, "curriculum", "curriculum.pdf", pdfs[0])
    dossiers.add_evidence_file(member, dossier, "assessment_sample", "assessment.pdf", pdfs[1])
    dossiers.submit_dossier(member, dossier)
    return dossier


def _panel(officer: User, dossier: Dossier, reviewers: list[User]):
    screening.take_up(officer, dossier)
    assignments = []
    for reviewer in reviewers:
        a = invitations.invite_reviewer(officer, dossier, reviewer)
        invitations.accept_invitation(reviewer, a, no_conflict=True)
        assignments.append(a)
    rounds.open_review(officer, dossier)
    return assignments


@dataclass
class Cast:
    """Who acts in the demo's workflow, the evidence files they attach and the day."""

    officer: User
    officer2: User
    priya: User
    dana: User
    riina: User
    marco: User
    hanna: User
    sam: User
    pdfs: tuple[bytes, bytes]
    today: date


def _in_screening(c: Cast) -> None:
    d = _submitted(
        c.priya,
        "Green Software Engineering",
        c.pdfs,
        keywords=["sustainability", "software engineering"],
    )
    if d:
        screening.take_up(c.officer, d)
        invitations.invite_reviewer(c.officer, d, c.riina)  # screening, one invitation out


def _returned(c: Cast) -> None:
    d = _submitted(
        c.dana,
        "Introduction to Cybersecurity Operations",
        c.pdfs,
        country="NL",
        isced_code="0612",
        eqf_level=5,
    )
    if d:
        screening.take_up(c.officer, d)
        screening.return_to_provider(
            c.officer,
            d,
            "Attach the internal QA policy and state how identity is verified in the online exam.",
        )


def _desk_rejected(c: Cast) -> None:
    d = _submitted(
        c.dana,
        "Social Media Marketing Basics",
        c.pdfs,
        country="NL",
        isced_code="0414",
        ects=1.0,
        workload_hours=20,
    )
    if d:
        screening.take_up(c.officer2, d)
        screening.desk_reject(
            c.officer2,
            d,
            "The programme is a promotional webinar series "
            "without assessment of learning outcomes; it is not eligible.",
        )


def _in_review(c: Cast) -> None:
    d = _submitted(c.priya, "Kubernetes Security Hardening", c.pdfs)
    if d:  # in review: one review in, one still a draft
        a1, a2 = _panel(c.officer, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **_scores(a1, 3))
        scoring.save_review(c.hanna, a2, **_scores(a2, 3))


def _decision_pending(c: Cast) -> None:
    d = _submitted(
        c.dana,
        "Data Visualisation for Analysts",
        c.pdfs,
        country="NL",
        isced_code="0542",
        keywords=["data analysis", "statistics"],
    )
    if d:  # decision pending with a divergent criterion (moderation note still missing)
        a1, a2 = _panel(c.officer, d, [c.riina, c.marco])
        scoring.submit_review(c.riina, a1, **_scores(a1, 3, {2: 2}))
        scoring.submit_review(c.marco, a2, **_scores(a2, 3, {2: 4}))


def _approved_with_conditions(c: Cast) -> None:
    d = _submitted(c.priya, "Machine Learning Operations", c.pdfs, isced_code="0613")
    if not d:
        return
    # approved with conditions: one met, one open
    a1, a2 = _panel(c.officer, d, [c.riina, c.sam])
    scoring.submit_review(
        c.riina, a1, **_scores(a1, 3, {2: 1}, recommendation="approve_with_conditions")
    )
    scoring.submit_review(
        c.sam, a2, **_scores(a2, 3, {2: 3}, recommendation="approve_with_conditions")
    )
    stats = [s for s in moderation.round_statistics(d.current_round) if s.divergent]
    for s in stats:
        moderation.add_moderation_note(
            c.officer,
            d,
            s.criterion.id,
            "Reviewer 1 weighed the short oral defence heavily; a condition addresses it.",
        )
    decision = decisions.decide_round(
        c.officer,
        d,
        outcome="approved_with_conditions",
        rationale="The microcredential meets the standards; the assessment of LO3 and "
        "the published grading scheme need completing.",
        conditions=[
            {
                "text": "Extend the oral defence to 30 minutes with a published rubric.",
                "due_date": c.today + timedelta(days=90),
            },
            {
                "text": "Publish the grading scheme on the programme page.",
                "due_date": c.today + timedelta(days=30),
            },
        ],
    )
    second = decision.conditions[1]
    decisions.submit_condition_evidence(
        c.priya, second, "Published on the programme page under 'Assessment'.", []
    )
    decisions.verify_condition(c.officer, second, met=True, note="Checked online.")
    catalogue.publish_listing(c.officer, d)


def _approved(c: Cast) -> None:
    d = _submitted(c.dana, "Applied Statistics with R", c.pdfs, country="NL", isced_code="0542")
    if d:  # approved
        a1, a2 = _panel(c.officer2, d, [c.riina, c.marco])
        scoring.submit_review(c.riina, a1, **_scores(a1, 4))
        scoring.submit_review(c.marco, a2, **_scores(a2, 3))
        decisions.decide_round(
            c.officer2,
            d,
            outcome="approved",
            rationale="Meets every criterion; exemplary information for learners.",
        )
        catalogue.publish_listing(c.officer2, d)


def _revise_and_resubmit(c: Cast) -> None:
    d = _submitted(
        c.priya,
        "Agile Project Leadership",
        c.pdfs,
        isced_code="0413",
        keywords=["project management", "leadership"],
    )
    if d:  # revise and resubmit
        a1, a2 = _panel(c.officer, d, [c.hanna, c.sam])
        scoring.submit_review(c.hanna, a1, **_scores(a1, 2, recommendation="revise_and_resubmit"))
        scoring.submit_review(c.sam, a2, **_scores(a2, 2, recommendation="revise_and_resubmit"))
        decisions.decide_round(
            c.officer,
            d,
            outcome="revise_and_resubmit",
            rationale="The outcomes are not assessed individually; revise the assessment design.",
        )


def _rejected_and_appealed(c: Cast) -> None:
    d = _submitted(c.dana, "Blockchain for Managers", c.pdfs, country="NL", isced_code="0413")
    if d:  # rejected, then appealed
        a1, a2 = _panel(c.officer, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **_scores(a1, 1, recommendation="reject"))
        scoring.submit_review(c.hanna, a2, **_scores(a2, 2, recommendation="reject"))
        decisions.decide_round(
            c.officer,
            d,
            outcome="rejected",
            rationale="The learning outcomes are not observable and the "
            "workload is not plausible for 5 ECTS.",
        )
        decisions.lodge_appeal(
            c.dana,
            d,
            "The panel did not consider the revised workload "
            "table submitted as evidence; we ask for a new assessment.",
        )


def _withdrawn(c: Cast) -> None:
    d = _submitted(c.priya, "Digital Accessibility Essentials", c.pdfs, isced_code="0611")
    if d:
        withdrawal.withdraw_dossier(c.priya, d, "Replaced by a longer programme.")


# One dossier in each state, created in this order.
SCENARIOS = (
    _in_screening,
    _returned,
    _desk_rejected,
    _in_review,
    _decision_pending,
    _approved_with_conditions,
    _approved,
    _revise_and_resubmit,
    _rejected_and_appealed,
    _withdrawn,
)


def seed_workflow(pdfs: tuple[bytes, bytes]) -> None:
    officer = queries.user_by_email("officer@emqa.eu")
    officer2 = queries.user_by_email("officer2@emqa.eu")
    priya = queries.user_by_email("provider@northbridge.ie")
    dana = queries.user_by_email("provider@dsacademy.eu")
    riina, marco, hanna, sam = (
        queries.user_by_email(e)
        for e in (
            "reviewer1@uni-tartu.example",
            "reviewer2@polimi.example",
            "reviewer3@hs-example.de",
            "reviewer4@student-reviewers.example",
        )
    )
    cast = Cast(officer, officer2, priya, dana, riina, marco, hanna, sam, pdfs, clock.today())
    for scenario in SCENARIOS:
        scenario(cast)


# [slot: panel composition and site visit]
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
    d = _submitted(
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
    d = _submitted(
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
        scoring.submit_review(a.reviewer, a, **_scores(a, 3))
    decisions.decide_round(
        c.officer,
        d,
        outcome="approved",
        rationale="The panel found every criterion met; the site visit confirmed the "
        "authenticity of the assessment.",
    )


# [end: panel composition and site visit]
# [slot: findings and factual accuracy]
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
    d = _submitted(c.priya, "Site Reliability Engineering Foundations", c.pdfs)
    if d:  # the draft report sent; the provider may comment
        a1, a2 = _panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **_scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **_scores(a2, 3, {2: 2}))
        _demo_findings(c, d)
        factual_accuracy.send_draft(c.officer, d)
    d = _submitted(c.priya, "Container Platform Operations", c.pdfs)
    if d:  # the provider's comments in: one point answered, one still open
        a1, a2 = _panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **_scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **_scores(a2, 3))
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
    d = _submitted(c.priya, "Continuous Delivery in Practice", c.pdfs)
    if d:  # decided after the check: the report has the findings and the statement
        a1, a2 = _panel(c.officer, d, reviewers)
        scoring.submit_review(c.riina, a1, **_scores(a1, 3, {2: 2}))
        scoring.submit_review(c.hanna, a2, **_scores(a2, 3, {2: 2}))
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


# [end: findings and factual accuracy]
# [slot: decision committee]
COMMITTEE_MEMBERS = (
    ("board.chair@emqa.eu", "Prof. Helena Lindqvist"),
    ("board.member@emqa.eu", "Dr. Tomasz Nowak"),
    ("board.student@emqa.eu", "Lea Fischer (student member)"),
)


def seed_committee(c: Cast, password: str) -> None:
    """The decision committee: three members (role "committee", password ``password``), the
    policy turned to the "Accreditation Committee" (quorum 3), one dossier approved by the
    committee from its votes, and one proposal open with one vote in. Call it after the
    scenarios in which a QA officer decides alone: the policy stays with the committee."""
    qa_body = c.officer.organisation
    members = [
        queries.user_by_email(email)
        or accounts.create_user(
            None,
            email=email,
            name=name,
            roles=[Role.COMMITTEE],
            organisation=qa_body,
            password=password,
        )
        for email, name in COMMITTEE_MEMBERS
    ]
    if current_policy().decision_body != "committee":
        update_policy(
            None,
            {
                "decision_body": "committee",
                "committee_name": "Accreditation Committee",
                "committee_quorum": 3,
            },
        )
    d = _submitted(c.priya, "Responsible AI for Product Teams", c.pdfs, isced_code="0613")
    if d:  # approved by the committee on the officer's proposal, from three votes
        a1, a2 = _panel(c.officer, d, [c.riina, c.sam])
        scoring.submit_review(c.riina, a1, **_scores(a1, 4))
        scoring.submit_review(c.sam, a2, **_scores(a2, 3))
        proposal = committee.propose_decision(
            c.officer,
            d,
            outcome="approved",
            rationale="The panel found every criterion met; the assessment of the "
            "fairness audit is exemplary.",
        )
        committee.cast_vote(members[0], proposal, "agree")
        committee.cast_vote(members[1], proposal, "agree")
        committee.cast_vote(members[2], proposal, "abstain", "I taught on this course.")
        committee.record_committee_decision(members[0], proposal)
        catalogue.publish_listing(c.officer, d)
    d = _submitted(
        c.dana,
        "Supply Chain Analytics with Python",
        c.pdfs,
        country="NL",
        isced_code="0413",
        keywords=["supply chain", "data analysis"],
    )
    if d:  # a proposal before the committee, one vote in
        a1, a2 = _panel(c.officer2, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **_scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **_scores(a2, 3))
        proposal = committee.propose_decision(
            c.officer2,
            d,
            outcome="approved_with_conditions",
            rationale="Sound design; the provider must publish how learners' work is "
            "verified in the online assessment.",
            conditions=[
                {
                    "text": "Publish the identity verification of the online assessment.",
                    "due_date": c.today + timedelta(days=60),
                }
            ],
        )
        committee.cast_vote(members[1], proposal, "agree")


# [end: decision committee]
# [slot: publication and methodology]
DEMO_AGENCY_CONTACT = {
    "address": "European Microcredential Quality Agency\nRue de la Loi 42\n1040 Brussels\nBelgium",
    "email": "reviews@emqa.eu",
    "phone": "+32 2 555 01 42",
}


def seed_publication() -> None:
    """The agency's address and contact, printed in every report and on /methodology (set
    by the QA admin, audited; nothing changes when they are already set). The reports of the
    revise-and-resubmit and rejected rounds above are published in the register of reviews
    by the default policy; nothing else is needed."""
    admin = queries.user_by_email("admin@emqa.eu")
    if admin is not None:
        methodology.update_texts(admin, DEMO_AGENCY_CONTACT)


# [end: publication and methodology]
# [slot: complaints and appeals committee]
# [end: complaints and appeals committee]
# [slot: condition follow-up]
def _approved_with_a_condition(
    c: Cast, member: User, title: str, conditions: list[str], **changes
) -> tuple[Dossier, Decision] | None:
    """A dossier approved with ``conditions`` (due in 30 days) by the second officer, and
    published; None if the demo already has it."""
    d = _submitted(member, title, c.pdfs, **changes)
    if not d:
        return None
    a1, a2 = _panel(c.officer2, d, [c.marco, c.hanna])
    for a in (a1, a2):
        scoring.submit_review(a.reviewer, a, **_scores(a, 3, recommendation="approve"))
    decision = decisions.decide_round(
        c.officer2,
        d,
        outcome="approved_with_conditions",
        rationale="The standards are met; the conditions complete the assessment information.",
        conditions=[
            {"text": text, "due_date": c.today + timedelta(days=30)} for text in conditions
        ],
    )
    catalogue.publish_listing(c.officer2, d)
    return d, decision


def _as_if_due(condition, c: Cast, days_ago: int) -> None:
    """Demo only: the condition fell due ``days_ago`` days ago (the decision is new today,
    but its follow-up needs a due date in the past)."""
    condition.due_date = c.today - timedelta(days=days_ago)
    db.session.flush()


def seed_follow_up(c: Cast) -> None:
    """Follow-up of conditions (ESG 2.3): one listing with a condition overdue (no evidence,
    shown publicly as overdue); one with a condition not met and extended plus a second one
    not met, waiting for the QA body's follow-up decision; one whose approval was withdrawn
    after a condition was not met (the listing is revoked). Needs the demo's users (``Cast``:
    officer2 decides, marco and hanna review, priya's and dana's organisations provide)."""
    made = _approved_with_a_condition(
        c,
        c.priya,
        "Cloud Cost Management",
        ["Publish the assessment rubric of the cost-optimisation project."],
        isced_code="0413",
        keywords=["cloud computing", "FinOps"],
    )
    if made:
        _as_if_due(made[1].conditions[0], c, 20)  # overdue, no evidence
    made = _approved_with_a_condition(
        c,
        c.dana,
        "Accessible Web Design",
        [
            "Add an accessibility audit by an external examiner to the final assessment.",
            "Publish the WCAG 2.2 checklist used in grading.",
        ],
        country="NL",
        isced_code="0613",
        keywords=["web accessibility", "WCAG"],
    )
    if made:
        d, decision = made
        first, second = decision.conditions
        for condition in (first, second):
            _as_if_due(condition, c, 10)
        decisions.verify_condition(
            c.officer2, first, met=False, note="No external examiner has been appointed yet."
        )
        follow_up.extend_condition(
            c.officer2,
            first,
            new_due_date=c.today + timedelta(days=60),
            reason="The provider has shortlisted two examiners; sixty more days are enough.",
        )
        decisions.verify_condition(
            c.officer2, second, met=False, note="The checklist is not on the programme page."
        )
    made = _approved_with_a_condition(
        c,
        c.priya,
        "Blockchain Fundamentals",
        ["Replace the unsupervised online quiz by a supervised final examination."],
        isced_code="0612",
        keywords=["blockchain", "distributed ledgers"],
    )
    if made:
        d, decision = made
        condition = decision.conditions[0]
        _as_if_due(condition, c, 45)
        decisions.verify_condition(
            c.officer2, condition, met=False, note="The final examination is still unsupervised."
        )
        follow_up.withdraw_approval(
            c.officer2,
            condition,
            reason="The assessment cannot verify the learning outcomes without supervision; "
            "the provider did not change it within the period.",
        )


# [end: condition follow-up]
