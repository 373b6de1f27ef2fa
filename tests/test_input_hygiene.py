"""Input hygiene on every route: a NUL byte (or another control character) in the address,
a query-string value, a form field or a JSON body gets a 400 with a message, for every
visitor, before any view reads it; a page number however large is never a server error.

The fuzz runs over the access matrix (tests/test_access_matrix.py): its routes, its world
and its URLs. On PostgreSQL, which cannot store a NUL in text, each of these was a 500."""

from __future__ import annotations

from html import unescape
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from qa_portal.core.request_checks import MESSAGE
from qa_portal.dossiers.models import Dossier
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from qa_portal.reviews.models import ReviewerProfile
from tests.test_access_matrix import MATRIX, NEEDS_REVIEW_WORLD, VISITORS, _url, _world

NUL = "\x00"
# Values the routes read (search words, a report code, filters, where to go after sign-in),
# each with a NUL.
NUL_QUERY = {
    "q": f"data{NUL}",
    "code": f"AB{NUL}CD",
    "show": f"unread{NUL}",
    "role": f"reviewer{NUL}",
    "state": f"submitted{NUL}",
    "next": f"/dossiers/{NUL}",
}
# The fields of the sign-in, reset, registration, dossier, review, profile and decision
# forms, each with a NUL (the first of which the form would otherwise accept).
NUL_FORM = {
    "email": f"ada{NUL}@provider-a.example",
    "password": f"correct-horse{NUL}",
    "name": f"Ada{NUL}",
    "title": f"Cloud{NUL} operations",
    "bio": f"Engineer{NUL}",
    "keywords": f"DevOps{NUL}",
    "note": f"Missing{NUL}",
    "reason": f"Because{NUL}",
    "rationale": f"Because{NUL}",
    "text": f"Text{NUL}",
    "comments_to_provider": f"Fine{NUL}",
    "outcomes-0-statement": f"Operate{NUL}",
}
HUGE_PAGE = "99999999999999999999"
HTML = {"Accept": "text/html"}
JSON_TYPE = "application/json"


@pytest.fixture
def access_world(people, make_org, make_user, make_dossier):
    """The access matrix's world for one endpoint: (visitors, URL values)."""

    def build(endpoint: str):
        review_world = endpoint.startswith(NEEDS_REVIEW_WORLD)
        return _world(people, make_org, make_user, make_dossier, review_world)

    return build


def _refused(response) -> bool:
    return response.status_code == 400 and b"control character" in response.data


@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(MATRIX), ids=[" ".join(k) for k in sorted(MATRIX)]
)
def test_every_route_refuses_nul_and_survives_huge_pages(
    app, client, login, access_world, endpoint, method
):
    visitors, values = access_world(endpoint)
    url = _url(app, endpoint, values)
    problems = []
    for name in VISITORS:
        login(client, visitors[name])
        blank = {"blank": ""} if method == "POST" else None
        answer = client.open(f"{url}?{urlencode(NUL_QUERY)}", method=method, data=blank)
        if not _refused(answer):
            problems.append(f"{name}: NUL in the query string gave {answer.status_code}")
        if method == "POST":
            answer = client.open(url, method=method, data=NUL_FORM, headers=HTML)
            if not _refused(answer):
                problems.append(f"{name}: NUL in a form field gave {answer.status_code}")
        answer = client.open(f"{url}?page={HUGE_PAGE}", method=method, data=blank)
        answer.close()  # static files and downloads stream from an open file
        if answer.status_code >= 500:
            problems.append(f"{name}: page={HUGE_PAGE} gave {answer.status_code}")
    assert not problems, f"{method} {url}\n" + "\n".join(problems)


