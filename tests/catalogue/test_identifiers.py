"""Permanent identifiers: each listing, organisation and report has a UUID given once and
stored; CTIDs (``ce-<uuid>``) and Atom ids come from it, never from the request's host or
from ``PUBLIC_BASE_URL``, which only makes the links. Every export answers the same bytes
whatever Host header the request carries."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET

from flask import current_app

from qa_portal.accounts.queries import qa_body
from qa_portal.catalogue import operations as catalogue
from qa_portal.core.db import commit
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportStatus, ReportVariant

from .test_lifecycle import renew

ATOM = "{http://www.w3.org/2005/Atom}"
HOSTS = ("127.0.0.1:5401", "localhost:5401", "qa.example.org")
URN_UUID = re.compile(r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Machine-readable documents outside /api/ are the routes whose address ends in a file name
# of such a format (the CSV and the Atom feed today).
EXPORT_SUFFIXES = (".csv", ".atom", ".json", ".jsonld", ".xml", ".rdf", ".ttl")
KNOWN_EXPORTS = {
    "api.listings",
    "api.listing",
    "api.achievement",
    "api.ctdl",
    "api.openapi_document",
    "api.organisations",
    "api.organisation",
    "catalogue.csv",
    "catalogue.feed",
}


def export_rules() -> list:
    """Every public export: each GET route of the API and each route named like a
    machine-readable file. A new export is found here without being listed."""
    rules = []
    for rule in current_app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/") or rule.rule.endswith(EXPORT_SUFFIXES):
            rules.append(rule)
    return sorted(rules, key=lambda r: r.rule)


def atom_ids(body: bytes) -> tuple[str, list[str]]:
    root = ET.fromstring(body)  # noqa: S314 - our own feed, parsed in a test
    return root.findtext(f"{ATOM}id"), [e.findtext(f"{ATOM}id") for e in root.iter(f"{ATOM}entry")]


def identifiers(client, listing) -> dict:
    """The listing's identifiers as its exports state them."""
    ctdl = client.get(f"/api/v1/listings/{listing.id}/ctdl").get_json()
    achievement = client.get(f"/api/v1/listings/{listing.id}/achievement").get_json()
    detail = client.get(f"/api/v1/listings/{listing.id}").get_json()
    organisation = client.get(f"/api/v1/organisations/{listing.organisation_id}").get_json()
    feed_id, entries = atom_ids(client.get("/catalogue/feed.atom").data)
    return {
        "ctid": ctdl["ceterms:ctid"],
        "api_ctid": detail["ctid"],
        "api_provider_ctid": organisation["ctid"],
        "provider_ctid": ctdl["ceterms:ownedBy"][0]["ceterms:ctid"],
        "qa_ctid": ctdl["ceterms:approvedBy"][0]["ceterms:ctid"],
        "ob3_ctid": next(
            i["identifier"]
            for i in achievement["otherIdentifier"]
            if i["identifierType"] == "ext:ctid"
        ),
        "feed_id": feed_id,
        "entries": entries,
    }


def ready_report(listing) -> Report:
    """A rendered public report of the listing's decision (the file itself is not needed)."""
    report = Report(
        dossier_id=listing.dossier_id,
        decision_id=listing.decision_id,
        variant=ReportVariant.PUBLIC,
        revision=1,
        number="QA-2026-0001",
        code="ABCD-EFGH-JKLM",
        status=ReportStatus.READY,
        stored_name="public-stored.pdf",
        sha256="a" * 64,
    )
    db.session.add(report)
    commit()
    return report


