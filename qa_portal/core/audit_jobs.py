"""The periodic audit checkpoint (Celery beat, ``qa_portal.audit_checkpoint``): signs the
trail's length and head when entries were appended since the last checkpoint, so a quiet
portal's newest entries are anchored too, not only after every ``AUDIT_CHECKPOINT_EVERY``."""

from __future__ import annotations

from flask import current_app

from qa_portal.core import audit
from qa_portal.core.jobs import FlaskTask
from qa_portal.extensions import celery


@celery.task(name="qa_portal.audit_checkpoint", base=FlaskTask)
def audit_checkpoint() -> int | None:
    """Take a checkpoint; the number of entries it covers (None: nothing new). A trail that
    no longer extends the previous checkpoint is logged as an error and not signed."""
    try:
        checkpoint = audit.take_checkpoint()
    except audit.AuditTrailTampered as exc:
        current_app.logger.error("audit checkpoint refused: %s", exc)
        raise
    return None if checkpoint is None else checkpoint.count
