"""The credential checker (``/verify/credential``): a learner's Open Badges 3.0 or Europass
credential is matched to a listing by the identifiers it carries (never by title alone), and
the page says whether the listing was approved when the credential was issued, whether it
still is, and where its conditions stand. Bad input gets its message next to the field
(400); nothing sent is ever stored."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import escape

from qa_portal.catalogue import credential_check
from qa_portal.catalogue import operations as catalogue
from qa_portal.catalogue.exports.ctdl import ctid_of
from qa_portal.catalogue.exports.ob3 import achievement
from qa_portal.core import clock
from qa_portal.core.db import commit
from qa_portal.core.errors import InvalidInput
from qa_portal.extensions import db

ELM_SAMPLE = Path("/work/shared/schemas/elm/examples/Sample-MC-Annex1-unsigned.jsonld")
CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def ob3_credential(listing, issued) -> dict:
    """A learner's credential wrapping the portal's own achievement export of ``listing``."""
    return {
        "@context": CONTEXT,
        "id": "urn:uuid:6f1c7b7e-8d34-4a5e-9a9d-2f0c3f4d5e6a",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://provider.example/issuer", "type": ["Profile"], "name": "P"},
        "validFrom": f"{issued.isoformat()}T09:30:00Z",
        "name": listing.title,
        "credentialSubject": {
            "id": "did:example:learner",
            "type": ["AchievementSubject"],
            "achievement": achievement(listing),
        },
    }


def edc_credential(identifier: str, issued) -> dict:
    """The Commission's sample micro-credential, its specification identified by ``identifier``."""
    doc = json.loads(ELM_SAMPLE.read_text(encoding="utf-8"))
    spec = doc["credentialSubject"]["hasClaim"]["specifiedBy"]
    spec["identifier"] = {
        "id": "urn:epass:identifier:99",
        "type": "Identifier",
        "schemeName": "CTID",
        "notation": identifier,
    }
    doc["validFrom"] = f"{issued.isoformat()}T23:00:00Z"
    return doc


def post(client, text: str | None = None, file: bytes | None = None, name="credential.json"):
    data = {"credential": text or ""}
    if file is not None:
        data["file"] = (io.BytesIO(file), name)
    return client.post("/verify/credential", data=data, content_type="multipart/form-data")


def today():
    return clock.today()


# -- matching ------------------------------------------------------------------------------
def test_the_portals_own_achievement_matches_approved_at_issuance_and_valid(client, published):
    listing = published()
    doc = ob3_credential(listing, today())
    result = credential_check.check(doc, today())
    assert result["listing"]["id"] == listing.id
    assert "Open Badges achievement" in result["matched_by"]
    assert result["approved_at_issuance"] and result["valid_today"]
    assert result["conditions"]["kind"] == "none"

    page = post(client, json.dumps(doc))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "This catalogue lists this microcredential." in html
    assert f'href="/catalogue/{listing.id}"' in html
    assert "The approval was in force on that date." in html
    assert "does not verify the credential's own signature" in html


def test_the_catalogue_page_as_other_identifier_matches(published):
    listing = published()
    doc = ob3_credential(listing, today())
    ach = doc["credentialSubject"]["achievement"]
    ach["id"] = "https://provider.example/achievements/42"
    ach["otherIdentifier"] = [ach["otherIdentifier"][0]]  # the page only
    result = credential_check.check(doc, today())
    assert result["listing"]["id"] == listing.id
    assert "page" in result["matched_by"]


def test_issued_before_the_approval_is_not_approved_on_that_date(client, published):
    listing = published()
    issued = listing.valid_from - timedelta(days=3)
    result = credential_check.check(ob3_credential(listing, issued), today())
    assert result["listing"]["id"] == listing.id
    assert not result["approved_at_issuance"] and result["valid_today"]
    html = post(client, json.dumps(ob3_credential(listing, issued))).get_data(as_text=True)
    assert "Not approved on that date" in html


def test_a_revoked_listing_was_approved_then_but_is_not_valid_now(client, people, published):
    listing = published()
    doc = ob3_credential(listing, today())
    catalogue.revoke_listing(people.officer, listing, "Misleading claims.")
    commit()
    later = today() + timedelta(days=1)
    result = credential_check.check(doc, later)
    assert result["approved_at_issuance"] and not result["valid_today"]
    assert result["listing"]["status"].has_ended
    html = post(client, json.dumps(doc)).get_data(as_text=True)
    assert "Revoked by the QA body" in html and "Misleading claims." in html


