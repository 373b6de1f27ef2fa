"""Nothing but published, allowlisted data leaves through the catalogue and the API.

One world holds a dossier in every state before publication (draft, submitted, in review,
decision pending, rejected, approved but not published) and one published microcredential
whose review carries secrets: confidential comments, a moderation note, a rationale, an
earlier-reviews text, an oddly named evidence file, an internal report. Then every id a
visitor could guess is tried, and every public answer is searched for the secrets.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from qa_portal.catalogue import operations as catalogue_ops
from qa_portal.catalogue.models import Listing
from qa_portal.catalogue.public import PUBLIC_FIELDS
from qa_portal.core.db import commit
from qa_portal.decisions.models import Decision
from qa_portal.dossiers import operations as dossiers
from qa_portal.dossiers.models import Dossier, EvidenceFile
from qa_portal.extensions import db
from qa_portal.reports.models import Report, ReportStatus, ReportVariant
from tests.helpers import pdf_bytes

# -- the public shape, from the product's public elements ---------------------------------
# The JSON names of the dossier's public elements (product.md section 2, as allowlisted);
# the languages of instruction are called "languages".
PUBLIC_ELEMENTS = {
    "title",
    "summary",
    "description",
    "web_page",
    "partners",
    "country",
    "region",
    "languages",
    "languages_assessment",
    "isced_code",
    "isced_name",
    "keywords",
    "eqf_level",
    "level_not_applicable",
    "national_level",
    "qf_ehea_cycle",
    "workload_hours",
    "ects",
    "duration_weeks",
    "participation",
    "pacing",
    "outcomes",
    "assessments",
    "prerequisites",
    "stackability",
    "recognition_arrangements",
    "internal_qa",
    "target_audience",
    "cost",
    "grading_scheme",
    "issuance",
    "issuance_standards",
}
SUMMARY_KEYS = {
    "id",
    "ctid",
    "reference",
    "title",
    "summary",
    "provider",
    "country",
    "eqf_level",
    "isced_code",
    "ects",
    "participation",
    "languages",
    "status",
    "valid_from",
    "valid_until",
    "published_at",
    "links",
}
# The listing's own public facts: its decision, validity, end and public report.
DETAIL_KEYS = PUBLIC_ELEMENTS | SUMMARY_KEYS | {"decision", "ended_at", "ended_reason", "report"}
PROVIDER_KEYS = {"id", "name"}
SUMMARY_LINKS = {"html", "self"}
DETAIL_LINKS = {"html", "self", "achievement", "ctdl"}
OUTCOME_KEYS = {
    "id",
    "statement",
    "eqf_domain",
    "framework_name",
    "framework_code",
    "framework_url",
}
ASSESSMENT_KEYS = {"method", "description", "weight", "supervision", "pass_criteria", "outcomes"}
PREREQUISITE_KEYS = {"kind", "description", "related_reference"}
STACKABILITY_KEYS = {"qualification", "awarding_body", "credits"}
DECISION_KEYS = {"outcome", "decided_at", "valid_from", "valid_until", "conditions", "follow_up"}
CONDITION_KEYS = {"text", "due_date", "state", "overdue"}
REPORT_KEYS = {"url", "verify", "sha256", "revision", "uuid"}
ORGANISATION_KEYS = {"id", "ctid", "name", "country", "website", "listings", "links"}
ORGANISATION_LINKS = {"self", "html", "listings"}
PAGE_KEYS = {"items", "total", "page", "per_page", "pages", "links"}

SECRETS = {
    "confidential": "Confidential-Kestrel-2291",
    "criterion comment": "Criterion-Heron-5530",
    "comment to provider": "ToProvider-Osprey-7716",
    "moderation note": "Moderation-Plover-3307",
    "rationale": "Rationale-Curlew-8842",
    "earlier reviews": "EarlierReview-Dunlin-1968",
    "evidence file name": "evidence-Gannet-4410.pdf",
    "condition evidence note": "ConditionNote-Avocet-6021",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


@pytest.fixture
def world(people, panel, workflow, make_dossier):
    """Every state before publication, and one published microcredential with secrets."""
    titles = iter(
        [
            "Submitted Wigeon",
            "Review Teal",
            "Pending Shoveler",
            "Rejected Pintail",
            "Unpublished Gadwall",
            "Published Mallard",
        ]
    )

    def submitted():
        """A submitted dossier whose earlier reviews and an evidence file's name are secret."""
        dossier = make_dossier(
            people.provider_a, title=next(titles), earlier_reviews=SECRETS["earlier reviews"]
        )
        dossiers.add_evidence_file(
            people.provider_a,
            dossier,
            "other",
            SECRETS["evidence file name"],
            pdf_bytes(SECRETS["evidence file name"]),
        )
        return workflow.case(dossier).submit()

    # every review's comments (to the provider, on each criterion, confidential) are secret
    secret = {
        "comment": SECRETS["criterion comment"],
        "to_provider": SECRETS["comment to provider"],
        "confidential": SECRETS["confidential"],
    }

    draft = make_dossier(people.provider_a, title="Draft Garganey", files=False)
    unpublished = {"draft": draft, "submitted": submitted().dossier}
    unpublished["in review"] = submitted().open().dossier
    unpublished["decision pending"] = submitted().submit_reviews(**secret).dossier
    unpublished["rejected"] = submitted().submit_reviews(**secret).decide("rejected").dossier
    approved = submitted().submit_reviews(**secret).decide("approved")
    unpublished["approved, not published"] = approved.dossier

    case = submitted().submit_reviews(**secret).moderate(general=SECRETS["moderation note"])
    case.decide(
        "approved_with_conditions",
        rationale=SECRETS["rationale"],
        conditions=[{"text": "Publish the rubric.", "due_date": date.today() + timedelta(30)}],
    )
    dossier, decision = case.dossier, case.decision
    decision.conditions[0].evidence_note = SECRETS["condition evidence note"]
    listing = case.publish().listing
    for variant, sha in ((ReportVariant.PUBLIC, "a" * 64), (ReportVariant.INTERNAL, "b" * 64)):
        db.session.add(
            Report(
                dossier_id=dossier.id,
                decision_id=decision.id,
                variant=variant,
                revision=1,
                number=f"QA-REPORT-{variant.value}",
                code=f"CODE{variant.value.upper()}"[:20],
                status=ReportStatus.READY,
                stored_name=f"{variant.value}-stored.pdf",
                sha256=sha,
            )
        )
    commit()
    return {"listing": listing, "dossier": dossier, "unpublished": unpublished}


