"""The portal's named signals: how a higher package reacts to what happens in a lower one.

Dependencies point one way (core ← accounts ← notifications ← dossiers ← reviews ← decisions ←
reports ← catalogue ← cases / api). When an operation in a lower package must set off work
that belongs to a higher one, the lower package sends one of these signals and the higher
package subscribes to it (``@signal.connect``), as Indico's core does with its modules. The
receivers run synchronously, in the sender's transaction: what they write commits or rolls
back with the change that caused it.

The receivers live in each listening package's ``receivers.py`` and are connected when it is
imported; ``qa_portal/__init__.py`` imports them all, so every application has them.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

dossier_submitted = _signals.signal(
    "dossier-submitted",
    doc="""A provider froze a new version of a dossier (sender: the dossier; ``version``: the
    new DossierVersion, not yet stored). Receivers must set ``version.round_number``:
    reviews puts the version into its review round.""",
)

decision_recorded = _signals.signal(
    "decision-recorded",
    doc="""A QA officer decided a review round (sender: the Decision; ``actor``). Reports
    queues the public and the internal report of the round.""",
)

condition_verified = _signals.signal(
    "condition-verified",
    doc="""A QA officer verified the evidence for a condition, met or not met (sender: the
    Condition; ``actor``). The catalogue refreshes the listing's conditions status; reports
    queue a new revision of the round's reports.""",
)

report_publication_asked = _signals.signal(
    "report-publication-asked",
    doc="""Is a report's decision in the public record? (sender: the Report). Each receiver
    answers True or False; the catalogue answers True when the dossier has a listing. A
    report is public when any receiver says so.""",
)

report_listing_asked = _signals.signal(
    "report-listing-asked",
    doc="""What does the public record say today about a report's microcredential? (sender:
    the Report; ``today``). The catalogue answers its listing as plain data (title, link,
    ``status``: its PublicStatus, follow-up ``note``, dates) or None when the dossier has no
    listing; the verification page shows the first answer.""",
)


condition_followed_up = _signals.signal(
    "condition-followed-up",
    doc="""The QA body decided what follows a condition not met (sender: the
    ConditionFollowUp; ``actor``): the condition extended (open again, new due date) or the
    approval withdrawn. The catalogue refreshes the listing or revokes it; reports queue a
    new revision of the round's reports.""",
)


def any_receiver_says(signal, sender, **kwargs) -> bool:
    """True when at least one receiver of ``signal`` answered True for ``sender``."""
    return any(answer for _receiver, answer in signal.send(sender, **kwargs))
