"""Site visit or interview (ESG 2.3): offered per policy (none, optional, required);
scheduled (the provider and the panel told), held with minutes (written or a checked PDF)
and a summary, or cancelled; a required visit blocks the decision until held with minutes;
the panel reads the minutes, the provider the date, mode and participants only."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import render_template
from werkzeug.security import generate_password_hash

from qa_portal.accounts import queries
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput, NotPermitted, TransitionNotAllowed
from qa_portal.core.states import StateMachine
from qa_portal.demo_panel import seed_panel_and_visit
from qa_portal.demo_workflow import Cast
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.reviews import panel_rules, site_visits
from qa_portal.reviews.panel_enums import SiteVisitState
from qa_portal.reviews.policy import update_policy
from tests.builders import Case, new_dossier
from tests.helpers import audit_actions, notified, pdf_bytes
from tests.reviews.helpers import field_errors, section, text
from tests.state_tables import assert_every_pair_is_enforced

WHEN = datetime(2027, 3, 4, 10, 30)


def visits(admin, setting: str = "optional") -> None:
    update_policy(admin, {"site_visit": setting})
    commit()


def new_case(people, panel) -> Case:
    dossier = new_dossier(people.provider_a, submit=True)
    return Case(dossier, officer=people.officer, provider=people.provider_a, reviewers=panel[:2])


def schedule(people, case, **overrides):
    values = {
        "mode": "on_site",
        "scheduled_for": WHEN,
        "location": "Main campus, room 12",
        "participants": "The panel; the programme director; two learners.",
    } | overrides
    visit = site_visits.schedule_site_visit(people.officer, case.dossier, **values)
    commit()
    return visit


def test_the_table_of_the_site_visit():
    machine: StateMachine = site_visits.SITE_VISIT_MACHINE
    assert_every_pair_is_enforced(machine, list(SiteVisitState))


def test_no_visit_unless_the_policy_offers_one(people, panel):
    case = new_case(people, panel).accept()
    with pytest.raises(TransitionNotAllowed, match="no site visits"):
        schedule(people, case)


def test_scheduling_tells_the_provider_and_the_panel(people, panel):
    visits(people.admin)
    case = new_case(people, panel).accept()
    with pytest.raises(NotPermitted):
        site_visits.schedule_site_visit(
            people.reviewer,
            case.dossier,
            mode="online",
            scheduled_for=WHEN,
            location="x",
            participants="y",
        )
    with pytest.raises(InvalidInput):
        schedule(people, case, participants=" ")
    db.session.rollback()
    visit = schedule(people, case)
    assert visit.state == SiteVisitState.SCHEDULED and visit.round == case.round
    assert "site_visit.schedule" in audit_actions()
    for user in (people.provider_a, *panel[:2]):
        assert any(n.kind == "site_visit" and "4 March 2027" in n.title for n in notified(user))
    assert not [n for n in notified(panel[2]) if n.kind == "site_visit"]
    assert not [n for n in notified(people.provider_b) if n.kind == "site_visit"]


def test_held_with_minutes_cancelled_and_rescheduled(people, panel):
    visits(people.admin)
    case = new_case(people, panel).accept()
    visit = schedule(people, case)
    with pytest.raises(InvalidInput, match="summary"):
        site_visits.record_site_visit(people.officer, visit, minutes="Met.", summary="")
    with pytest.raises(InvalidInput, match="minutes"):
        site_visits.record_site_visit(people.officer, visit, minutes="", summary="Good visit.")
    with pytest.raises(InvalidInput, match="reason"):
        site_visits.cancel_site_visit(people.officer, visit, "")
    site_visits.cancel_site_visit(people.officer, visit, "The director is ill.")
    commit()
    assert visit.state == SiteVisitState.CANCELLED
    with pytest.raises(TransitionNotAllowed):
        site_visits.record_site_visit(people.officer, visit, minutes="Met.", summary="Good.")
    db.session.rollback()
    visit = schedule(people, case, mode="online", location="https://meet.example/qa")
    assert visit.state == SiteVisitState.SCHEDULED and visit.cancel_reason == ""
    site_visits.record_site_visit(
        people.officer, visit, minutes="We met the staff.", summary="The staff are committed."
    )
    commit()
    assert visit.state == SiteVisitState.HELD and visit.recorded_by == people.officer
    with pytest.raises(TransitionNotAllowed):
        site_visits.cancel_site_visit(people.officer, visit, "Too late.")
    db.session.rollback()
    actions = audit_actions()
    assert {"site_visit.cancel", "site_visit.reschedule", "site_visit.record"} <= set(actions)
    assert site_visits.report_site_visit(case.round) == {
        "mode": "Online interview",
        "date": WHEN.date(),
        "location": "Online",
        "participants": "The panel; the programme director; two learners.",
        "summary": "The staff are committed.",
    }


def test_a_required_visit_blocks_the_decision_until_held_with_minutes(people, panel):
    visits(people.admin, "required")
    case = new_case(people, panel).submit_reviews()
    with pytest.raises(TransitionNotAllowed, match="requires a site visit"):
        case.decide("approved")
    db.session.rollback()
    visit = schedule(people, case)
    with pytest.raises(TransitionNotAllowed, match="requires a site visit"):
        case.decide("approved")
    db.session.rollback()
    site_visits.record_site_visit(
        people.officer,
        visit,
        minutes="",
        summary="Facilities fit the course.",
        minutes_file=("minutes.pdf", pdf_bytes("Minutes")),
    )
    commit()
    case.decide("approved")
    assert case.decision is not None
    # the report section of the decided round
    html = render_template(
        "reports/_site_visit.html", site_visit=site_visits.report_site_visit(case.round)
    )
    assert "Facilities fit the course." in html and "Main campus, room 12" in html


def test_the_minutes_pdf_is_checked_and_only_the_panel_and_staff_read_it(
    app, client, login, people, panel
):
    visits(people.admin)
    case = new_case(people, panel).open()
    visit = schedule(people, case)
    with pytest.raises(InvalidInput, match="not a PDF"):
        site_visits.record_site_visit(
            people.officer,
            visit,
            minutes="",
            summary="Fine.",
            minutes_file=("minutes.pdf", b"<html>not a pdf</html>"),
        )
    db.session.rollback()
    site_visits.record_site_visit(
        people.officer,
        visit,
        minutes="Written minutes of the visit.",
        summary="Fine.",
        minutes_file=("minutes.pdf", pdf_bytes("Minutes")),
    )
    commit()
    url = f"/dossiers/{case.dossier.id}/site-visit/minutes.pdf"
    for user, status in (
        (people.officer, 200),
        (people.admin, 200),
        (panel[0], 200),
        (panel[1], 200),
        (panel[2], 404),  # a reviewer not on this panel
        (people.provider_a, 404),  # the provider reads the summary in the report
        (people.provider_b, 404),
    ):
        login(client, user)
        response = client.get(url)
        assert response.status_code == status, user
        if status == 200:
            assert response.data.startswith(b"%PDF-")
        response.close()
    # the panel sees the visit and the minutes on its assignment and review pages
    login(client, panel[0])
    a = case.assignments[0]
    for page in (f"/reviews/assignments/{a.id}", f"/reviews/assignments/{a.id}/review"):
        card = section(client.get(page), "Site visit")
        assert "Written minutes of the visit." in card and "Main campus, room 12" in card
    # the provider sees the date, mode and participants, not the minutes
    login(client, people.provider_a)
    card = section(client.get(f"/dossiers/{case.dossier.id}"), "Site visit")
    assert "4 Mar" in card or "March" in card
    assert "On site" in card and "two learners" in card
    assert "Written minutes" not in card and "minutes.pdf" not in card
    login(client, people.provider_b)
    assert client.get(f"/dossiers/{case.dossier.id}").status_code == 404


def test_the_officer_schedules_and_records_through_the_pages(client, login, people, panel):
    visits(people.admin)
    case = new_case(people, panel).accept()
    login(client, people.officer)
    page = client.get(f"/dossiers/{case.dossier.id}")
    assert "Schedule the site visit" in section(page, "Site visit")
    base = f"/dossiers/{case.dossier.id}/site-visit"
    assert client.get(f"{base}/").status_code == 200
    r = client.post(
        f"{base}/schedule",
        data={"mode": "on_site", "scheduled_for": "", "location": "Campus", "participants": ""},
    )
    assert r.status_code == 400
    assert "date and time" in field_errors(r, "scheduled_for")
    assert "who takes part" in field_errors(r, "participants")
    assert 'value="Campus"' in r.data.decode()
    r = client.post(
        f"{base}/schedule",
        data={
            "mode": "online",
            "scheduled_for": "2027-03-04T10:30",
            "location": "https://meet.example/qa",
            "participants": "Panel and staff",
        },
    )
    assert r.status_code == 302
    r = client.post(f"{base}/record", data={"minutes": "Notes", "summary": ""})
    assert r.status_code == 400 and "summary" in field_errors(r, "summary")
    r = client.post(
        f"{base}/record",
        data={
            "minutes": "",
            "summary": "Good.",
            "minutes_file": (io.BytesIO(b"GIF89a not a pdf"), "minutes.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert r.status_code == 400 and "not a PDF" in field_errors(r, "minutes_file")
    r = client.post(f"{base}/record", data={"minutes": "Notes of the day.", "summary": "Good."})
    assert r.status_code == 302
    page = text(client.get(f"/dossiers/{case.dossier.id}"))
    assert "Notes of the day." in page and "Online interview" in page
    r = client.post(f"{base}/cancel", data={"reason": "Too late."})
    assert r.status_code == 409


def test_the_demo_shows_panel_rules_and_site_visits(app, monkeypatch):
    """``seed_panel_and_visit`` (run after the demo's other scenarios) leaves a review opened
    on an exception, a round decided after a held visit, and a visit scheduled."""
    monkeypatch.setattr("qa_portal.demo._pdf", lambda title, body: pdf_bytes(title))
    monkeypatch.setattr(
        "qa_portal.accounts.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )
    result = app.test_cli_runner().invoke(args=["demo", "--no-upgrade"])
    assert result.exit_code == 0, result.output
    by = queries.user_by_email
    cast = Cast(
        by("officer@emqa.eu"),
        by("officer2@emqa.eu"),
        by("provider@northbridge.ie"),
        by("provider@dsacademy.eu"),
        by("reviewer1@uni-tartu.example"),
        by("reviewer2@polimi.example"),
        by("reviewer3@hs-example.de"),
        by("reviewer4@student-reviewers.example"),
        (pdf_bytes("Curriculum"), pdf_bytes("Assessment")),
        clock.today(),
    )
    for _ in range(2):  # idempotent
        seed_panel_and_visit(cast, by("admin@emqa.eu"))
        commit()

    def dossier(title):
        return db.session.execute(sa.select(Dossier).where(Dossier.title == title)).scalar_one()

    agile = dossier("Agile Project Management for Software Teams")
    assert agile.state == DossierState.IN_REVIEW
    assert panel_rules.current_exception(agile.current_round) is not None
    privacy = dossier("Privacy Engineering for Data Scientists")
    assert privacy.state == DossierState.APPROVED
    assert site_visits.report_site_visit(privacy.current_round)["mode"] == "Online interview"
    assert panel_rules.unmet_requirements(privacy.current_round) == []
    # a coherent programme: privacy outcomes, a Dutch region for the Dutch academy
    snapshot = privacy.current_round.version.snapshot
    assert "data protection impact assessment" in snapshot["outcomes"][0]["statement"]
    assert (snapshot["country"], snapshot["region"]) == ("NL", "Noord-Holland")
    kubernetes = dossier("Kubernetes Security Hardening")
    assert site_visits.visit_of(kubernetes.current_round).state == SiteVisitState.SCHEDULED
