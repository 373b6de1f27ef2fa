"""The demo's dossiers are coherent: each programme has its own outcomes, and its region and
web page fit the provider's country and domain."""

from __future__ import annotations

from urllib.parse import urlsplit

from qa_portal.demo import PROVIDERS
from qa_portal.demo_data import OUTCOMES, PROGRAMMES, complete_dossier_data

# The first-level regions of the demo providers' countries (ISO 3166-2:IE provinces and
# ISO 3166-2:NL provinces).
REGIONS = {
    "IE": {"Connacht", "Leinster", "Munster", "Ulster"},
    "NL": {
        "Drenthe", "Flevoland", "Friesland", "Gelderland", "Groningen", "Limburg",
        "Noord-Brabant", "Noord-Holland", "Overijssel", "Utrecht", "Zeeland", "Zuid-Holland",
    },
}  # fmt: skip


def test_every_demo_programme_has_its_own_outcomes():
    seen = {o["statement"] for o in OUTCOMES}
    for title in PROGRAMMES:
        statements = [o["statement"] for o in complete_dossier_data(title)["outcomes"]]
        assert not seen & set(statements), title
        seen |= set(statements)


def test_a_statistics_course_is_about_statistics():
    data = complete_dossier_data("Applied Statistics with R")
    text = " ".join(o["statement"] for o in data["outcomes"])
    assert "hypothesis test" in text and "regression" in text
    assert "Kubernetes" not in text + data["summary"]
    assert data["isced_code"] == "0542"  # statistics


def test_region_and_web_page_fit_the_provider():
    domains = {p["country"]: p["domain"] for p in PROVIDERS}
    for title in [*PROGRAMMES, "Cloud-Native Operations"]:
        data = complete_dossier_data(title)
        assert data["region"] in REGIONS[data["country"]], title
        assert urlsplit(data["web_page"]).hostname.endswith(domains[data["country"]]), title
        every_assessed = {k for a in data["assessments"] for k in a["outcomes"]}
        assert every_assessed == {o["key"] for o in data["outcomes"]}, title
