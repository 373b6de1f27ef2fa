"""Telling the people of a dossier: its provider's members, its case officer (or every QA
officer while it has none). Texts sent to providers must not name reviewers.
"""

from __future__ import annotations

from qa_portal.dossiers.models import Dossier
from qa_portal.notifications.operations import notify, officers, provider_members


def tell_case_officer(dossier: Dossier, kind: str, title: str, body: str) -> None:
    recipients = [dossier.case_officer] if dossier.case_officer else officers()
    notify(recipients, kind, title, body, "cases.show", dossier_id=dossier.id)


def tell_providers(dossier: Dossier, kind: str, title: str, body: str) -> None:
    """Notify the provider's members (texts must not name reviewers)."""
    notify(
        provider_members(dossier.organisation_id),
        kind,
        title,
        body,
        "cases.show",
        dossier_id=dossier.id,
    )
