"""Demo data of the decision's part of the procedure (ESG 2.3, 2.6, 2.7): the decision
committee, the agency's published contact, appeals and complaints, and the follow-up of
conditions; and ``seed_procedure``, which runs every part in an order the policy allows."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from qa_portal.accounts import operations as accounts
from qa_portal.accounts import queries
from qa_portal.accounts.models import Role, User
from qa_portal.catalogue import operations as catalogue
from qa_portal.decisions import committee, complaints, factual_accuracy, follow_up
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Complaint, Decision
from qa_portal.demo_panel import (
    checked_draft,
    seed_findings_and_factual_check,
    seed_panel_and_visit,
)
from qa_portal.demo_workflow import Cast, form_panel, make_cast, scores, submitted
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import findings, methodology, scoring, site_visits
from qa_portal.reviews.policy import current_policy, update_policy

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
    d = submitted(c.priya, "Responsible AI for Product Teams", c.pdfs, isced_code="0613")
    if d:  # approved by the committee on the officer's proposal, from three votes
        a1, a2 = form_panel(c.officer, d, [c.riina, c.sam])
        scoring.submit_review(c.riina, a1, **scores(a1, 4))
        scoring.submit_review(c.sam, a2, **scores(a2, 3))
        checked_draft(c, d, "We welcome the panel's findings.")
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
    d = submitted(
        c.dana,
        "Supply Chain Analytics with Python",
        c.pdfs,
        country="NL",
        isced_code="0413",
        keywords=["supply chain", "data analysis"],
    )
    if d:  # a proposal before the committee, one vote in
        a1, a2 = form_panel(c.officer2, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **scores(a1, 3))
        scoring.submit_review(c.hanna, a2, **scores(a2, 3))
        checked_draft(c, d)
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
    _rejected_by_the_committee(c, members)


def _rejected_by_the_committee(c: Cast, members: list[User]) -> None:
    """A negative outcome through the whole procedure: an online interview, the panel's
    findings, the provider's factual-accuracy statement, and the committee's rejection,
    published in the register of reviews."""
    d = submitted(c.dana, "Quantum Computing for Business Leaders", c.pdfs)
    if not d:
        return
    a1, a2 = form_panel(c.officer, d, [c.riina, c.sam])
    scoring.submit_review(c.riina, a1, **scores(a1, 2, {2: 1}, recommendation="reject"))
    scoring.submit_review(c.sam, a2, **scores(a2, 2, {2: 1}, recommendation="reject"))
    visit = site_visits.schedule_site_visit(
        c.officer,
        d,
        mode="online",
        scheduled_for=datetime.combine(c.today, time(14, 0)),
        location="Video conference",
        participants="The panel; the programme director; two lecturers; one learner.",
    )
    site_visits.record_site_visit(
        c.officer,
        visit,
        minutes="The programme director confirmed that the final test is a proctored "
        "multiple-choice quiz that tests recall only, and that learners run a quantum "
        "algorithm on a simulator once, in a demonstration by the lecturer.",
        summary="The interview confirmed that the assessment does not verify the outcomes "
        "on applying quantum algorithms and on evaluating vendors' claims.",
    )
    round_ = d.current_round
    findings.save_findings(
        c.officer,
        round_,
        summary="The programme informs managers well about quantum computing, but its "
        "assessment cannot show that learners achieve the stated outcomes. The panel "
        "proposes to reject it.",
        strengths="Clear, up-to-date teaching materials; engaged lecturers.",
        recommendations=[
            "Restate the outcomes at the level of understanding the course actually teaches.",
            "Add a supervised assessment of every outcome.",
        ],
        conditions=[],
        proposed_outcome="reject",
        criteria={
            criterion.id: {
                "judgement": 1 if criterion.position == 2 else 2,
                "text": "The multiple-choice quiz tests recall only: the applied outcomes "
                "are not assessed."
                if criterion.position == 2
                else "Partly met; see the summary.",
            }
            for criterion in round_.rubric.criteria
        },
    )
    check = factual_accuracy.send_draft(c.officer, d)
    factual_accuracy.submit_comments(
        c.dana,
        check,
        points=[{"location": "Site visit", "text": "Two learners, not one, took part."}],
        statement="We regret the proposal and will redesign the assessment before applying again.",
    )
    factual_accuracy.answer_point(
        c.officer, check.points[0], accepted=True, answer="Corrected in the minutes."
    )
    factual_accuracy.close_check(c.officer, check)
    proposal = committee.propose_decision(
        c.officer,
        d,
        outcome="rejected",
        rationale="The assessment does not verify the learning outcomes (criterion 2), which "
        "the interview confirmed; the panel's findings are adopted.",
    )
    committee.cast_vote(members[0], proposal, "agree")
    committee.cast_vote(members[1], proposal, "agree")
    committee.cast_vote(members[2], proposal, "agree")
    committee.record_committee_decision(members[0], proposal)


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


# The appeals committee: external members, not QA staff (they see only /appeals/).
APPEALS_MEMBERS = [
    ("appeals@emqa.eu", "Amelia Appel"),
    ("appeals2@emqa.eu", "Bruno Berufung"),
]


def _appeals_members(password: str) -> list[User]:
    found = []
    for email, name in APPEALS_MEMBERS:
        user = queries.user_by_email(email)
        if user is None:
            user = accounts.create_user(
                None, email=email, name=name, roles=[Role.APPEALS_COMMITTEE], password=password
            )
        found.append(user)
    return found


def _conditions_appealed_and_upheld(members: list[User], pdfs: tuple[bytes, bytes]) -> None:
    """Approved with conditions and published; the provider appeals the conditions; the
    approval stands (listed) while the committee hears it; the committee upholds it."""
    officer = queries.user_by_email("officer@emqa.eu")
    priya = queries.user_by_email("provider@northbridge.ie")
    hanna = queries.user_by_email("reviewer3@hs-example.de")
    sam = queries.user_by_email("reviewer4@student-reviewers.example")
    d = submitted(priya, "Data Protection for Practitioners", pdfs, isced_code="0421")
    if not d:
        return
    a1, a2 = form_panel(officer, d, [hanna, sam])
    scoring.submit_review(hanna, a1, **scores(a1, 3, recommendation="approve_with_conditions"))
    scoring.submit_review(sam, a2, **scores(a2, 3, recommendation="approve_with_conditions"))
    decisions.decide_round(
        officer,
        d,
        outcome="approved_with_conditions",
        rationale="Sound design; the case studies must cover the GDPR's 2024 guidance.",
        conditions=[
            {"text": "Add two case studies on the 2024 EDPB guidance.", "due_date": None},
        ],
    )
    catalogue.publish_listing(officer, d)
    decisions.lodge_appeal(
        priya,
        d,
        "The condition asks for material that the EDPB published after our submission; "
        "we ask the committee to remove it.",
    )
    decisions.decide_appeal(
        members[0],
        decisions.latest_decision(d).appeals[0],
        uphold=True,
        rationale="The guidance was public before the decision; the condition is fair and "
        "its due date leaves enough time.",
        members=members,
    )


def _complaints(officer: User, admin: User, pdf: bytes) -> None:
    """One complaint in each state (lodged, acknowledged, resolved, withdrawn)."""
    if db.session.execute(db.select(Complaint.id).limit(1)).first():
        return
    priya = queries.user_by_email("provider@northbridge.ie")
    dana = queries.user_by_email("provider@dsacademy.eu")
    riina = queries.user_by_email("reviewer1@uni-tartu.example")
    blockchain = db.session.execute(
        db.select(Dossier).where(Dossier.title == "Blockchain for Managers")
    ).scalar()
    complaints.file_complaint(
        priya,
        category="process",
        text="Our dossier waited three weeks before anyone took it up, longer than the "
        "published procedure says.",
    )
    acknowledged = complaints.file_complaint(
        riina,
        category="process",
        text="The review platform logged me out twice while I was writing my review and "
        "the draft was lost.",
    )
    complaints.acknowledge_complaint(admin, acknowledged)
    resolved = complaints.file_complaint(
        dana,
        category="conduct",
        text="The case officer's e-mail about our rejection was curt and did not explain "
        "how to appeal.",
        dossier=blockchain,
        subject=officer,
        attachment=("email.pdf", pdf),
    )
    complaints.acknowledge_complaint(admin, resolved)
    complaints.resolve_complaint(
        admin,
        resolved,
        outcome="partly_upheld",
        response="The decision notice did state the appeal period, but the e-mail should "
        "have explained the procedure; our templates now link to it.",
    )
    withdrawn = complaints.file_complaint(
        priya,
        category="other",
        text="The invoice for the review fee was sent to the wrong department of the university.",
    )
    complaints.withdraw_complaint(priya, withdrawn)


def seed_complaints_and_appeals(pdfs: tuple[bytes, bytes], password: str) -> None:
    """Demo data of ESG 2.7 (idempotent): the appeals committee's members (APPEALS_MEMBERS,
    signing in with ``password``), an appeal against "approved with conditions" upheld by the
    committee, and one complaint in each state. Needs the demo's staff, provider members and
    reviewers (``demo.seed``) and, for the resolved complaint, "Blockchain for Managers"
    (``seed_workflow``): call it after ``seed_workflow``."""
    members = _appeals_members(password)
    _conditions_appealed_and_upheld(members, pdfs)
    _complaints(
        queries.user_by_email("officer@emqa.eu"), queries.user_by_email("admin@emqa.eu"), pdfs[0]
    )


def _approved_with_a_condition(
    c: Cast, member: User, title: str, conditions: list[str], **changes
) -> tuple[Dossier, Decision] | None:
    """A dossier approved with ``conditions`` (due in 30 days) by the second officer, and
    published; None if the demo already has it."""
    d = submitted(member, title, c.pdfs, **changes)
    if not d:
        return None
    # Marco Rossi was a visiting researcher at Northbridge: he reviews the Academy's only
    a1, a2 = form_panel(c.officer2, d, [c.marco if member is c.dana else c.riina, c.hanna])
    for a in (a1, a2):
        scoring.submit_review(a.reviewer, a, **scores(a, 3, recommendation="approve"))
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


def seed_procedure(pdfs: tuple[bytes, bytes], password: str) -> None:
    """Every part of the procedure in the demo, after ``seed_workflow``, in the order the
    review policy allows: each part that turns a step on (composition rules, the
    factual-accuracy check, the decision committee) comes after the parts whose officers
    decide without that step."""
    cast = make_cast(pdfs)
    admin = queries.user_by_email("admin@emqa.eu")
    seed_publication()
    seed_complaints_and_appeals(pdfs, password)
    seed_follow_up(cast)
    seed_panel_and_visit(cast, admin)  # from here on: composition rules
    seed_findings_and_factual_check(cast)  # from here on: the factual-accuracy check
    seed_committee(cast, password)  # from here on: the committee decides