def test_overdue_conditions_are_shown(client, published, travel):
    due = today() + timedelta(days=10)
    listing = published(
        "approved_with_conditions",
        conditions=[{"text": "Publish the grading scheme.", "due_date": due}],
    )
    doc = ob3_credential(listing, today())
    assert credential_check.check(doc, today())["conditions"]["kind"] == "open"
    result = credential_check.check(doc, due + timedelta(days=1))
    assert result["conditions"]["kind"] == "overdue"
    assert result["conditions"]["items"][0]["badge"] == ("overdue", "Overdue")
    travel(11)
    html = post(client, json.dumps(doc)).get_data(as_text=True)
    assert "1 condition overdue." in html and "Publish the grading scheme." in html


def test_a_europass_credential_naming_the_ctid_matches(client, published):
    listing = published()
    doc = edc_credential(ctid_of(listing), today())
    result = credential_check.check(doc, today())
    assert result["claim"].kind == credential_check.EDC
    assert result["claim"].name == "Digital micro-credential creation"
    assert result["listing"]["id"] == listing.id and "CTID" in result["matched_by"]
    assert result["approved_at_issuance"]
    # a CTID as a URN or in a registry's address works too
    doc = edc_credential(f"urn:ctid:{ctid_of(listing)}", today())
    assert credential_check.check(doc, today())["listing"]["id"] == listing.id
    assert post(client, file=json.dumps(doc).encode(), name="edc.jsonld").status_code == 200


def test_an_unknown_achievement_matches_nothing_but_a_same_title_is_hinted(client, published):
    listing = published()
    doc = ob3_credential(listing, today())
    ach = doc["credentialSubject"]["achievement"]
    ach["id"] = "https://elsewhere.example/achievements/1"
    ach["otherIdentifier"] = [
        {"type": "IdentifierEntry", "identifier": "X-1", "identifierType": "identifier"}
    ]
    result = credential_check.check(doc, today())
    assert result["listing"] is None
    assert result["same_title"]["id"] == listing.id
    html = post(client, json.dumps(doc)).get_data(as_text=True)
    assert "No listing of this catalogue matches this credential." in html
    assert "A listing with the same title exists" in html and "does not identify it" in html
    ach["name"] = "Something else entirely"
    assert credential_check.check(doc, today())["same_title"] is None


def test_an_address_of_another_host_or_listing_does_not_match(published):
    listing = published()
    doc = ob3_credential(listing, today())
    ach = doc["credentialSubject"]["achievement"]
    ach["otherIdentifier"] = []
    for other in (
        ach["id"].replace("http://qa.test", "https://evil.example"),
        ach["id"].replace(f"/{listing.id}/", f"/{listing.id + 1000}/"),
        ach["id"] + "/",
    ):
        ach["id"] = other
        assert credential_check.check(doc, today())["listing"] is None


