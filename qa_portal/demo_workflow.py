"""Demo dossiers in every workflow state (used by ``flask demo``; idempotent by title)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

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
from qa_portal.reviews import invitations, moderation, panel_rules, rounds, scoring
from qa_portal.reviews.policy import current_policy


def scores(
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


def submitted(member: User, title: str, pdfs: tuple[bytes, bytes], **changes) -> Dossier | None:
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


def form_panel(officer: User, dossier: Dossier, reviewers: list[User]):
    """Take the dossier up, have ``reviewers`` accept, and open the review. Where the policy
    has composition rules (``demo_panel.seed_panel_and_visit`` sets some), the first reviewer
    chairs the panel, and a panel still short of a member type opens on an exception."""
    screening.take_up(officer, dossier)
    assignments = []
    for reviewer in reviewers:
        a = invitations.invite_reviewer(officer, dossier, reviewer)
        invitations.accept_invitation(reviewer, a, no_conflict=True)
        assignments.append(a)
    if current_policy().panel_chair_required:
        panel_rules.set_panel_role(officer, assignments[0], "chair")
    unmet = panel_rules.unmet_requirements(dossier.current_round)
    if unmet:
        panel_rules.record_composition_exception(
            officer,
            dossier.current_round,
            f"{panel_rules.unmet_message(unmet)} None of the pool's experts of that kind was "
            "free within the review period; the panel's academic members cover the "
            "programme's field.",
        )
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
    d = submitted(
        c.priya,
        "Green Software Engineering",
        c.pdfs,
        keywords=["sustainability", "software engineering"],
    )
    if d:
        screening.take_up(c.officer, d)
        invitations.invite_reviewer(c.officer, d, c.riina)  # screening, one invitation out


def _returned(c: Cast) -> None:
    d = submitted(
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
    d = submitted(
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
    d = submitted(c.priya, "Kubernetes Security Hardening", c.pdfs)
    if d:  # in review: one review in, one still a draft
        a1, a2 = form_panel(c.officer, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **scores(a1, 3))
        scoring.save_review(c.hanna, a2, **scores(a2, 3))


def _decision_pending(c: Cast) -> None:
    d = submitted(
        c.dana,
        "Data Visualisation for Analysts",
        c.pdfs,
        country="NL",
        isced_code="0542",
        keywords=["data analysis", "statistics"],
    )
    if d:  # decision pending with a divergent criterion (moderation note still missing)
        a1, a2 = form_panel(c.officer, d, [c.riina, c.marco])
        scoring.submit_review(c.riina, a1, **scores(a1, 3, {2: 2}))
        scoring.submit_review(c.marco, a2, **scores(a2, 3, {2: 4}))


def _approved_with_conditions(c: Cast) -> None:
    d = submitted(c.priya, "Machine Learning Operations", c.pdfs, isced_code="0613")
    if not d:
        return
    # approved with conditions: one met, one open
    a1, a2 = form_panel(c.officer, d, [c.riina, c.sam])
    scoring.submit_review(
        c.riina, a1, **scores(a1, 3, {2: 1}, recommendation="approve_with_conditions")
    )
    scoring.submit_review(
        c.sam, a2, **scores(a2, 3, {2: 3}, recommendation="approve_with_conditions")
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
    d = submitted(c.dana, "Applied Statistics with R", c.pdfs, country="NL", isced_code="0542")
    if d:  # approved
        a1, a2 = form_panel(c.officer2, d, [c.riina, c.marco])
        scoring.submit_review(c.riina, a1, **scores(a1, 4))
        scoring.submit_review(c.marco, a2, **scores(a2, 3))
        decisions.decide_round(
            c.officer2,
            d,
            outcome="approved",
            rationale="Meets every criterion; exemplary information for learners.",
        )
        catalogue.publish_listing(c.officer2, d)


def _revise_and_resubmit(c: Cast) -> None:
    d = submitted(
        c.priya,
        "Agile Project Leadership",
        c.pdfs,
        isced_code="0413",
        keywords=["project management", "leadership"],
    )
    if d:  # revise and resubmit
        a1, a2 = form_panel(c.officer, d, [c.hanna, c.sam])
        scoring.submit_review(c.hanna, a1, **scores(a1, 2, recommendation="revise_and_resubmit"))
        scoring.submit_review(c.sam, a2, **scores(a2, 2, recommendation="revise_and_resubmit"))
        decisions.decide_round(
            c.officer,
            d,
            outcome="revise_and_resubmit",
            rationale="The outcomes are not assessed individually; revise the assessment design.",
        )


def _rejected_and_appealed(c: Cast) -> None:
    d = submitted(c.dana, "Blockchain for Managers", c.pdfs, country="NL", isced_code="0413")
    if d:  # rejected, then appealed
        a1, a2 = form_panel(c.officer, d, [c.riina, c.hanna])
        scoring.submit_review(c.riina, a1, **scores(a1, 1, recommendation="reject"))
        scoring.submit_review(c.hanna, a2, **scores(a2, 2, recommendation="reject"))
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
    d = submitted(c.priya, "Digital Accessibility Essentials", c.pdfs, isced_code="0611")
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


def make_cast(pdfs: tuple[bytes, bytes]) -> Cast:
    """The demo's people (``flask demo`` created them), with the evidence files and today."""
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
    return Cast(officer, officer2, priya, dana, riina, marco, hanna, sam, pdfs, clock.today())


def seed_workflow(pdfs: tuple[bytes, bytes]) -> None:
    """A dossier in each state of the workflow, under the default review policy."""
    cast = make_cast(pdfs)
    for scenario in SCENARIOS:
        scenario(cast)