# -- what the refusal says, and where -----------------------------------------------------
def test_the_refusal_names_the_field_and_saves_nothing(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    login(client, people.provider_a)
    answer = client.post(
        f"/dossiers/{dossier.id}/edit", data={"title": f"New{NUL} title"}, headers=HTML
    )
    assert answer.status_code == 400
    assert MESSAGE.format(where="form's “title” field") in unescape(answer.text)
    db.session.expire_all()
    assert db.session.get(Dossier, dossier.id).title != f"New{NUL} title"


@pytest.mark.parametrize(
    "url",
    ["/verify?code=AB%00CD", "/verify/AB%00CD", "/catalogue?q=%01", "/api/v1/listings?q=a%00"],
)
def test_the_address_and_query_string_are_checked(client, url):
    answer = client.get(url, headers=HTML)
    assert _refused(answer), (answer.status_code, answer.text[:300])


def test_json_clients_get_a_json_error(client, people):
    answer = client.get("/api/v1/listings?q=a%00b")
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "invalid",
        "message": MESSAGE.format(where="address's “q” value"),
    }
    posted = client.post("/login", json={"email": f"ada{NUL}@provider-a.example"})
    assert posted.status_code == 400
    assert posted.get_json()["message"] == MESSAGE.format(where="JSON body")
    nested = client.post("/login", json={"rows": [{"note": "a\tb\r\n", f"k{NUL}": 1}]})
    assert nested.status_code == 400 and nested.get_json()["error"] == "invalid"
    deep = client.post("/login", data="[" * 100_000 + "]" * 100_000, content_type=JSON_TYPE)
    assert deep.status_code == 400
    assert deep.get_json()["message"] == "The JSON body is nested too deeply to be read."
    near_the_limit = "[" * 900 + '"a\\u0000"' + "]" * 900
    answer = client.post("/login", data=near_the_limit, content_type=JSON_TYPE)
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid"


def test_a_nul_in_an_uploaded_file_name_is_refused(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a, complete=False, files=False)
    login(client, people.provider_a)
    # written out by hand: the test client's encoder refuses such a name, a client need not
    body = (
        b"--XX\r\n"
        b'Content-Disposition: form-data; name="kind"\r\n\r\ncurriculum\r\n'
        b"--XX\r\n"
        b'Content-Disposition: form-data; name="file"; filename="plan\x00.pdf"\r\n'
        b"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n"
        b"--XX--\r\n"
    )
    answer = client.post(
        f"/dossiers/{dossier.id}/files",
        data=body,
        content_type="multipart/form-data; boundary=XX",
        headers=HTML,
    )
    assert answer.status_code == 400
    assert MESSAGE.format(where="name of an uploaded file") in unescape(answer.text)


def test_tabs_and_line_breaks_pass_in_multi_line_fields(client, login, people):
    login(client, people.reviewer)
    bio = "First line\r\nSecond line,\tindented."
    answer = client.post("/reviews/profile", data={"bio": bio, "keywords": "", "save": "1"})
    assert answer.status_code == 302
    db.session.expire_all()
    profile = db.session.scalar(
        sa.select(ReviewerProfile).where(ReviewerProfile.user_id == people.reviewer.id)
    )
    assert profile.bio.replace("\r\n", "\n") == bio.replace("\r\n", "\n")
    refused = client.post("/reviews/profile", data={"bio": "Bell\x07", "save": "1"})
    assert _refused(refused)


# -- page numbers past the end --------------------------------------------------------------
def test_huge_page_numbers_show_the_last_page_of_each_list(client, login, people, make_dossier):
    make_dossier(people.provider_a, submit=True, title="Queued credential")
    db.session.add(
        Notification(user_id=people.admin.id, kind="test", title="Look here", url="/admin/")
    )
    db.session.commit()
    login(client, people.admin)
    for url, shown in [
        ("/dossiers/queue", "Queued credential"),
        ("/inbox/", "Look here"),
        ("/admin/users", people.reviewer.email),
    ]:
        answer = client.get(f"{url}?page={HUGE_PAGE}")
        assert answer.status_code == 200, url
        assert shown in answer.text, url


def test_the_catalogue_says_which_page_numbers_exist(client):
    answer = client.get(f"/catalogue?page={HUGE_PAGE}", headers=HTML)
    assert answer.status_code == 400
    assert "Page" in answer.text
