"""The named signals of core/signals.py: each has its receiver once the application is built,
and the operations that cause them send them inside their transaction."""

from __future__ import annotations

from blinker import Signal

from qa_portal.core import signals

DECLARED = {name: value for name, value in vars(signals).items() if isinstance(value, Signal)}


def test_every_declared_signal_has_a_receiver(app):
    assert set(DECLARED) == {
        "dossier_submitted",
        "decision_recorded",
        "condition_verified",
        "report_publication_asked",
        "report_listing_asked",
        "condition_followed_up",
    }
    for name, signal in DECLARED.items():
        assert signal.receivers, f"nobody listens to {name}"


def test_a_submission_puts_the_version_in_its_round_through_the_signal(workflow):
    heard = []

    def listen(dossier, *, version):
        heard.append((dossier.id, version.number))

    with signals.dossier_submitted.connected_to(listen):
        dossier = workflow.submitted()
    assert heard == [(dossier.id, 1)]
    assert dossier.latest_version.round_number == dossier.current_round.number == 1


def test_a_report_is_public_only_when_a_receiver_says_so(app):
    class Report:
        dossier_id = -1

    assert signals.any_receiver_says(signals.report_publication_asked, Report()) is False

    def always(report):
        return True

    with signals.report_publication_asked.connected_to(always):
        assert signals.any_receiver_says(signals.report_publication_asked, Report()) is True
