"""Open Badges 3.0: every listing's ``Achievement`` is valid against the official 1EdTech JSON
Schema (draft 2019-09, format checking on) and says what a wallet or registry needs: the
microcredential type, the criteria, the framework alignments, the credits and the QA
decision (an endorsement by the QA body)."""

from __future__ import annotations

import copy
import uuid

from qa_portal.catalogue import operations as catalogue
from qa_portal.core import data_integrity, keys
from qa_portal.core.db import commit
from qa_portal.demo import complete_dossier_data

from .helpers import errors, load_schema


def minimal_fields() -> dict:
    """Only what submission needs: no summary, keywords, credits, languages, alignments…"""
    data = complete_dossier_data("x")
    for outcome in data["outcomes"]:
        outcome.update(framework_name="", framework_code="", framework_url="")
    return {
        "outcomes": data["outcomes"],
        "assessments": data["assessments"],
        "summary": "",
        "description": "",
        "web_page": "",
        "partners": [],
        "region": "",
        "languages_instruction": [],
        "languages_assessment": [],
        "isced_code": "",
        "keywords": [],
        "national_level": "",
        "ects": None,
        "duration_weeks": None,
        "prerequisites": [],
        "stackability": [],
        "recognition_arrangements": "",
        "target_audience": "",
        "cost": "",
        "grading_scheme": "",
        "issuance_standards": [],
    }


def get_achievement(client, listing) -> dict:
    response = client.get(f"/api/v1/listings/{listing.id}/achievement")
    assert response.status_code == 200
    assert response.mimetype == "application/ld+json"
    return response.get_json()


def test_the_validator_accepts_official_examples_and_catches_broken_documents(ob3):
    achievement = ob3("Achievement")
    for name in ("basicOpenBadgeCredential", "achievementAlignmentCe"):
        example = load_schema(f"openbadges3/examples/{name}.json")
        assert errors(achievement, example["credentialSubject"]["achievement"]) == []
    example = load_schema("openbadges3/examples/achievementAlignmentCe.json")
    broken = copy.deepcopy(example["credentialSubject"]["achievement"])
    del broken["criteria"]
    broken["alignment"][0].pop("targetUrl")
    found = errors(achievement, broken)
    assert any("criteria" in e for e in found) and any("targetUrl" in e for e in found)
    # Format checking is on: a date that is not RFC 3339 is refused.
    endorsement = ob3("EndorsementCredential")
    bad = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "id": "https://qa.test/e/1",
        "name": "Endorsement",
        "issuer": "https://qa.test",
        "validFrom": "28/11/2026",
        "credentialSubject": {"id": "https://qa.test/a/1", "type": ["EndorsementSubject"]},
    }
    assert any("date-time" in e for e in errors(endorsement, bad))


def test_every_kind_of_listing_exports_a_valid_achievement(client, make_listing, people, ob3):
    listings = {
        "full": make_listing("Cloud-Native Operations"),
        "minimal": make_listing("Minimal Microcredential", **minimal_fields()),
        "no ects": make_listing("No Credits Given", ects=None, member=people.provider_b),
        "languages": make_listing(
            "Mehrsprachige Datenanalyse",
            languages_instruction=["de", "fr", "en"],
            languages_assessment=["de", "fr"],
        ),
        "conditions": make_listing("Conditional Approval", outcome="approved_with_conditions"),
    }
    validator = ob3("Achievement")
    docs = {name: get_achievement(client, listing) for name, listing in listings.items()}
    for name, doc in docs.items():
        assert errors(validator, doc) == [], name
        assert doc["achievementType"] == "MicroCredential"
        assert doc["type"] == ["Achievement"]
        assert doc["name"] == listings[name].title
    assert docs["full"]["creditsAvailable"] == 5.0
    assert "creditsAvailable" not in docs["no ects"]
    assert "creditsAvailable" not in docs["minimal"] and "alignment" not in docs["minimal"]
    assert docs["minimal"]["description"] == "Minimal Microcredential"  # required: never empty
    assert docs["languages"]["inLanguage"] == "de"
    assert docs["full"]["inLanguage"] == "en"
    assert "inLanguage" not in docs["minimal"]
    assert docs["full"]["creator"]["name"] == "Provider A"
    assert docs["no ects"]["creator"]["name"] == "Provider B"
    assert docs["full"]["fieldOfStudy"] == "Software and applications development and analysis"
    assert docs["full"]["tag"] == ["cloud computing", "DevOps", "Kubernetes"]


