"""The demo data of the decision committee (``demo_decisions.seed_committee``), run after
``flask demo``: its members sign in to a decided and an open proposal."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from qa_portal.accounts import queries
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.decisions.models import Decision
from qa_portal.demo import DEMO_PASSWORD
from qa_portal.demo_decisions import COMMITTEE_MEMBERS, seed_committee
from qa_portal.demo_workflow import Cast
from qa_portal.dossiers.models import Dossier, DossierState
from qa_portal.extensions import db
from qa_portal.reviews.policy import current_policy
from tests.helpers import pdf_bytes


def test_the_demo_shows_the_committee_at_work(app, client, monkeypatch):
    monkeypatch.setattr("qa_portal.demo._pdf", lambda title, body: pdf_bytes(title))
    monkeypatch.setattr(
        "qa_portal.accounts.models.generate_password_hash",
        lambda password: generate_password_hash(password, method="pbkdf2:sha256:1000"),
    )
    result = app.test_cli_runner().invoke(args=["demo", "--no-upgrade"])
    assert result.exit_code == 0, result.output
    people = [
        queries.user_by_email(e)
        for e in (
            "officer@emqa.eu",
            "officer2@emqa.eu",
            "provider@northbridge.ie",
            "provider@dsacademy.eu",
            "reviewer1@uni-tartu.example",
            "reviewer2@polimi.example",
            "reviewer3@hs-example.de",
            "reviewer4@student-reviewers.example",
        )
    ]
    pdfs = (pdf_bytes("Curriculum"), pdf_bytes("Assessment"))
    for _ in range(2):  # idempotent
        seed_committee(Cast(*people, pdfs, clock.today()), DEMO_PASSWORD)
        commit()

    assert current_policy().committee_name == "Accreditation Committee"
    decided, waiting = (
        db.session.execute(sa.select(Dossier).where(Dossier.title == title)).scalar_one()
        for title in ("Responsible AI for Product Teams", "Supply Chain Analytics with Python")
    )
    assert decided.state == DossierState.APPROVED
    decision = db.session.execute(
        sa.select(Decision).where(Decision.dossier_id == decided.id)
    ).scalar_one()
    assert decision.deciding_body == "Accreditation Committee"
    assert decision.proposal.tally() == {"agree": 2, "disagree": 0, "abstain": 1}
    assert waiting.state == DossierState.DECISION_PENDING

    member = COMMITTEE_MEMBERS[2][0]
    r = client.post("/login", data={"email": member, "password": DEMO_PASSWORD})
    assert r.status_code == 302
    listing = client.get("/committee/").get_data(as_text=True)
    assert "Supply Chain Analytics with Python" in listing
    assert "Responsible AI for Product Teams" in listing
    page = client.get(f"/committee/dossiers/{waiting.id}")
    assert page.status_code == 200 and "Cast my vote" in page.get_data(as_text=True)