def _json(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return response.get_json()


def _check_keys(obj: dict, expected: set[str], what: str) -> None:
    assert set(obj) == expected, (
        f"{what}: extra {set(obj) - expected}, missing {expected - set(obj)}"
    )


def check_summary(item: dict) -> None:
    _check_keys(item, SUMMARY_KEYS, "listing summary")
    _check_keys(item["provider"], PROVIDER_KEYS, "provider")
    _check_keys(item["links"], SUMMARY_LINKS, "summary links")


def check_detail(item: dict) -> None:
    _check_keys(item, DETAIL_KEYS, "listing detail")
    _check_keys(item["provider"], PROVIDER_KEYS, "provider")
    _check_keys(item["links"], DETAIL_LINKS, "detail links")
    for o in item["outcomes"]:
        _check_keys(o, OUTCOME_KEYS, "outcome")
    for a in item["assessments"]:
        _check_keys(a, ASSESSMENT_KEYS, "assessment")
    for p in item["prerequisites"]:
        _check_keys(p, PREREQUISITE_KEYS, "prerequisite")
    for s in item["stackability"]:
        _check_keys(s, STACKABILITY_KEYS, "stackability")
    _check_keys(item["decision"], DECISION_KEYS, "decision")
    for c in item["decision"]["conditions"]:
        _check_keys(c, CONDITION_KEYS, "condition")
    if item["report"] is not None:
        _check_keys(item["report"], REPORT_KEYS, "report")


def check_organisation(org: dict) -> None:
    _check_keys(org, ORGANISATION_KEYS, "organisation")
    _check_keys(org["links"], ORGANISATION_LINKS, "organisation links")


def test_the_expected_shape_covers_exactly_the_allowlist():
    """The test's own list of public elements is the allowlist of the product (so that a
    field added to the allowlist must be added here, deliberately)."""
    allowlisted = {"languages" if f == "languages_instruction" else f for f in PUBLIC_FIELDS}
    assert (
        allowlisted
        | {"isced_name", "outcomes", "assessments"}
        | {
            "prerequisites",
            "stackability",
        }
        == PUBLIC_ELEMENTS
    )


def test_nothing_unpublished_is_reachable_and_nothing_secret_leaks(world, client, people):
    listing: Listing = world["listing"]
    unpublished: dict[str, Dossier] = world["unpublished"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar() == 1

    # Guess every id there is (dossiers, decisions, versions, files…) and a few more.
    top = max(
        db.session.execute(sa.select(sa.func.max(Dossier.id))).scalar(),
        db.session.execute(sa.select(sa.func.max(Decision.id))).scalar(),
        db.session.execute(sa.select(sa.func.max(EvidenceFile.id))).scalar(),
    )
    for guess in range(1, top + 5):
        expected = 200 if guess == listing.id else 404
        for url in (
            f"/catalogue/{guess}",
            f"/api/v1/listings/{guess}",
            f"/api/v1/listings/{guess}/achievement",
            f"/api/v1/listings/{guess}/ctdl",
        ):
            response = client.get(url)
            assert response.status_code == expected, url
            if expected == 200 and url.startswith("/api/v1/listings/") and url.count("/") == 4:
                assert response.get_json()["title"] == "Published Mallard"

    # Search: nothing unpublished is found, whatever the status asked for.
    for status in ("", "valid", "conditions_open", "expired", "withdrawn", "revoked"):
        page = _json(client, f"/api/v1/listings?per_page=100&status={status}")
        assert [i["id"] for i in page["items"]] in ([], [listing.id]), status
    for dossier in unpublished.values():
        word = dossier.title.split()[-1]
        assert _json(client, f"/api/v1/listings?q={word}")["total"] == 0, dossier.title
        assert dossier.title not in client.get(f"/catalogue?q={word}").get_data(as_text=True)
        assert dossier.title not in client.get("/catalogue").get_data(as_text=True)

    # Every public answer about the published one: the allowlisted shape and no secret.
    answers = {
        "list": client.get("/api/v1/listings?q=Mallard"),
        "detail": client.get(f"/api/v1/listings/{listing.id}"),
        "achievement": client.get(f"/api/v1/listings/{listing.id}/achievement"),
        "ctdl": client.get(f"/api/v1/listings/{listing.id}/ctdl"),
        "organisations": client.get("/api/v1/organisations"),
        "organisation": client.get(f"/api/v1/organisations/{people.org_a.id}"),
        "html list": client.get("/catalogue?q=Mallard"),
        "html detail": client.get(f"/catalogue/{listing.id}"),
        "html provider": client.get(f"/catalogue/providers/{people.org_a.id}"),
        "csv": client.get("/catalogue.csv", buffered=True),
        "atom": client.get("/catalogue/feed.atom"),
    }
    page = answers["list"].get_json()
    _check_keys(page, PAGE_KEYS | {"sort", "total_exact"}, "listing page")
    [item] = page["items"]
    check_summary(item)
    detail = answers["detail"].get_json()
    check_detail(detail)
    assert detail["report"]["sha256"] == "a" * 64  # the public report, never the internal one
    assert detail["decision"]["conditions"] == [
        {
            "text": "Publish the rubric.",
            "due_date": detail["decision"]["conditions"][0]["due_date"],
            "state": "open",
            "overdue": False,
        }
    ]
    orgs = answers["organisations"].get_json()
    _check_keys(orgs, PAGE_KEYS, "organisation page")
    for org in [*orgs["items"], answers["organisation"].get_json()]:
        check_organisation(org)

    secrets = dict(SECRETS)
    for user in (people.reviewer, *panel_users(), people.officer, people.provider_a, people.admin):
        secrets[f"name of {user.email}"] = user.name
        secrets[f"e-mail of {user.name}"] = user.email
    secrets["provider domain"] = people.org_a.domain
    secrets["internal report"] = "b" * 64
    secrets["internal report number"] = "QA-REPORT-internal"
    for f in db.session.execute(sa.select(EvidenceFile)).scalars():
        secrets[f"evidence {f.original_name} sha256"] = f.sha256
        secrets[f"evidence stored name {f.id}"] = f.stored_name
    for name, response in answers.items():
        assert response.status_code == 200, name
        text = response.get_data(as_text=True)
        if not name.startswith("organisation"):
            assert "Published Mallard" in text, name
        for what, secret in secrets.items():
            assert secret not in text, f"{what} leaks through {name}"
        if response.mimetype.endswith("json"):
            assert not EMAIL.search(text), f"an e-mail address in {name}"
            assert not _internal_keys(response.get_json()), name


def panel_users():
    from qa_portal.accounts.models import User

    return db.session.execute(
        sa.select(User).where(User.email.like("expert%@experts%.example"))
    ).scalars()


def _internal_keys(data) -> set[str]:
    """Keys that would name internal records or people, anywhere in a JSON document."""
    found = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key.endswith("_id") or key in {"dossier", "reviewer", "reviewers", "email", "files"}:
                found.add(key)
            found |= _internal_keys(value)
    elif isinstance(data, list):
        for value in data:
            found |= _internal_keys(value)
    return found


def test_a_new_key_in_the_api_fails_the_allowlist(catalogue, client, monkeypatch):
    """The shape check is not vacuous: one more key (say, the dossier's id) is caught."""
    from qa_portal.catalogue.exports import listing_json

    catalogue(1)
    original = listing_json.listing_summary

    def leaky(listing, today):
        return original(listing, today) | {"dossier_id": listing.dossier_id}

    monkeypatch.setattr(listing_json, "listing_summary", leaky)
    item = _json(client, "/api/v1/listings")["items"][0]
    with pytest.raises(AssertionError, match="dossier_id"):
        check_summary(item)
    assert _internal_keys(item) == {"dossier_id"}


def test_withdrawn_and_revoked_listings_stay_public_records_without_internals(
    catalogue, people, client
):
    listings = catalogue(2)
    catalogue_ops.withdraw_listing(people.provider_a, listings[0], "Replaced by a new course.")
    catalogue_ops.revoke_listing(people.officer, listings[1], "Assessment not as approved.")
    commit()
    for listing, status in ((listings[0], "withdrawn"), (listings[1], "revoked")):
        detail = _json(client, f"/api/v1/listings/{listing.id}")
        check_detail(detail)
        assert detail["status"] == status and detail["ended_at"].endswith("Z")
        assert client.get(f"/catalogue/{listing.id}").status_code == 200
    # Not in the default list, only when asked for by status.
    assert _json(client, "/api/v1/listings")["total"] == 0
    assert _json(client, "/api/v1/listings?status=revoked")["total"] == 1