# -- bad input -------------------------------------------------------------------------------
BAD = [
    ("{not json", "This is not valid JSON."),
    ("[1, 2]", "This JSON is not a credential"),
    ('{"type": ["Person"]}', "This JSON is not a credential"),
    ('{"type": "VerifiableCredential", "credentialSubject": {"id": "x"}}', "names no achievement"),
    (
        '{"type": "OpenBadgeCredential", "validFrom": "yesterday", "credentialSubject": '
        '{"achievement": {"id": "urn:x", "name": "A"}}}',
        "is not a date",
    ),
    (
        '{"type": "OpenBadgeCredential", "credentialSubject": {"achievement": {"id": "urn:x"}}}',
        "has no issuance date",
    ),
    ("", "Paste the credential"),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_input_is_refused_with_the_message_by_the_field(client, text, message):
    with pytest.raises(InvalidInput, match=message.split(" (")[0].rstrip(".")):
        credential_check.check_raw(text, today())
    answer = post(client, text)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    field_start = html.index('id="credential"')
    error_at = html.index('id="credential-error"')
    assert field_start < error_at < html.index('id="file"')
    assert 'aria-describedby="credential-help credential-error"' in html
    assert 'aria-invalid="true"' in html
    assert str(escape(text)) in html  # what was pasted is kept


def test_a_file_too_large_or_not_json_is_refused_by_the_file_field(client):
    big = b'{"x": "' + b"a" * credential_check.CREDENTIAL_MAX_BYTES + b'"}'
    answer = post(client, file=big)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "The credential is too large" in html
    assert html.index('id="file"') < html.index('id="file-error"')
    answer = post(client, file=b"%PDF-1.7", name="badge.pdf")
    assert answer.status_code == 400
    assert "Choose the credential&#39;s JSON file" in answer.get_data(as_text=True)
    answer = post(client, file=b"\x00\xff garbage", name="badge.json")
    assert answer.status_code == 400 and "not valid JSON" in answer.get_data(as_text=True)


def test_nothing_sent_is_stored(app, client, published):
    listing = published()
    roots = {Path(app.instance_path)} | {
        Path(app.config[key]).parent for key in ("UPLOAD_DIR", "REPORT_DIR", "MAIL_OUTBOX_DIR")
    }

    def snapshot():
        counts = {
            t.name: db.session.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in db.metadata.sorted_tables
        }
        files = sorted(
            (str(p), p.stat().st_size) for root in roots for p in root.rglob("*") if p.is_file()
        )
        return counts, files

    db.session.commit()
    before = snapshot()
    doc = ob3_credential(listing, today())
    assert post(client, json.dumps(doc)).status_code == 200
    assert post(client, "{not json").status_code == 400
    edc = json.dumps(edc_credential(ctid_of(listing), today())).encode()
    assert post(client, file=edc).status_code == 200
    assert post(client, file=b"x" * (credential_check.CREDENTIAL_MAX_BYTES + 10)).status_code == 400
    db.session.rollback()
    assert snapshot() == before


def test_the_page_is_linked_from_the_verify_page_and_the_catalogue(client):
    page = client.get("/verify/credential")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<label for="credential">' in html and '<label for="file">' in html
    assert 'href="/verify/credential"' in client.get("/verify").get_data(as_text=True)
    assert 'href="/verify/credential"' in client.get("/catalogue").get_data(as_text=True)


def test_a_vc_jwt_is_read_from_its_payload(published):
    import base64

    listing = published()
    doc = ob3_credential(listing, today())

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    token = f"{part({'alg': 'EdDSA'})}.{part({'vc': doc, 'iss': 'x'})}.c2ln"
    assert credential_check.check_raw(token, today())["listing"]["id"] == listing.id


# -- the JSON API ------------------------------------------------------------------------------
def test_the_api_answers_the_same_check_as_json(client, published):
    listing = published()
    answer = client.post("/api/v1/credential-check", json=ob3_credential(listing, today()))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["match"] is True and body["approved_at_issuance"] is True
    assert body["valid_today"] is True and body["signature_checked"] is False
    assert body["listing"]["url"] == f"http://qa.test/catalogue/{listing.id}"
    assert body["listing"]["status"] == "valid"
    assert body["conditions"]["state"] == "none"
    assert body["credential"]["issued_field"] == "validFrom"


def test_the_api_refuses_bad_input_with_a_json_400(client):
    for body in (b"{not json", b"[]", b'{"type": "OpenBadgeCredential"}', b""):
        answer = client.post("/api/v1/credential-check", data=body, content_type="application/json")
        assert answer.status_code == 400, body
        assert answer.get_json()["message"], body
    too_big = b'{"x": "' + b"a" * credential_check.CREDENTIAL_MAX_BYTES + b'"}'
    answer = client.post("/api/v1/credential-check", data=too_big, content_type="application/json")
    assert answer.status_code == 400 and "too large" in answer.get_json()["message"]


def test_a_credential_of_an_earlier_approval_stays_approved_after_a_renewal(
    client, login, workflow, people, monkeypatch
):
    listing = workflow.published("approved", validity_years=1)
    first = listing.decision
    issued, last_day = first.valid_from, first.valid_until
    doc = ob3_credential(listing, issued)
    monkeypatch.setattr(clock, "today", lambda: last_day)
    login(client, people.provider_a)
    answer = client.post(
        f"/dossiers/{listing.dossier_id}/start-renewal", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 200
    case = workflow.case(listing.dossier).take_up()
    renewed = case.decide("approved", validity_years=5).decision
    case.publish()
    db.session.refresh(listing)
    assert listing.decision_id == renewed.id and listing.valid_from > issued
    result = credential_check.check(doc, last_day)
    assert result["approved_at_issuance"] and result["valid_today"]
    before = credential_check.check(ob3_credential(listing, issued - timedelta(days=1)), last_day)
    assert not before["approved_at_issuance"]
