"""Production needs its public address: without ``PUBLIC_BASE_URL`` it does not start, and
a request naming another host (a forged Host header) is refused with a 400."""

from __future__ import annotations

import pytest

from qa_portal import create_app
from qa_portal.core.jobs import init_celery
from qa_portal.extensions import db
from tests import harness

PUBLIC = "https://qa.example.org"
JSON = {"Accept": "application/json"}


@pytest.fixture
def production_app(app, database_url, tmp_path):
    """An instance of the portal configured for production on the session database."""
    made = []

    def make(**overrides):
        config = harness.test_config(database_url, tmp_path)
        config.update(ENV_MODE="production", TESTING=False, SERVER_NAME=None)
        config.update(PUBLIC_BASE_URL=PUBLIC)
        config.update(overrides)
        application = create_app(config)
        application.test_client_class = harness.Client
        made.append(application)
        return application

    yield make
    init_celery(app)  # give the jobs back to the session's app
    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.mark.parametrize("base", [None, "", "qa.example.org", "ftp://qa.example.org"])
def test_production_does_not_start_without_a_public_base_url(production_app, base):
    with pytest.raises(RuntimeError, match="needs PUBLIC_BASE_URL") as refused:
        production_app(PUBLIC_BASE_URL=base)
    assert "https://qa.example.org" in str(refused.value)  # says what to set


def test_production_answers_requests_for_its_own_host(production_app):
    client = production_app().test_client()
    assert client.get("/healthz", headers={"Host": "qa.example.org"}).status_code == 200
    assert client.get("/login", headers={"Host": "qa.example.org:443"}).status_code == 200


def test_production_refuses_a_forged_host_header(production_app):
    client = production_app().test_client()
    page = client.get("/password/forgot", headers={"Host": "evil.example"})
    assert page.status_code == 400
    assert b'class="error-code"' in page.data  # the portal's own error page
    assert "Use its public address, https://qa.example.org." in page.text
    api = client.get("/api/v1/listings", headers={"Host": "evil.example", **JSON})
    assert api.status_code == 400
    assert api.get_json()["error"] == "bad_request"
    assert "evil.example" not in api.get_data(as_text=True)


def test_a_host_list_of_the_instance_configuration_is_kept(production_app):
    client = production_app(TRUSTED_HOSTS=["qa.example.org", "10.0.0.5"]).test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_development_starts_without_a_public_base_url(production_app):
    application = production_app(ENV_MODE="development", PUBLIC_BASE_URL=None)
    assert application.config["TRUSTED_HOSTS"] is None
