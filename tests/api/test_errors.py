"""Every error of the API is JSON with a message a person can act on: 400 for a bad
parameter (naming it), 404 for an unknown id, 405 for a wrong method, 429 past the rate limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from qa_portal import create_app
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import db, limiter
from tests import harness as base

BAD_PARAMETERS = [
    ("provider=abc", "Provider"),
    ("provider=0", "Provider"),
    ("provider=99999999999", "Provider"),
    ("country=ZZ", "Country"),
    ("country=Ireland", "Country"),
    ("eqf=9", "EQF level"),
    ("eqf=0", "EQF level"),
    ("eqf=six", "EQF level"),
    ("field=9999", "Field of study"),
    ("participation=remote", "Form of participation"),
    ("language=xx", "Language"),
    ("language=english", "Language"),
    ("ects_min=-1", "Minimum ECTS"),
    ("ects_min=nan", "Minimum ECTS"),
    ("ects_max=401", "Maximum ECTS"),
    ("ects_max=inf", "Maximum ECTS"),
    ("ects_min=5&ects_max=1", "minimum ECTS is larger"),
    ("status=draft", "Status"),
    ("status=in_review", "Status"),
    ("sort=random", "Sort"),
    ("page=0", "Page"),
    ("page=-1", "Page"),
    ("page=two", "Page"),
    ("page=100001", "Page"),
    ("per_page=0", "Results per page"),
    ("per_page=101", "Results per page"),
    ("per_page=1e3", "Results per page"),
]


def assert_json_error(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert body["message"] and body["error"]
    if error:
        assert body["error"] == error
    return body


def test_a_bad_listing_parameter_is_a_400_naming_it(client):
    # (one test for all: the harness empties the database after each test, which costs)
    for query, named in BAD_PARAMETERS:
        body = assert_json_error(client.get(f"/api/v1/listings?{query}"), 400, "invalid")
        assert named in body["message"], query


def test_a_bad_organisation_page_is_a_400(client):
    for query in ("page=0", "per_page=101", "per_page=x"):
        body = assert_json_error(client.get(f"/api/v1/organisations?{query}"), 400, "invalid")
        assert "age" in body["message"], query


def test_the_html_catalogue_shows_the_same_message_with_a_400(client):
    response = client.get("/catalogue?eqf=9")
    assert response.status_code == 400
    assert "EQF level must be between 1 and 8." in response.get_data(as_text=True)


UNKNOWN = [
    "/api/v1/listings/1",
    "/api/v1/listings/0",
    "/api/v1/listings/2147483647",
    "/api/v1/listings/2147483648",
    "/api/v1/listings/99999999999999999999999",
    "/api/v1/listings/-1",
    "/api/v1/listings/abc",
    "/api/v1/listings/1/achievement",
    "/api/v1/listings/1/ctdl",
    "/api/v1/listings/99999999999999999999999/ctdl",
    "/api/v1/organisations/1",
    "/api/v1/organisations/99999999999999999999999",
    "/api/v1/nothing-here",
    "/api/v2/listings",
]


def test_an_unknown_address_or_id_is_a_json_404(client):
    for path in UNKNOWN:
        body = assert_json_error(client.get(path), 404, "page_not_found")
        assert "nothing here" in body["message"].lower(), path


def test_no_id_is_too_large_for_any_page(app, client):
    """Ids are 32-bit; a larger number in any address is a 404, never a database overflow."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        url = re.sub(r"<int:[^>]+>", "99999999999999999999", rule.rule)
        url = re.sub(r"<[^>]+>", "x", url)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method)
            assert response.status_code == 404, (method, url, response.status_code)
            checked += 1
    assert checked > 20


def test_an_unknown_listing_page_is_a_404_page(client):
    for path in (
        "/catalogue/1",
        "/catalogue/99999999999999999999999",
        "/catalogue/providers/99999999999999999999999",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert response.mimetype == "text/html"


def test_organisations_appear_only_with_a_valid_listing(catalogue, people, client):
    [listing] = catalogue(1)
    assert client.get(f"/api/v1/organisations/{people.org_a.id}").status_code == 200
    for org in (people.org_b, people.officer.organisation):  # no listing; the QA body
        assert_json_error(client.get(f"/api/v1/organisations/{org.id}"), 404)
    assert client.get("/api/v1/organisations").get_json()["total"] == 1


def test_a_wrong_method_is_a_json_405(client):
    for path in ("/api/v1/listings", "/api/v1/listings/1", "/api/v1/openapi.json"):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(path, json={"title": "x"})
            body = assert_json_error(response, 405, "method_not_allowed")
            assert "does not accept" in body["message"]
            assert "GET" in response.headers["Allow"], (method, path)


# -- rate limit ---------------------------------------------------------------------------
@pytest.fixture
def limited_app(app, database_url):
    """A second app with the rate limit on. Flask-Limiter and Celery keep their state on
    module-level objects: put them back for the shared (unlimited) app afterwards."""
    tmp = Path(app.config["UPLOAD_DIR"]).parent
    config = base.test_config(database_url, tmp) | {
        "RATELIMIT_ENABLED": True,
        "API_RATE_LIMIT": "3 per minute",
    }
    limited = create_app(config)
    limiter.reset()
    yield limited
    limiter.reset()
    limiter.init_app(app)
    init_celery(app)
    with limited.app_context():
        db.engine.dispose()


def test_past_the_rate_limit_the_api_answers_429_json_with_retry_after(limited_app):
    client = limited_app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/listings").status_code == 200
    blocked = client.get("/api/v1/listings")
    body = assert_json_error(blocked, 429, "too_many_requests")
    assert "Too many requests" in body["message"]
    assert 1 <= int(blocked.headers["Retry-After"]) <= 120  # the rest of the minute
    assert blocked.headers["Cache-Control"] == "no-store"
    assert blocked.headers["Access-Control-Allow-Origin"] == "*"
    # The budget is the visitor's, for the whole API; other visitors are not affected.
    assert_json_error(client.get("/api/v1/organisations"), 429)
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.get("/api/v1/listings").status_code == 200


def test_the_shared_test_app_does_not_limit_the_api(client):
    for _ in range(5):
        assert client.get("/api/v1/organisations").status_code == 200
