"""What reviews does when something happens in a package below it (see core/signals.py)."""

from __future__ import annotations

from qa_portal.core import signals
from qa_portal.dossiers.models import Dossier, DossierVersion
from qa_portal.reviews.rounds import attach_version


@signals.dossier_submitted.connect
def put_version_in_its_round(dossier: Dossier, *, version: DossierVersion) -> None:
    attach_version(dossier, version)
