"""The account and organisation status tables (``accounts/workflow.py``): every change of a
user's or an organisation's status is one of their transitions, fired by the operations
(admin pages, registrations, ``flask users enable|disable``), audited as ``user.status`` /
``organisation.status`` as before; anything else is refused (409, or 403 for the wrong
role) and changes nothing."""

from __future__ import annotations

import pytest

from qa_portal.accounts import operations as ops
from qa_portal.accounts import registration
from qa_portal.accounts.models import AccountStatus as A
from qa_portal.accounts.models import Role
from qa_portal.accounts.workflow import ORGANISATION_MACHINE, USER_MACHINE
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit
from qa_portal.core.errors import NotPermitted, TransitionNotAllowed
from qa_portal.extensions import db
from tests.helpers import end_transaction_keeping_loaded
from tests.state_tables import assert_every_pair_is_enforced, table


def test_the_account_table():
    assert table(USER_MACHINE) == {
        "approve": ({"pending"}, "active", ("qa_admin",)),
        "reject": ({"pending"}, "rejected", ("qa_admin",)),
        "register_again": ({"rejected"}, "pending", ("applicant",)),
        "disable": ({"active"}, "disabled", ("qa_admin", "system")),
        "enable": ({"disabled"}, "active", ("qa_admin", "system")),
    }
    assert_every_pair_is_enforced(USER_MACHINE, A)


def test_the_organisation_table():
    assert table(ORGANISATION_MACHINE) == {
        "approve": ({"pending"}, "active", ("qa_admin",)),
        "reject": ({"pending"}, "rejected", ("qa_admin",)),
        "reopen": ({"rejected"}, "pending", ("applicant",)),
        "disable": ({"active", "pending", "rejected"}, "disabled", ("qa_admin",)),
        "enable": ({"disabled", "rejected"}, "active", ("qa_admin",)),
    }
    assert_every_pair_is_enforced(ORGANISATION_MACHINE, A)
    # set_organisation_status finds the one transition between two states
    for source in A:
        for target in A:
            transition = ORGANISATION_MACHINE.leading_to(source, target)
            if transition is not None:
                assert ORGANISATION_MACHINE.find(source, transition.action) is transition


def status_entries(obj) -> list[dict]:
    return [e.payload for e in entries_for(obj) if e.action.endswith(".status")]


@pytest.mark.parametrize(
    ("source", "target"),
    [(A.ACTIVE, A.DISABLED), (A.DISABLED, A.ACTIVE)],
)
def test_an_admin_and_the_command_line_enable_and_disable_accounts(
    app, people, make_user, source, target
):
    user = make_user(Role.REVIEWER, status=source)
    epoch = user.auth_epoch
    ops.set_user_status(people.admin, user, target)
    commit()
    db.session.expire_all()
    assert user.status == target and user.auth_epoch == epoch + 1
    assert status_entries(user) == [{"from_state": source.value, "to_state": target.value}]
    assert entries_for(user)[-1].actor_id == people.admin.id

    command = "disable" if target == A.ACTIVE else "enable"  # and back, as the system
    result = app.test_cli_runner().invoke(args=["users", command, user.email])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.status == source
    assert entries_for(user)[-1].actor_label == "system"


def test_only_qa_admins_change_a_status(people, make_user):
    user = make_user(Role.REVIEWER)
    for actor in (people.officer, people.provider_a, people.reviewer):
        with pytest.raises(NotPermitted):
            ops.set_user_status(actor, user, A.DISABLED)
        with pytest.raises(NotPermitted):
            ops.set_organisation_status(actor, people.org_b, A.DISABLED)
    db.session.rollback()
    db.session.expire_all()
    assert (user.status, people.org_b.status) == (A.ACTIVE, A.ACTIVE)
    assert status_entries(user) == status_entries(people.org_b) == []


def test_a_registration_is_handled_once(people, make_user):
    """Approving an account that is no longer pending, or enabling a registration from its
    account page: 409, nothing changes."""
    user = make_user(Role.PROVIDER, org=people.org_a, status=A.PENDING)
    with pytest.raises(TransitionNotAllowed, match="waiting for approval"):
        ops.set_user_status(people.admin, user, A.ACTIVE)
    registration.approve_registration(people.admin, user)
    commit()
    with pytest.raises(TransitionNotAllowed, match="already been handled"):
        registration.approve_registration(people.admin, user)
    with pytest.raises(TransitionNotAllowed):  # the table itself refuses it too
        USER_MACHINE.fire(user, "approve", actor=people.admin, role="qa_admin")
    with pytest.raises(NotPermitted):  # as does a role the table does not name
        USER_MACHINE.fire(user, "disable", actor=people.admin, role="provider")
    db.session.rollback()
    db.session.expire_all()
    assert user.status == A.ACTIVE
    assert status_entries(user) == [{"from_state": "pending", "to_state": "active"}]


def test_enabling_a_pending_registration_on_its_page_is_refused(client, login, people, make_user):
    user = make_user(Role.PROVIDER, org=people.org_a, status=A.PENDING)
    answer = login(client, people.admin).post(
        f"/admin/users/{user.id}/status",
        data={"status": "active"},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 409
    assert "waiting for approval" in answer.get_json()["message"]
    db.session.expire_all()
    assert user.status == A.PENDING and status_entries(user) == []


def test_an_organisation_moves_only_along_its_table(people, make_org):
    org = make_org("Pending College", status=A.PENDING)
    with pytest.raises(TransitionNotAllowed):
        ops.set_organisation_status(people.admin, people.org_a, A.PENDING)
    ops.set_organisation_status(people.admin, org, A.DISABLED)  # keeps its domain out
    ops.set_organisation_status(people.admin, org, A.ACTIVE)
    commit()
    db.session.expire_all()
    assert org.status == A.ACTIVE and people.org_a.status == A.ACTIVE
    assert status_entries(org) == [
        {"from_state": "pending", "to_state": "disabled"},
        {"from_state": "disabled", "to_state": "active"},
    ]
    assert status_entries(people.org_a) == []


def test_two_admins_handling_the_same_registration(app, people, make_user):
    """The second admin's page still shows the registration as pending: the conditional
    UPDATE refuses their change (409) instead of overwriting the first one's."""
    user = make_user(Role.PROVIDER, org=people.org_a, status=A.PENDING)
    assert user.status == A.PENDING  # loaded by this (the second admin's) session
    user_id, admin_id = user.id, people.admin.id
    end_transaction_keeping_loaded()
    with app.app_context():  # the first admin, in another session, rejects it
        first = db.session.get(type(user), user_id)
        registration.reject_registration(db.session.get(type(user), admin_id), first, "No.")
        commit()
    with pytest.raises(TransitionNotAllowed, match="changed by someone else"):
        registration.approve_registration(people.admin, user)
    db.session.rollback()
    db.session.expire_all()
    assert user.status == A.REJECTED
    assert status_entries(user) == [{"from_state": "pending", "to_state": "rejected"}]
