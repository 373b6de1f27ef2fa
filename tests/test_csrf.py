"""Every POST needs the CSRF token of the page it came from (the rest of the suite runs with
the check off). Without it: 400 with a clear page, or JSON when asked, and nothing changes;
with the token the page carries, the same request works."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from qa_portal import create_app
from qa_portal.accounts.models import AccountStatus, User
from qa_portal.core.errors import CSRF_MESSAGE
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from tests import harness

JSON = {"Accept": "application/json"}


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The app with CSRF protection on, on the session database."""
    config = harness.test_config(database_url, tmp_path)
    config["WTF_CSRF_ENABLED"] = True
    application = create_app(config)
    application.test_client_class = harness.Client
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def browser(csrf_app):
    return csrf_app.test_client()


class _Forms(HTMLParser):
    """The fields a browser would send for each form of a page (without JavaScript)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._select: int | None = None  # index of the open <select> in the fields
        self._textarea: int | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"id": a.get("id"), "action": a.get("action"), "fields": []})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in a:
                return
            fields.append([name, a.get("value", "on")])
        elif tag == "select" and name:
            self._select = len(fields)
            fields.append([name, None])
        elif tag == "option" and self._select is not None:
            field = fields[self._select]
            if field[1] is None or "selected" in a:  # the first option, unless one is chosen
                field[1] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = len(fields)
            fields.append([name, ""])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self.forms[-1]["fields"][self._textarea][1] += data


def form_fields(response, *, form_id=None, action=None) -> dict[str, list[str]]:
    """The data of one form of the page: the one with this id, or posting to this action,
    or else the only form besides the sign-out button."""
    parser = _Forms()
    parser.feed(response.get_data(as_text=True))

    def wanted(form: dict) -> bool:
        if form_id:
            return form["id"] == form_id
        if action:
            return form["action"] == action
        return form["action"] != "/logout"

    forms = [f for f in parser.forms if wanted(f)]
    assert len(forms) == 1, f"expected one form, found {forms}"
    data: dict[str, list[str]] = {}
    for name, value in forms[0]["fields"]:
        data.setdefault(name, []).append(value or "")
    return data


def csrf_token(response) -> str:
    token = form_fields(response, action="/logout")["csrf_token"][0]
    assert token
    return token


def _assert_refused(response, *, as_json=False):
    assert response.status_code == 400
    if as_json:
        assert response.get_json() == {"error": "csrf_failed", "message": CSRF_MESSAGE}
    else:
        text = response.get_data(as_text=True)
        assert '<p class="error-code">400</p>' in text
        assert CSRF_MESSAGE in text


def _signed_in(browser, user) -> None:
    with browser.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


# -- sign-in --------------------------------------------------------------------------------
def test_sign_in_needs_the_token(browser, people):
    credentials = {"email": people.provider_a.email, "password": harness.PASSWORD}

    _assert_refused(browser.post("/login", data=credentials))
    _assert_refused(browser.post("/login", data=credentials, headers=JSON), as_json=True)
    assert browser.get("/account").status_code == 302  # still signed out

    data = form_fields(browser.get("/login"))
    assert data["csrf_token"][0]
    response = browser.post("/login", data={**data, **credentials})
    assert response.status_code == 302
    assert browser.get("/account").status_code == 200


# -- sign-out -------------------------------------------------------------------------------
def test_sign_out_needs_the_token(browser, people):
    _signed_in(browser, people.provider_a)

    _assert_refused(browser.post("/logout"))
    assert browser.get("/account").status_code == 200  # a forged link did not sign us out

    token = csrf_token(browser.get("/account"))
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert browser.get("/account").status_code == 302


def test_sign_out_everywhere_needs_the_token(browser, people):
    _signed_in(browser, people.provider_a)
    url = "/account/sessions/end"

    _assert_refused(browser.post(url))
    assert browser.get("/account").status_code == 200  # a forged request ended nothing

    data = form_fields(browser.get("/account"), action=url)
    assert data["csrf_token"][0]
    assert browser.post(url, data=data).status_code == 302
    assert browser.get("/account").status_code == 302


# -- saving a dossier ---------------------------------------------------------------------
def test_saving_a_dossier_needs_the_token(browser, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    _signed_in(browser, people.provider_a)
    url = f"/dossiers/{dossier.id}/edit"
    page = browser.get(url)
    data = form_fields(page, form_id="dossier-form")
    data["title"] = ["Cloud-Native Operations, revised"]
    data["save"] = ["1"]
    forged = {k: v for k, v in data.items() if k != "csrf_token"}

    _assert_refused(browser.post(url, data=forged))
    _assert_refused(browser.post(url, data=forged, headers=JSON), as_json=True)
    live_check = browser.post(f"/dossiers/{dossier.id}/check", data=forged, headers=JSON)
    _assert_refused(live_check, as_json=True)
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).title == "Cloud-Native Operations"

    response = browser.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).title == "Cloud-Native Operations, revised"
    # the live check posts the same form with its token
    check = browser.post(f"/dossiers/{dossier.id}/check", data=data, headers=JSON)
    assert check.status_code == 200 and check.get_json()["errors"] == []


# -- an admin action ------------------------------------------------------------------------
def test_disabling_an_account_needs_the_token(browser, people):
    _signed_in(browser, people.admin)
    url = f"/admin/users/{people.provider_b.id}/status"

    _assert_refused(browser.post(url, data={"status": "disabled"}))
    _assert_refused(browser.post(url, data={"status": "disabled"}, headers=JSON), as_json=True)
    db.session.expire_all()
    assert db.session.get(User, people.provider_b.id).status == AccountStatus.ACTIVE

    page = browser.get(f"/admin/users/{people.provider_b.id}")
    data = form_fields(page, action=url)
    assert data["status"] == ["disabled"]
    assert browser.post(url, data=data).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, people.provider_b.id).status == AccountStatus.DISABLED


def test_a_token_from_another_session_is_refused(csrf_app, browser, people):
    _signed_in(browser, people.admin)
    token = csrf_token(browser.get("/account"))
    other = csrf_app.test_client()
    _signed_in(other, people.admin)
    url = f"/admin/users/{people.provider_b.id}/status"
    response = other.post(url, data={"status": "disabled", "csrf_token": token})
    _assert_refused(response)