def test_criteria_and_alignments_come_from_the_outcomes_and_the_assessment(client, make_listing):
    listing = make_listing("Cloud-Native Operations")
    doc = get_achievement(client, listing)
    narrative = doc["criteria"]["narrative"]
    for outcome in listing.public["outcomes"]:
        assert outcome["statement"] in narrative
    for assessment in listing.public["assessments"]:
        assert assessment["description"] in narrative
        assert assessment["pass_criteria"] in narrative
    assert "Project (70 % of the result" in narrative and "Assesses LO1, LO2." in narrative
    assert doc["criteria"]["id"] == f"http://qa.test/catalogue/{listing.id}"

    # LO1 has an ESCO code and URL, LO2 only a code, LO3 no framework item.
    lo1, lo2 = doc["alignment"]
    assert len(doc["alignment"]) == 2
    assert lo1["targetUrl"].startswith("http://data.europa.eu/esco/skill/")
    assert (lo1["targetFramework"], lo1["targetCode"], lo1["targetName"]) == (
        "ESCO",
        "S1.2.3",
        "ESCO S1.2.3",
    )
    assert lo1["targetDescription"].startswith("LO1: Deploy a containerised application")
    # Without a URL of its own, the alignment points at the outcome on the listing's page.
    assert lo2["targetUrl"] == f"http://qa.test/catalogue/{listing.id}#LO2"
    assert lo2["targetCode"] == "S1.2.4"
    page = client.get(f"/catalogue/{listing.id}").get_data(as_text=True)
    assert 'id="LO2"' in page


def test_the_qa_decision_is_an_endorsement_by_the_qa_body(
    client, make_listing, people, ob3, credential_key
):
    listing = make_listing("Conditional Approval", outcome="approved_with_conditions")
    doc = get_achievement(client, listing)
    (endorsement,) = doc["endorsement"]
    assert errors(ob3("EndorsementCredential"), endorsement) == []
    # Signed by the QA body's DID, with the listing's bit in the revocation list.
    assert data_integrity.verify(endorsement, credential_key.public_key)
    assert endorsement["proof"][0]["verificationMethod"] == "did:web:qa.test#key-1"
    assert endorsement["issuer"]["id"] == "did:web:qa.test"
    assert endorsement["credentialStatus"] == {
        "id": f"http://qa.test/credentials/status/1#{listing.status_index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(listing.status_index),
        "statusListCredential": "http://qa.test/credentials/status/1",
    }
    alone = client.get(f"/api/v1/listings/{listing.id}/endorsement").get_json()
    assert errors(ob3("EndorsementCredential"), alone) == []
    assert alone == endorsement  # no ``created`` in the proof: the same statement, same bytes
    assert endorsement["issuer"]["name"] == "Quality Agency"
    assert endorsement["credentialSubject"]["id"] == doc["id"]
    decision = listing.decision
    assert endorsement["validFrom"].startswith(decision.decided_at.date().isoformat())
    assert endorsement["validFrom"].endswith("Z")
    assert endorsement["validUntil"] == f"{decision.valid_until.isoformat()}T23:59:59Z"
    # a permanent id, from the stored UUID: the same under any address
    assert endorsement["id"] == f"urn:uuid:{uuid.uuid5(listing.uuid, f'decision/{decision.id}')}"
    assert "created" not in endorsement["proof"][0]
    comment = endorsement["credentialSubject"]["endorsementComment"]
    assert "Approved with conditions" in comment
    assert "Publish the assessment rubric." in comment and "open" in comment
    page = client.get(f"/catalogue/{listing.id}").get_data(as_text=True)
    assert f'id="decision-{decision.id}"' in page

    # Revoked: the QA body no longer vouches for it; the Achievement stays valid.
    catalogue.revoke_listing(people.officer, listing, "Assessment no longer proctored.")
    commit()
    doc = get_achievement(client, listing)
    assert "endorsement" not in doc
    assert errors(ob3("Achievement"), doc) == []
    assert client.get(f"/api/v1/listings/{listing.id}/endorsement").status_code == 404


def test_without_a_credential_key_the_endorsement_is_embedded_unsigned(
    client, published, ob3, monkeypatch
):
    """In production without ``flask keys create`` (elsewhere a key is made on first use)."""

    def missing_key():
        raise keys.SigningKeysMissing("No key for signing credentials: run flask keys create.")

    monkeypatch.setattr(keys, "current_credential_key", missing_key)
    listing = published()
    (endorsement,) = get_achievement(client, listing)["endorsement"]
    assert "proof" not in endorsement
    assert errors(ob3("EndorsementCredential"), endorsement) == []
    # Served alone only signed: 409 until `flask keys create` has been run.
    assert client.get(f"/api/v1/listings/{listing.id}/endorsement").status_code == 409


def test_an_unknown_listing_has_no_achievement(client):
    assert client.get("/api/v1/listings/999999/achievement").status_code == 404
