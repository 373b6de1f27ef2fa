"""Publishing approved microcredentials and the listing lifecycle.

Rules: only QA officers publish, only an approval ("approved" or "approved with
conditions") that has not expired, and each decision once; publishing again after a
renewal decision keeps the same listing (its id and address) and replaces its content and
validity. valid → expired is computed from the validity date (no job), except while a
renewal started before that date awaits its decision; valid → withdrawn (the provider's
members, with an optional public reason); valid → revoked (QA officers, with a required
public reason). A revoked listing is never published again. The listing follows its
decision's conditions ("conditions open" until every condition is met). Every change is
audited; a refused action changes nothing.

Identifiers: a listing gets its UUID (its CTID is ``ce-<uuid>``) when it is first published,
and keeps it. A renewed approval of the same microcredential is the same credential in a
registry, so republication keeps the CTID: a renewal runs on the same dossier, whose one
listing (``listing.dossier_id`` is unique) is refilled, never replaced. There is no other
lineage to follow: a revoked listing is never published again, and a new dossier is a new
microcredential with an identifier of its own.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from qa_portal.accounts.models import Role, User
from qa_portal.catalogue.models import ConditionsStatus, Listing, ListingLanguage, ListingState
from qa_portal.catalogue.public import outcomes_text, public_data
from qa_portal.catalogue.workflow import LISTING_MACHINE
from qa_portal.core import audit, clock
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.models import utcnow
from qa_portal.decisions.models import ConditionState, Decision
from qa_portal.decisions.operations import latest_decision
from qa_portal.dossiers.locks import lock_dossier
from qa_portal.dossiers.models import Dossier
from qa_portal.dossiers.notices import tell_providers
from qa_portal.extensions import db
from qa_portal.notifications.operations import notify, officers


def listing_of(dossier: Dossier) -> Listing | None:
    return db.session.execute(sa.select(Listing).where(Listing.dossier_id == dossier.id)).scalar()


def conditions_status(decision: Decision) -> ConditionsStatus:
    if not decision.conditions:
        return ConditionsStatus.NONE
    if all(c.state == ConditionState.MET for c in decision.conditions):
        return ConditionsStatus.MET
    return ConditionsStatus.OPEN


def _fill(listing: Listing, decision: Decision) -> None:
    snapshot = decision.round.version.snapshot
    data = public_data(snapshot)
    data["reference"] = decision.dossier.reference
    listing.decision = decision
    listing.valid_from = decision.valid_from
    listing.valid_until = decision.valid_until
    listing.conditions = conditions_status(decision)
    listing.title = data["title"] or ""
    listing.summary = data.get("summary") or ""
    listing.description = data.get("description") or ""
    listing.outcomes_text = outcomes_text(data)
    listing.keywords_text = ", ".join(data.get("keywords") or [])
    listing.provider_name = decision.dossier.organisation.name
    listing.country = data.get("country") or ""
    listing.eqf_level = data.get("eqf_level")
    listing.isced_code = data.get("isced_code") or ""
    listing.isced_broad = (data.get("isced_code") or "")[:2]
    listing.participation = data.get("participation") or ""
    languages = list(dict.fromkeys(data.get("languages_instruction") or []))
    listing.languages = " ".join(languages)
    listing.language_rows = [ListingLanguage(code=code) for code in languages]
    listing.ects = data.get("ects")
    listing.workload_hours = data.get("workload_hours")
    listing.public_json = json.dumps(data, ensure_ascii=False, sort_keys=True)
    listing.__dict__.pop("_public_cache", None)
    listing.updated_at = utcnow()


def publishable_decision(dossier: Dossier) -> Decision | None:
    decision = latest_decision(dossier)
    if decision is None or not decision.outcome.is_approval:
        return None
    return decision


def publish_listing(actor: User, dossier: Dossier) -> Listing:
    """Publish (or, after a renewal decision, republish) an approved microcredential.

    Refused (nothing changes) unless the actor is a QA officer and the decision in force is
    an unexpired approval that is not yet published; a revoked listing stays revoked.
    """
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers publish listings.")

    lock_dossier(dossier)  # two officers publishing at once: the second one waits, then sees it
    decision = publishable_decision(dossier)
    if decision is None:
        raise TransitionNotAllowed("Only an approved microcredential can be published.")
    if decision.valid_until < clock.today():
        raise TransitionNotAllowed("The approval has expired; it cannot be published.")
    listing = listing_of(dossier)
    if listing is not None and listing.decision_id == decision.id:
        raise TransitionNotAllowed("This decision is already published.")
    if listing is not None and listing.state == ListingState.REVOKED:
        raise TransitionNotAllowed("This listing was revoked; it cannot be published again.")
    created = listing is None
    if created:
        listing = Listing(
            organisation_id=dossier.organisation_id,
            published_by_id=actor.id,
            state=ListingState.VALID,
            published_at=utcnow(),
        )
        with db.session.no_autoflush:  # stored only once every column is filled
            _fill(listing, decision)
            listing.dossier = dossier
        try:
            with db.session.begin_nested():
                db.session.add(listing)
        except IntegrityError:  # published by someone else a moment ago
            raise TransitionNotAllowed("This microcredential is already published.") from None
        db.session.flush()
        audit.record(
            actor,
            "listing.publish",
            listing,
            dossier_id=dossier.id,
            decision_id=decision.id,
            valid_until=listing.valid_until,
        )
    else:
        LISTING_MACHINE.check(listing, "republish", "qa_officer")
        listing.ended_at = None
        listing.ended_reason = ""
        _fill(listing, decision)
        LISTING_MACHINE.fire(
            listing,
            "republish",
            actor=actor,
            role="qa_officer",
            dossier_id=dossier.id,
            decision_id=decision.id,
            valid_until=listing.valid_until,
        )

    tell_providers(
        dossier,
        "listing_published",
        f"{dossier.reference} is published",
        f"“{listing.title}” is now listed in the public catalogue, valid until "
        f"{listing.valid_until:%d %B %Y}.",
    )
    return listing


def withdraw_listing(actor: User, listing: Listing, reason: str = "") -> None:
    """The provider takes its microcredential out of the catalogue (the page stays as the
    public record, with the reason if one is given); the QA officers are told."""
    if not listing.dossier.is_member(actor):
        raise NotPermitted("Only members of the provider organisation may withdraw it.")
    reason = reason.strip()
    if len(reason) > 2000:
        raise InvalidInput("Keep the reason under 2,000 characters.")
    LISTING_MACHINE.check(listing, "withdraw", "provider")
    listing.ended_at = utcnow()
    listing.ended_reason = reason
    LISTING_MACHINE.fire(listing, "withdraw", actor=actor, role="provider", reason=reason)

    notify(
        officers(),
        "listing_withdrawn",
        f"{listing.dossier.reference} withdrawn from the catalogue",
        f"{listing.provider_name} withdrew “{listing.title}” from the public catalogue."
        + (f"\n\nReason: {reason}" if reason else ""),
        "catalogue.detail",
        listing_id=listing.id,
    )


def revoke_listing(actor: User, listing: Listing, reason: str, *, tell: bool = True) -> None:
    """The QA body revokes a listing, with a public reason (``tell=False``: the provider
    is told by the caller, as when the approval is withdrawn)."""
    if not actor.has_role(Role.QA_OFFICER):
        raise NotPermitted("Only QA officers revoke listings.")
    if not reason.strip():
        raise InvalidInput("Give the reason for the revocation; it is published.")
    if len(reason.strip()) > 2000:
        raise InvalidInput("Keep the reason under 2,000 characters.")
    LISTING_MACHINE.check(listing, "revoke", "qa_officer")
    listing.ended_at = utcnow()
    listing.ended_reason = reason.strip()
    LISTING_MACHINE.fire(
        listing, "revoke", actor=actor, role="qa_officer", reason=listing.ended_reason
    )

    if not tell:
        return
    tell_providers(
        listing.dossier,
        "listing_revoked",
        f"{listing.dossier.reference} revoked",
        f"The QA body revoked the listing of “{listing.title}”: {listing.ended_reason}",
    )


def refresh_conditions(dossier: Dossier) -> None:
    """Keep the listing's "conditions open / met" in step with its decision's conditions
    (called when a QA officer verifies a condition)."""
    listing = listing_of(dossier)
    if listing is None:
        return
    status = conditions_status(listing.decision)
    if listing.conditions != status:
        audit.record(
            None,
            "listing.conditions",
            listing,
            from_state=listing.conditions.value,
            to_state=status.value,
        )
        listing.conditions = status
        listing.updated_at = utcnow()
