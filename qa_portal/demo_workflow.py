"""Demo dossiers in every workflow state (used by ``flask demo``; idempotent by title)."""

from __future__ import annotations

from datetime import timedelta

from qa_portal.accounts import queries
from qa_portal.accounts.models import User
from qa_portal.cases import screening, withdrawal
from qa_portal.catalogue import operations as catalogue
from qa_portal.core import clock
from qa_portal.decisions import operations as decisions
from qa_portal.demo_data import complete_dossier_data
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.reviews import invitations, moderation, rounds, scoring


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


def seed_workflow(pdfs: tuple[bytes, bytes]) -> None:
    officer = queries.user_by_email("officer@emqa.eu")
    officer2 = queries.user_by_email("officer2@emqa.eu")
    priya = queries.user_by_email("provider@northbridge.ac.uk")
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
    today = clock.today()

    d = _submitted(
        priya,
        "Green Software Engineering",
        pdfs,
        keywords=["sustainability", "software engineering"],
    )
    if d:
        screening.take_up(officer, d)
        invitations.invite_reviewer(officer, d, riina)  # screening, one invitation out

    d = _submitted(
        dana,
        "Introduction to Cybersecurity Operations",
        pdfs,
        country="NL",
        isced_code="0612",
        eqf_level=5,
    )
    if d:
        screening.take_up(officer, d)
        screening.return_to_provider(
            officer,
            d,
            "Attach the internal QA policy and state how identity is verified in the online exam.",
        )

    d = _submitted(
        dana,
        "Social Media Marketing Basics",
        pdfs,
        country="NL",
        isced_code="0414",
        ects=1.0,
        workload_hours=20,
    )
    if d:
        screening.take_up(officer2, d)
        screening.desk_reject(
            officer2,
            d,
            "The programme is a promotional webinar series "
            "without assessment of learning outcomes; it is not eligible.",
        )

    d = _submitted(priya, "Kubernetes Security Hardening", pdfs)
    if d:  # in review: one review in, one still a draft
        a1, a2 = _panel(officer, d, [riina, hanna])
        scoring.submit_review(riina, a1, **_scores(a1, 3))
        scoring.save_review(hanna, a2, **_scores(a2, 3))

    d = _submitted(
        dana,
        "Data Visualisation for Analysts",
        pdfs,
        country="NL",
        isced_code="0542",
        keywords=["data analysis", "statistics"],
    )
    if d:  # decision pending with a divergent criterion (moderation note still missing)
        a1, a2 = _panel(officer, d, [riina, marco])
        scoring.submit_review(riina, a1, **_scores(a1, 3, {2: 2}))
        scoring.submit_review(marco, a2, **_scores(a2, 3, {2: 4}))

    d = _submitted(priya, "Machine Learning Operations", pdfs, isced_code="0613")
    if d:  # approved with conditions: one met, one open
        a1, a2 = _panel(officer, d, [riina, sam])
        scoring.submit_review(
            riina, a1, **_scores(a1, 3, {2: 1}, recommendation="approve_with_conditions")
        )
        scoring.submit_review(
            sam, a2, **_scores(a2, 3, {2: 3}, recommendation="approve_with_conditions")
        )
        stats = [s for s in moderation.round_statistics(d.current_round) if s.divergent]
        for s in stats:
            moderation.add_moderation_note(
                officer,
                d,
                s.criterion.id,
                "Reviewer 1 weighed the short oral defence heavily; a condition addresses it.",
            )
        decision = decisions.decide_round(
            officer,
            d,
            outcome="approved_with_conditions",
            rationale="The microcredential meets the standards; the assessment of LO3 and "
            "the published grading scheme need completing.",
            conditions=[
                {
                    "text": "Extend the oral defence to 30 minutes with a published rubric.",
                    "due_date": today + timedelta(days=90),
                },
                {
                    "text": "Publish the grading scheme on the programme page.",
                    "due_date": today + timedelta(days=30),
                },
            ],
        )
        second = decision.conditions[1]
        decisions.submit_condition_evidence(
            priya, second, "Published on the programme page under 'Assessment'.", []
        )
        decisions.verify_condition(officer, second, met=True, note="Checked online.")
        catalogue.publish_listing(officer, d)

    d = _submitted(dana, "Applied Statistics with R", pdfs, country="NL", isced_code="0542")
    if d:  # approved
        a1, a2 = _panel(officer2, d, [riina, marco])
        scoring.submit_review(riina, a1, **_scores(a1, 4))
        scoring.submit_review(marco, a2, **_scores(a2, 3))
        decisions.decide_round(
            officer2,
            d,
            outcome="approved",
            rationale="Meets every criterion; exemplary information for learners.",
        )
        catalogue.publish_listing(officer2, d)

    d = _submitted(
        priya,
        "Agile Project Leadership",
        pdfs,
        isced_code="0413",
        keywords=["project management", "leadership"],
    )
    if d:  # revise and resubmit
        a1, a2 = _panel(officer, d, [hanna, sam])
        scoring.submit_review(hanna, a1, **_scores(a1, 2, recommendation="revise_and_resubmit"))
        scoring.submit_review(sam, a2, **_scores(a2, 2, recommendation="revise_and_resubmit"))
        decisions.decide_round(
            officer,
            d,
            outcome="revise_and_resubmit",
            rationale="The outcomes are not assessed individually; revise the assessment design.",
        )

    d = _submitted(dana, "Blockchain for Managers", pdfs, country="NL", isced_code="0413")
    if d:  # rejected, then appealed
        a1, a2 = _panel(officer, d, [riina, hanna])
        scoring.submit_review(riina, a1, **_scores(a1, 1, recommendation="reject"))
        scoring.submit_review(hanna, a2, **_scores(a2, 2, recommendation="reject"))
        decisions.decide_round(
            officer,
            d,
            outcome="rejected",
            rationale="The learning outcomes are not observable and the "
            "workload is not plausible for 5 ECTS.",
        )
        decisions.lodge_appeal(
            dana,
            d,
            "The panel did not consider the revised workload "
            "table submitted as evidence; we ask for a new assessment.",
        )

    d = _submitted(priya, "Digital Accessibility Essentials", pdfs, isced_code="0611")
    if d:
        withdrawal.withdraw_dossier(priya, d, "Replaced by a longer programme.")
