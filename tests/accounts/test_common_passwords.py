"""Easily guessed passwords are refused wherever a password is chosen (registration, reset
link, account page), with the reason next to the password field; good ones still pass."""

from __future__ import annotations

import pytest

from qa_portal.accounts.validation import FieldError, check_password_strength
from tests.accounts.helpers import RESET_FORM, field_errors, open_reset_link
from tests.accounts.test_password_reset import ask_for_link
from tests.harness import PASSWORD

GUESSABLE = {
    "aaaaaaaaaa": "Repeats",
    "1234567890": "common password",
    "password12": "common password",
    "qwertyuiop": "common password",
}


@pytest.mark.parametrize(("password", "reason"), GUESSABLE.items())
def test_guessable_passwords_are_refused_with_the_reason(password, reason):
    with pytest.raises(FieldError) as refused:
        check_password_strength(password, "nora@new-college.example", "Nora New")
    assert refused.value.field == "password"
    assert "too easy to guess" in refused.value.message
    assert reason in refused.value.message


def test_a_password_made_of_the_persons_own_address_is_refused():
    with pytest.raises(FieldError):
        check_password_strength("newcollege2", "nora@newcollege.example", "Nora New")


@pytest.mark.parametrize("password", ["correct-horse-battery", "registration-pass-1"])
def test_good_passwords_pass(password):
    check_password_strength(password, "nora@new-college.example", "Nora New")


@pytest.mark.parametrize("password", GUESSABLE)
def test_registration_refuses_them_next_to_the_field(client, people, password):
    response = client.post(
        "/register",
        data={
            "name": "Nora New",
            "email": "nora@new-college.example",
            "password": password,
            "confirm": password,
            "organisation_name": "New College",
            "domain": "new-college.example",
            "country": "PT",
        },
    )
    assert response.status_code == 400
    assert "too easy to guess" in field_errors(response, "password")


def test_a_reset_link_refuses_them_and_keeps_working(client, people, outbox):
    link = ask_for_link(client, people.reviewer.email, outbox)
    open_reset_link(client, link)
    for password in GUESSABLE:
        response = client.post(RESET_FORM, data={"password": password, "confirm": password})
        assert response.status_code == 400
        assert "too easy to guess" in field_errors(response, "password")
    good = "a-fresh-password-42"
    assert client.post(RESET_FORM, data={"password": good, "confirm": good}).status_code == 302


def test_the_account_page_refuses_them(client, login, people):
    login(client, people.reviewer)
    response = client.post(
        "/account",
        data={
            "pw-current_password": PASSWORD,
            "pw-password": "password12",
            "pw-confirm": "password12",
            "pw-submit": "1",
        },
    )
    assert response.status_code == 400
    assert "too easy to guess" in field_errors(response, "pw-password")
