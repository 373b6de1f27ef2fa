"""The decision committee's pages: the officer's proposal, the committee's list of proposals,
and the proposal page where members vote and the committee's decision is recorded.

Committee members are not QA staff: they see no dossier page, only the proposal page, which
gives them what they need (the dossier's summary, the scores and the anonymised reviews).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from qa_portal.accounts.models import Role
from qa_portal.core.db import commit
from qa_portal.core.errors import DomainError, TransitionNotAllowed, wants_json
from qa_portal.core.permissions import roles_required
from qa_portal.core.responses import done
from qa_portal.decisions import committee, forms
from qa_portal.decisions.committee_forms import (
    CommitteeDecisionForm,
    VoteForm,
    WithdrawProposalForm,
)
from qa_portal.decisions.models import DecisionProposal, ProposalState
from qa_portal.decisions.views import (
    _form_problem,
    decision_page,
    post_decision_form,
    require_decision_pending,
)
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.dossiers.views import dossier_or_404
from qa_portal.extensions import db
from qa_portal.reviews import aliases, moderation
from qa_portal.reviews.deciding_body import decides_in_committee
from qa_portal.reviews.policy import current_policy

bp = Blueprint("committee", __name__)

READERS = (Role.COMMITTEE, Role.QA_OFFICER, Role.QA_ADMIN)


def _page(dossier: Dossier) -> str:
    return url_for("committee.proposal", dossier_id=dossier.id)


def _proposals_or_404(dossier_id: int) -> tuple[Dossier, list[DecisionProposal]]:
    """The dossier and its proposals, newest first; 404 when it has none (a committee member
    learns nothing of dossiers not put to the committee)."""
    dossier = db.session.get(Dossier, dossier_id)
    found = committee.proposals_of(dossier) if dossier is not None else []
    if not found:
        abort(404)
    return dossier, found


def _open_or_409(dossier: Dossier, found: list[DecisionProposal]) -> DecisionProposal:
    if found[0].state != ProposalState.OPEN:
        raise TransitionNotAllowed("No proposal on this dossier is open for the committee.")
    return found[0]


# -- the committee's list -----------------------------------------------------------------
@bp.get("/committee/")
@roles_required(*READERS)
def index():
    closed = committee.proposals(ProposalState.DECIDED, 20) + committee.proposals(
        ProposalState.WITHDRAWN, 20
    )
    closed.sort(key=lambda p: p.closed_at or p.proposed_at, reverse=True)
    return render_template(
        "decisions/committee_index.html",
        open_proposals=committee.proposals(ProposalState.OPEN),
        recent=closed[:20],
        policy=current_policy(),
        committee_name=committee.committee_name(),
    )


# -- the proposal page --------------------------------------------------------------------
@bp.get("/committee/dossiers/<int:dossier_id>")
@roles_required(*READERS)
def proposal(dossier_id: int):
    dossier, found = _proposals_or_404(dossier_id)
    return _proposal_page(dossier, found)


def _proposal_page(
    dossier: Dossier,
    found: list[DecisionProposal],
    *,
    vote_form: VoteForm | None = None,
    record_form: CommitteeDecisionForm | None = None,
    withdraw_form: WithdrawProposalForm | None = None,
    status: int = 200,
):
    current = found[0]
    if record_form is None:
        record_form = CommitteeDecisionForm(formdata=None, rationale=current.rationale)
    policy = current_policy()
    return render_template(
        "decisions/committee_proposal.html",
        dossier=dossier,
        proposal=current,
        earlier=found[1:],
        policy=policy,
        committee_name=committee.committee_name(policy),
        reviews=_anonymised_reviews(current),
        vote_form=vote_form or VoteForm(formdata=None),
        record_form=record_form,
        withdraw_form=withdraw_form or WithdrawProposalForm(formdata=None),
        is_open=current.state == ProposalState.OPEN,
        vote_refusal=committee.why_not_vote(current_user, current),
        my_vote=current.vote_of(current_user),
        may_record=current.state == ProposalState.OPEN
        and committee.recording_role(current_user) is not None,
        votes_decide=committee.quorum_reached(current, policy)
        and committee.majority_agrees(current),
        may_withdraw=current.state == ProposalState.OPEN and current_user.has_role(Role.QA_OFFICER),
    ), status


def _anonymised_reviews(proposal: DecisionProposal) -> dict[str, Any]:
    """The round's scores per criterion and its submitted reviews, by their public aliases
    (the committee sees what the provider will see of the reviews, and the scores)."""
    round_ = proposal.round
    alias = aliases.public_aliases(list(round_.assignments))
    submitted = [a for a in round_.assignments if a.id in alias]
    submitted.sort(key=lambda a: list(alias).index(a.id))
    return {
        "stats": moderation.round_statistics(round_, submitted) if submitted else [],
        "aliases": [alias[a.id] for a in submitted],
        "reviews": [
            {
                "alias": alias[a.id],
                "recommendation": a.review.recommendation if a.review else None,
                "comments": a.review.comments_to_provider if a.review else "",
            }
            for a in submitted
        ],
    }


def _attempt(dossier_id: int, action, success: str, **forms_):
    """Run ``action`` (one operation); commit and go back to the proposal page, or show the
    page again with the refusal and what was typed."""
    try:
        action()
    except DomainError as exc:
        if wants_json():
            raise
        db.session.rollback()
        dossier, found = _proposals_or_404(dossier_id)
        form = next(iter(forms_.values()))
        form.form_errors.append(exc.message)
        return _proposal_page(dossier, found, status=exc.status_code, **forms_)
    commit()
    dossier = db.session.get(Dossier, dossier_id)
    return done(success, _page(dossier), state=dossier.state.value)


@bp.post("/committee/dossiers/<int:dossier_id>/vote")
@roles_required(Role.COMMITTEE)
def vote(dossier_id: int):
    dossier, found = _proposals_or_404(dossier_id)
    current = _open_or_409(dossier, found)
    form = VoteForm()
    if not form.validate_on_submit():
        if wants_json():
            raise _form_problem(form)
        return _proposal_page(dossier, found, vote_form=form, status=400)
    return _attempt(
        dossier_id,
        lambda: committee.cast_vote(current_user, current, form.vote.data, form.comment.data),
        "Your vote is recorded.",
        vote_form=form,
    )


@bp.post("/committee/dossiers/<int:dossier_id>/record")
@roles_required(Role.COMMITTEE, Role.QA_OFFICER)
def record(dossier_id: int):
    dossier, found = _proposals_or_404(dossier_id)
    current = _open_or_409(dossier, found)
    form = CommitteeDecisionForm()
    if not form.validate_on_submit():
        if wants_json():
            raise _form_problem(form)
        return _proposal_page(dossier, found, record_form=form, status=400)
    return _attempt(
        dossier_id,
        lambda: committee.record_committee_decision(
            current_user,
            current,
            meeting_date=form.meeting_date.data,
            outcome=form.outcome.data or None,
            rationale=form.rationale.data or None,
        ),
        "The committee's decision is recorded; the provider has been told.",
        record_form=form,
    )


@bp.post("/committee/dossiers/<int:dossier_id>/withdraw")
@roles_required(Role.QA_OFFICER)
def withdraw(dossier_id: int):
    dossier, found = _proposals_or_404(dossier_id)
    current = _open_or_409(dossier, found)
    form = WithdrawProposalForm()
    if not form.validate_on_submit():
        if wants_json():
            raise _form_problem(form)
        return _proposal_page(dossier, found, withdraw_form=form, status=400)
    return _attempt(
        dossier_id,
        lambda: committee.withdraw_proposal(current_user, current, form.note.data or ""),
        "The proposal is withdrawn; you may propose a revised decision.",
        withdraw_form=form,
    )


# -- the officer's proposal ---------------------------------------------------------------
@bp.route("/dossiers/<int:dossier_id>/propose", methods=["GET", "POST"])
@roles_required(Role.QA_OFFICER)
def propose(dossier_id: int):
    dossier = dossier_or_404(dossier_id)
    require_decision_pending(dossier)  # 409: no proposal for a dossier not ready for one
    if not decides_in_committee(current_policy()):
        return redirect(url_for("decisions.decide", dossier_id=dossier.id))
    if committee.open_proposal(dossier) is not None and request.method == "GET":
        flash("A proposal is already before the committee.", "info")
        return redirect(_page(dossier))
    form = forms.DecisionForm()
    status = 200
    if request.method == "POST":

        def propose_now(values):
            committee.propose_decision(current_user, dossier, **values)
            commit()
            return done(
                "Proposal sent to the committee; its members have been told.",
                _page(dossier),
                state=dossier.state.value,
            )

        answer, dossier, status = post_decision_form(dossier, form, propose_now)
        if answer is not None:
            return answer
    return decision_page(
        dossier, form, status, proposing=True, committee_name=committee.committee_name()
    )


# -- the dossier page's partial (decisions/_case_committee.html) --------------------------
@bp.app_template_global()
def committee_case(dossier: Dossier) -> dict[str, Any]:
    """What the dossier page shows QA staff about the committee: whether it decides, the
    dossier's proposals (newest first) and whether a decision may be proposed now."""
    policy = current_policy()
    in_committee = decides_in_committee(policy)
    found = committee.proposals_of(dossier)
    is_open = bool(found) and found[0].state == ProposalState.OPEN
    waiting = in_committee and not is_open and dossier.state == DossierState.DECISION_PENDING
    return {
        "in_committee": in_committee,
        "name": committee.committee_name(policy),
        "quorum": policy.committee_quorum,
        "proposals": found,
        "open": found[0] if is_open else None,
        "waiting": waiting,
        "can_propose": waiting and current_user.has_role(Role.QA_OFFICER),
    }
