"""The workflow builder: the tests' one way to take a dossier along the review workflow.

A ``Case`` follows one dossier through the real operations, one step at a time: submitted,
taken up (screening), panel invited, invitations accepted, review open, reviews submitted,
decided, published in the catalogue (and the side roads: returned, desk-rejected,
appealed, withdrawn). A step first takes, with their defaults, the steps before it that
the dossier has not taken yet, so a test names only the stage it needs and the arguments
that matter to it::

    case = workflow.case(title="Data Ethics")  # a complete draft of provider A
    case.submit_reviews([{2: 1}, {2: 4}])  # submitted, taken up, two reviewers, divergent
    case.moderate().decide("approved_with_conditions", conditions=[...]).publish()
    case.dossier, case.round, case.assignments, case.reviews, case.decision, case.listing

The stage is read from the dossier (its state, its round's assignments), so a case can be
resumed after the test moved the dossier itself (``workflow.case(dossier)``). Each step
commits, as one request of the portal would.

``Workflow`` holds the people a test's cases default to (the ``workflow`` fixture: the QA
officer, provider A, the first two reviewers of the panel) and the shortcuts most tests
need: ``workflow.decided("rejected")`` returns ``(dossier, decision)``.

This is the one test module that imports the workflow's operations to set up state: when
they move, only this module follows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from qa_portal.accounts.models import User
from qa_portal.cases import screening, withdrawal
from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue.models import Listing, ListingLanguage
from qa_portal.core.db import commit
from qa_portal.decisions import operations as decisions
from qa_portal.decisions.models import Appeal, Decision
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.reviews import invitations, moderation, rounds, scoring
from qa_portal.reviews.models import AssignmentState, Review, ReviewAssignment, ReviewRound
from tests.helpers import pdf_bytes

S = DossierState

# The stages in the order the workflow reaches them, and the step that leaves each one.
STAGES = (
    "draft",
    "submitted",
    "screening",
    "invited",
    "accepted",
    "in_review",
    "reviewed",
    "decided",
    "published",
)
_NEXT_STEP = {
    "draft": "submit",
    "returned": "submit",
    "submitted": "take_up",
    "screening": "invite",
    "invited": "accept",
    "accepted": "open",
    "in_review": "submit_reviews",
    "reviewed": "decide",
    "decided": "publish",
}
# Returned dossiers are resubmitted like drafts; the others leave the road for good.
_RANK = {stage: i for i, stage in enumerate(STAGES)} | {
    "returned": 0,
    "desk_rejected": 99,
    "appeal": 99,
    "withdrawn": 99,
}
_DECIDED = {S.APPROVED, S.APPROVED_WITH_CONDITIONS, S.REVISE_AND_RESUBMIT, S.REJECTED}

# Scores of two reviewers three points apart on criterion 2: a divergence to moderate.
DIVERGENT = ({2: 1}, {2: 4})
RATIONALE = "Meets the standards."
# The condition of an approval with conditions when the test gives none (due: the policy).
CONDITIONS = ({"text": "Publish the assessment rubric.", "due_date": None},)


def new_dossier(
    member: User,
    *,
    complete: bool = True,
    files: bool | Sequence[tuple[str, str, bytes]] = True,
    submit: bool = False,
    title: str = "Cloud-Native Operations",
    **overrides,
) -> Dossier:
    """A dossier of ``member``'s organisation: complete (with files) or a bare draft.
    ``files`` may list the evidence files as (kind, file name, content)."""
    from qa_portal.demo import complete_dossier_data

    dossier = dossiers.create_dossier(member, title)
    if complete:
        data = complete_dossier_data(title)
        data.update(overrides)
        dossiers.save_dossier(member, dossier, data, dossier.lock_version)
    elif overrides:
        dossiers.save_dossier(member, dossier, overrides, dossier.lock_version)
    if files is True:
        files = [
            ("curriculum", "curriculum.pdf", pdf_bytes("Curriculum")),
            ("assessment_sample", "sample.pdf", pdf_bytes("Assessment sample")),
        ]
    for kind, name, content in files or ():
        dossiers.add_evidence_file(member, dossier, kind, name, content)
    if submit:
        dossiers.submit_dossier(member, dossier)
    commit()
    return dossier


def full_scores(
    assignment: ReviewAssignment,
    score: int = 3,
    overrides: dict[int, int] | None = None,
    *,
    recommendation: str = "approve",
    comment: str = "Comment {position}",
    to_provider: str = "Clear outcomes; strengthen the assessment of LO3.",
    confidential: str = "Nothing confidential.",
) -> dict[str, Any]:
    """A complete draft for ``scoring.save_review`` / ``submit_review``; ``overrides`` maps
    a criterion position to its score. The texts may name ``{position}`` (the criterion's,
    in ``comment``) and ``{alias}`` (the reviewer's, "Reviewer 1")."""
    overrides = overrides or {}
    alias = assignment.alias
    return {
        "scores": {
            c.id: {
                "score": overrides.get(c.position, score),
                "comment": comment.format(position=c.position, alias=alias),
            }
            for c in assignment.round.rubric.criteria
        },
        "recommendation": recommendation,
        "comments_to_provider": to_provider.format(alias=alias),
        "confidential_comments": confidential.format(alias=alias),
    }


class Case:
    """One dossier along the workflow; each step returns the case (see the module)."""

    def __init__(
        self,
        dossier: Dossier,
        *,
        officer: User,
        provider: User | None = None,
        reviewers: Sequence[User] = (),
    ):
        self.dossier = dossier
        self.officer = officer  # the case officer: takes up, invites, opens, decides
        self.provider = provider  # the member who submits, appeals, withdraws
        self.reviewers = list(reviewers)  # the panel ``invite`` invites by default
        self.decision: Decision | None = None
        self.listing: Listing | None = None
        self.appeal: Appeal | None = None

    # -- what the case holds --------------------------------------------------------------
    @property
    def round(self) -> ReviewRound | None:
        return self.dossier.current_round

    @property
    def assignments(self) -> list[ReviewAssignment]:
        """The current round's assignments, in the order of the reviewers' aliases."""
        return list(self.round.assignments) if self.round else []

    @property
    def reviews(self) -> list[Review]:
        return [a.review for a in self.assignments if a.review is not None]

    @property
    def stage(self) -> str:
        state = self.dossier.state
        if state == S.SCREENING:
            states = {a.state for a in self.assignments}
            if AssignmentState.INVITED in states:
                return "invited"
            return "accepted" if AssignmentState.ACCEPTED in states else "screening"
        if state in _DECIDED:
            return "published" if self.listing is not None else "decided"
        return {S.IN_REVIEW: "in_review", S.DECISION_PENDING: "reviewed"}.get(state, state.value)

    def to(self, stage: str) -> Case:
        """Take the steps, with their defaults, up to ``stage`` (one of ``STAGES``)."""
        self._reach(stage)
        return self

    def _reach(self, stage: str) -> None:
        """Take the steps, with their defaults, that lead from the case's stage to ``stage``."""
        while _RANK[self.stage] < _RANK[stage]:
            before = self.stage
            getattr(self, _NEXT_STEP[before])()
            assert self.stage != before, f"{self.dossier.reference} is stuck at {before}"

    def _member(self) -> User:
        assert self.provider is not None, "this step needs the case's provider"
        return self.provider

    # -- the road -------------------------------------------------------------------------
    def submit(self) -> Case:
        """Submit the draft (or resubmit the returned dossier)."""
        dossiers.submit_dossier(self._member(), self.dossier)
        commit()
        return self

    def take_up(self) -> Case:
        """The officer becomes the case officer (from round 2 on, this invites the reviewers
        of the previous round again)."""
        self._reach("submitted")
        screening.take_up(self.officer, self.dossier)
        commit()
        return self

    def invite(self, reviewers: Sequence[User] | None = None, **dates) -> Case:
        """Invite ``reviewers`` (by default the case's) not yet on the round's panel;
        ``dates``: ``response_due``, ``review_due``."""
        self._reach("screening")
        on_panel = {a.reviewer_id for a in self.assignments}
        for reviewer in self.reviewers if reviewers is None else reviewers:
            if reviewer.id not in on_panel:
                invitations.invite_reviewer(self.officer, self.dossier, reviewer, **dates)
        commit()
        return self

    def accept(self) -> Case:
        """Every invited reviewer accepts, declaring no conflict of interest."""
        self._reach("invited")
        for a in self.assignments:
            if a.state == AssignmentState.INVITED:
                invitations.accept_invitation(a.reviewer, a, no_conflict=True)
        commit()
        return self

    def open(self) -> Case:
        """Open the review (the round takes the current rubric)."""
        self._reach("accepted")
        rounds.open_review(self.officer, self.dossier)
        commit()
        return self

    def submit_reviews(
        self,
        scores: Sequence[dict[int, int]] = (),
        *,
        only: int | None = None,
        score: int = 3,
        **texts: str,
    ) -> Case:
        """The accepted reviewers (the first ``only`` of them) submit complete reviews:
        ``scores[i]`` maps a criterion position to the i-th one's score, the others get
        ``score``; ``texts`` are ``full_scores``'s (recommendation, comment, to_provider,
        confidential). The last review in closes the round (decision pending)."""
        self._reach("in_review")
        waiting = [a for a in self.assignments if a.state == AssignmentState.ACCEPTED]
        assert only is None or len(waiting) >= only, f"{len(waiting)} reviews to write, not {only}"
        for i, a in enumerate(waiting[:only]):
            overrides = scores[i] if i < len(scores) else None
            scoring.submit_review(a.reviewer, a, **full_scores(a, score, overrides, **texts))
        commit()
        return self

    def moderate(
        self,
        note: str = "Moderated: the panel agreed after discussing criterion {position}.",
        general: str | None = None,
    ) -> Case:
        """A moderation note on every divergent criterion (``note`` may name its
        ``{position}``), and a general note if given."""
        self._reach("reviewed")
        for stats in moderation.unmoderated_divergences(self.round):
            position = stats.criterion.position
            moderation.add_moderation_note(
                self.officer, self.dossier, stats.criterion.id, note.format(position=position)
            )
        if general:
            moderation.add_moderation_note(self.officer, self.dossier, None, general)
        commit()
        return self

    def decide(
        self,
        outcome: str = "approved",
        *,
        rationale: str = RATIONALE,
        conditions: Sequence[dict[str, Any]] | None = None,
        validity_years: int | None = None,
        by: User | None = None,
    ) -> Case:
        """Decide the round (by the case officer, or ``by``); an approval with conditions
        without ``conditions`` gets ``CONDITIONS``."""
        self._reach("reviewed")
        if conditions is None and outcome == "approved_with_conditions":
            conditions = [dict(c) for c in CONDITIONS]
        self.decision = decisions.decide_round(
            by or self.officer,
            self.dossier,
            outcome=outcome,
            rationale=rationale,
            conditions=list(conditions) if conditions is not None else None,
            validity_years=validity_years,
        )
        commit()
        return self

    def publish(self) -> Case:
        """Publish the approved dossier in the catalogue."""
        self._reach("decided")
        self.listing = catalogue.publish_listing(self.officer, self.dossier)
        commit()
        return self

    # -- the side roads -------------------------------------------------------------------
    def return_to_provider(self, note: str = "Add the staff profiles.") -> Case:
        self._reach("screening")
        screening.return_to_provider(self.officer, self.dossier, note)
        commit()
        return self

    def desk_reject(self, reason: str = "Not a microcredential: 90 ECTS.") -> Case:
        self._reach("screening")
        self.decision = screening.desk_reject(self.officer, self.dossier, reason)
        commit()
        return self

    def lodge_appeal(self, grounds: str) -> Case:
        """The provider appeals the case's latest decision."""
        self.appeal = decisions.lodge_appeal(self._member(), self.dossier, grounds)
        commit()
        return self

    def withdraw(self, reason: str = "We merged it into another course.") -> Case:
        """The provider withdraws the dossier, in whatever state it is."""
        withdrawal.withdraw_dossier(self._member(), self.dossier, reason)
        commit()
        return self


class Workflow:
    """Cases of one set of people (the ``workflow`` fixture), and the usual shortcuts."""

    def __init__(self, *, officer: User, provider: User, reviewers: Sequence[User]):
        self.officer, self.provider, self.reviewers = officer, provider, list(reviewers)

    def case(
        self,
        dossier: Dossier | None = None,
        *,
        officer: User | None = None,
        provider: User | None = None,
        reviewers: Sequence[User] | None = None,
        **fields,
    ) -> Case:
        """A case of ``dossier``, or of a new complete draft of ``provider`` (``fields``:
        ``new_dossier``'s, e.g. a title, ``submit=True`` or dossier fields)."""
        provider = provider or self.provider
        if dossier is None:
            dossier = new_dossier(provider, **fields)
        else:
            assert not fields, "fields are for a new dossier"
        return Case(
            dossier,
            officer=officer or self.officer,
            provider=provider,
            reviewers=self.reviewers if reviewers is None else reviewers,
        )

    # the shortcuts: a fresh dossier of the provider at each stage
    def submitted(self, **fields) -> Dossier:
        return self.case(submit=True, **fields).dossier

    def screening(self, **fields) -> Dossier:
        return self.case(submit=True, **fields).take_up().dossier

    def in_review(self, reviewers: Sequence[User] | None = None, **fields):
        """``(dossier, assignments)``: the review open, nothing submitted."""
        case = self.case(reviewers=reviewers, submit=True, **fields).open()
        return case.dossier, case.assignments

    def decision_pending(self, divergent: bool = False, scores: Sequence[dict] = ()):
        """``(dossier, assignments)``: every review in (``DIVERGENT`` ones if asked)."""
        case = self.case(submit=True).submit_reviews(DIVERGENT if divergent else scores)
        return case.dossier, case.assignments

    def decided(self, outcome: str = "approved", **decide):
        """``(dossier, decision)``; ``decide``: ``Case.decide``'s keywords."""
        case = self.case(submit=True).decide(outcome, **decide)
        return case.dossier, case.decision

    def published(self, outcome: str = "approved", **decide) -> Listing:
        return self.case(submit=True).decide(outcome, **decide).publish().listing


# -- cheap listings -------------------------------------------------------------------------
# Variations given to copies, so that filters, facets and sorting have something to do.
COUNTRIES = ("IE", "DE", "FR", "PT", "FI")
PARTICIPATION = ("online", "in_person", "blended")
LANGUAGES = (("en",), ("de", "en"), ("fr",), ("pt", "en"), ("fi", "sv"))


def copy_listing(original: Listing, n: int, organisation=None, **changes) -> Listing:
    """A new listing like ``original`` (same decision), on a new bare dossier of the same
    provider (or of ``organisation``): only the catalogue reads it, and publishing 30 through
    the workflow would take a minute."""
    org_id = organisation.id if organisation else original.organisation_id
    dossier = Dossier(
        organisation_id=org_id,
        state=DossierState.APPROVED,
        title=changes.get("title") or f"{original.title} {n}",
    )
    db.session.add(dossier)
    db.session.flush()
    data = dict(original.public)
    languages = list(changes.pop("languages", LANGUAGES[n % len(LANGUAGES)]))
    values = {
        "title": f"{original.title} {n}",
        "country": COUNTRIES[n % len(COUNTRIES)],
        "eqf_level": 4 + n % 5,
        "participation": PARTICIPATION[n % len(PARTICIPATION)],
        "ects": float(1 + n % 10),
    } | changes
    data.update(
        title=values["title"],
        country=values["country"],
        eqf_level=values["eqf_level"],
        participation=values["participation"],
        ects=values["ects"],
        languages_instruction=languages,
        reference=dossier.reference,
    )
    listing = Listing(
        dossier_id=dossier.id,
        organisation_id=org_id,
        decision_id=original.decision_id,
        state=original.state,
        conditions=original.conditions,
        published_at=original.published_at - timedelta(minutes=n),
        published_by_id=original.published_by_id,
        valid_from=original.valid_from,
        valid_until=original.valid_until,
        summary=original.summary,
        description=original.description,
        outcomes_text=original.outcomes_text,
        keywords_text=original.keywords_text,
        provider_name=organisation.name if organisation else original.provider_name,
        isced_code=original.isced_code,
        isced_broad=original.isced_broad,
        languages=" ".join(languages),
        language_rows=[ListingLanguage(code=code) for code in languages],
        workload_hours=original.workload_hours,
        public_json=json.dumps(data, ensure_ascii=False, sort_keys=True),
        **{k: values[k] for k in ("title", "country", "eqf_level", "participation", "ects")},
    )
    db.session.add(listing)
    db.session.flush()
    return listing