def test_the_identifiers_are_stored_once_and_kept_by_a_renewal(
    client, people, workflow, make_listing
):
    listing = make_listing("Cloud-Native Operations")
    stored = listing.uuid
    assert isinstance(stored, uuid.UUID) and listing.ctid == f"ce-{stored}"
    assert listing.organisation.ctid == f"ce-{listing.organisation.uuid}"
    before = identifiers(client, listing)
    assert before["ctid"] == before["ob3_ctid"] == before["api_ctid"] == listing.ctid
    assert before["provider_ctid"] == before["api_provider_ctid"] == listing.organisation.ctid
    assert before["qa_ctid"] == qa_body().ctid
    assert URN_UUID.match(before["feed_id"]) and URN_UUID.match(before["entries"][0])

    other = make_listing("Data Literacy", member=people.provider_b)
    assert other.uuid != stored and other.organisation.uuid != listing.organisation.uuid

    # A renewed approval of the same microcredential is the same credential in a registry.
    dossier = listing.dossier
    renew(people, dossier, title="Cloud-Native Operations (2nd edition)")
    workflow.case(dossier).decide("approved", validity_years=3)
    renewed = catalogue.publish_listing(people.officer, dossier)
    commit()
    assert renewed.id == listing.id and renewed.uuid == stored
    after = identifiers(client, renewed)
    assert after["ctid"] == after["ob3_ctid"] == after["api_ctid"] == before["ctid"]
    assert after["provider_ctid"] == before["provider_ctid"]
    assert after["feed_id"] == before["feed_id"]
    # The renewal is a new approval: a new entry, its id also made from stored values only.
    assert before["entries"][-1] not in after["entries"]
    assert len(set(after["entries"])) == 2 and all(URN_UUID.match(i) for i in after["entries"])


def test_a_new_public_address_changes_the_links_but_no_identifier(
    client, app, monkeypatch, make_listing
):
    listing = make_listing("Cloud-Native Operations")
    report_uuid = str(ready_report(listing).uuid)
    before = identifiers(client, listing)
    ctdl_before = client.get(f"/api/v1/listings/{listing.id}/ctdl").get_json()
    assert ctdl_before["@id"] == f"http://qa.test/api/v1/listings/{listing.id}/ctdl"

    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://register.example.eu/qa")
    after = identifiers(client, listing)
    assert after == before
    ctdl_after = client.get(f"/api/v1/listings/{listing.id}/ctdl").get_json()
    assert ctdl_after["@id"] == f"https://register.example.eu/qa/api/v1/listings/{listing.id}/ctdl"
    detail = client.get(f"/api/v1/listings/{listing.id}").get_json()
    assert detail["links"]["html"] == f"https://register.example.eu/qa/catalogue/{listing.id}"
    assert detail["report"]["verify"].startswith("https://register.example.eu/qa/verify/")
    assert detail["report"]["uuid"] == report_uuid
    feed = client.get("/catalogue/feed.atom").get_data(as_text=True)
    assert f'href="https://register.example.eu/qa/catalogue/{listing.id}"' in feed
    assert "qa.test" not in feed


def test_every_export_is_the_same_under_every_host_header(app, client, people, make_listing):
    listing = make_listing("Cloud-Native Operations")
    make_listing("Conditional", outcome="approved_with_conditions", member=people.provider_b)
    ready_report(listing)
    values = {"listing_id": listing.id, "org_id": listing.organisation_id}
    rules = export_rules()
    assert {r.endpoint for r in rules} >= KNOWN_EXPORTS  # the selection finds them all

    for rule in rules:
        missing = rule.arguments - set(values)
        assert not missing, f"{rule.rule}: give this test a value for {sorted(missing)}"
        path = rule.build(values, append_unknown=False)[1]
        bodies = {}
        for host in HOSTS:
            response = client.get(path, headers={"Host": host})
            assert response.status_code == 200, (rule.rule, host, response.status_code)
            bodies[host] = response.data
            assert host.split(":")[0].encode() not in response.data, (rule.rule, host)
        assert len(set(bodies.values())) == 1, f"{rule.rule} depends on the Host header"

    ctdl = client.get(f"/api/v1/listings/{listing.id}/ctdl", headers={"Host": HOSTS[2]})
    assert ctdl.get_json()["ceterms:ctid"] == listing.ctid
    assert ctdl.get_json()["@id"].startswith("http://qa.test/")  # links: PUBLIC_BASE_URL


def test_each_report_revision_has_its_own_uuid(client, make_listing):
    listing = make_listing("Cloud-Native Operations")
    report = ready_report(listing)
    other = Report(
        dossier_id=listing.dossier_id,
        decision_id=listing.decision_id,
        variant=ReportVariant.PUBLIC,
        revision=2,
        number="QA-2026-0001",
        code="ABCD-EFGH-JKLN",
    )
    db.session.add(other)
    commit()
    assert isinstance(report.uuid, uuid.UUID) and report.uuid != other.uuid
    detail = client.get(f"/api/v1/listings/{listing.id}").get_json()
    assert detail["report"]["uuid"] == str(report.uuid)  # the ready revision's
