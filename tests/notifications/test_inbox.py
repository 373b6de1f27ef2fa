"""The in-app inbox: unread first, the unread count in the navigation, opening an entry
from the inbox marks it read and goes to its page (on this site only), following its link
only goes there, mark all as read (page or JSON); nobody sees or touches another person's
notifications."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import db
from qa_portal.notifications.models import Notification
from tests.notifications.helpers import inbox

JSON = {"Accept": "application/json"}


def add(user, title: str, *, url: str = "/dossiers/", read: bool = False, age: int = 0):
    note = Notification(
        user_id=user.id,
        kind="test",
        title=title,
        body=f"Body of {title}",
        url=url,
        created_at=utcnow() - timedelta(minutes=age),
        read_at=utcnow() if read else None,
    )
    db.session.add(note)
    commit()
    return note


def titles(page: bytes) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", page.decode())


def unread_badge(page: bytes) -> str | None:
    match = re.search(r'class="badge-count" aria-label="(\d+) unread">', page.decode())
    return match.group(1) if match else None


def test_unread_first_then_newest_and_the_count_in_the_navigation(client, login, people):
    add(people.provider_a, "Read yesterday", read=True, age=1440)
    add(people.provider_a, "Unread old", age=600)
    add(people.provider_a, "Read just now", read=True, age=0)
    add(people.provider_a, "Unread new", age=5)
    add(people.provider_b, "Someone else's")

    login(client, people.provider_a)
    page = client.get("/inbox/")
    assert page.status_code == 200
    assert titles(page.data) == ["Unread new", "Unread old", "Read just now", "Read yesterday"]
    assert unread_badge(page.data) == "2"
    assert b"2 unread" in page.data
    assert unread_badge(client.get("/dossiers/").data) == "2"  # on every page

    only_unread = client.get("/inbox/?show=unread")
    assert titles(only_unread.data) == ["Unread new", "Unread old"]


def test_opening_marks_read_and_goes_to_the_page(client, login, people, make_dossier):
    dossier = make_dossier(people.provider_a)
    note = add(people.provider_a, "Look at this", url=f"/dossiers/{dossier.id}")
    add(people.provider_a, "Another one")
    login(client, people.provider_a)

    # the inbox opens an unread entry with a form (a POST), the entry's own address
    page = client.get("/inbox/").data.decode()
    assert re.search(
        rf'<form method="post" action="/inbox/{note.id}"[^>]*>.*?<strong>Look at this</strong>',
        page,
        re.S,
    )
    response = client.post(f"/inbox/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/dossiers/{dossier.id}"
    assert client.get(response.headers["Location"]).status_code == 200
    db.session.refresh(note)
    assert note.read_at is not None
    assert unread_badge(client.get("/inbox/").data) == "1"
    # once read, the entry is a plain link
    assert f'<a href="/inbox/{note.id}"><strong>Look at this</strong></a>' in (
        client.get("/inbox/").data.decode()
    )


def test_following_the_link_goes_to_the_page_and_changes_nothing(client, login, people):
    note = add(people.provider_a, "Bookmarked", url="/dossiers/")
    response = login(client, people.provider_a).get(f"/inbox/{note.id}")
    assert response.status_code == 302 and response.headers["Location"] == "/dossiers/"
    db.session.refresh(note)
    assert note.read_at is None
    assert unread_badge(client.get("/inbox/").data) == "1"


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "/\t/evil.example/phish",
        "javascript:alert(1)",
        "",
    ],
)
def test_opening_never_leaves_the_site(client, login, people, url):
    note = add(people.provider_a, "Odd link", url=url)
    login(client, people.provider_a)
    for method in ("GET", "POST"):
        response = client.open(f"/inbox/{note.id}", method=method)
        assert response.status_code == 302, method
        assert response.headers["Location"] == "/inbox/", method
    db.session.refresh(note)
    assert note.read_at is not None


def test_other_peoples_notifications_are_404_and_stay_unread(client, login, people):
    theirs = add(people.provider_b, "Not yours", url="/dossiers/")
    for visitor in (people.provider_a, people.officer, people.admin):
        assert login(client, visitor).get(f"/inbox/{theirs.id}").status_code == 404
        assert client.post(f"/inbox/{theirs.id}").status_code == 404
    assert login(client, people.provider_a).get("/inbox/999999").status_code == 404
    assert client.post("/inbox/999999").status_code == 404
    db.session.refresh(theirs)
    assert theirs.read_at is None
    page = login(client, people.provider_a).get("/inbox/")
    assert b"Not yours" not in page.data


def test_mark_all_as_read_touches_only_my_notifications(client, login, people):
    add(people.provider_a, "One")
    add(people.provider_a, "Two")
    add(people.provider_a, "Old", read=True)
    theirs = add(people.provider_b, "Theirs")
    login(client, people.provider_a)

    page = client.get("/inbox/")
    assert b"Mark all as read" in page.data
    response = client.post("/inbox/read")
    assert response.status_code == 302 and response.headers["Location"] == "/inbox/"
    page = client.get("/inbox/")
    assert b"2 notification(s) marked as read." in page.data
    assert unread_badge(page.data) is None and b"Mark all as read" not in page.data
    assert all(n.read_at is not None for n in inbox(people.provider_a))
    db.session.refresh(theirs)
    assert theirs.read_at is None


def test_mark_all_as_read_answers_json(client, login, people):
    add(people.reviewer, "One")
    add(people.reviewer, "Two")
    login(client, people.reviewer)
    response = client.post("/inbox/read", headers=JSON)
    assert response.status_code == 200
    assert response.get_json() == {"message": "2 notification(s) marked as read.", "marked": 2}
    again = client.post("/inbox/read", headers=JSON)
    assert again.get_json()["marked"] == 0
    anonymous = login(client, None).post("/inbox/read", headers=JSON)
    assert anonymous.status_code == 401
