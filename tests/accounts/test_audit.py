"""Every account action leaves an audit entry (who, what, on which object, what changed)."""

from __future__ import annotations

from qa_portal.accounts import operations as ops
from qa_portal.accounts import passwords, registration
from qa_portal.accounts.models import AccountStatus, OrgKind, Role
from qa_portal.core.audit import entries_for
from qa_portal.core.db import commit


def actions(obj) -> list[str]:
    return [e.action for e in entries_for(obj)]


def test_account_actions_are_audited(app, people, audit_ok):
    admin = people.admin
    with app.test_request_context():
        org = ops.create_organisation(
            admin, name="Audit College", kind=OrgKind.PROVIDER, domain="audit.example"
        )
        ops.update_organisation(
            admin, org, name="Audit College", domain="audit.example", country="BE", website=None
        )
        ops.set_organisation_status(admin, org, AccountStatus.DISABLED)
        user = ops.create_user(admin, email="pat@audit.example", name="Pat", roles=[Role.REVIEWER])
        ops.grant_role(admin, user, Role.QA_OFFICER)
        ops.revoke_role(admin, user, Role.QA_OFFICER)
        ops.set_user_status(admin, user, AccountStatus.DISABLED)
        ops.set_user_status(admin, user, AccountStatus.ACTIVE)
        passwords.request_password_reset(user.email)
        token = ops._send_reset(user, template="password_reset", hours=1, subject="Reset")
        passwords.complete_reset(passwords.token_user(token), "pats-new-password")
        passwords.change_password(user, "pats-new-password", "pats-newer-password")
        applicant = registration.register_provider(
            name="Quinn",
            email="quinn@applicant.example",
            password="quinns-password",
            organisation_name="Applicant Org",
            domain="applicant.example",
            country="AT",
            website=None,
        )
        registration.reject_registration(admin, applicant, "Not a provider of microcredentials.")
        commit()

    assert actions(org) == ["organisation.create", "organisation.update", "organisation.status"]
    assert actions(user) == [
        "user.create",
        "user.invitation_sent",
        "user.grant_role",
        "user.revoke_role",
        "user.status",
        "user.status",
        "user.password_reset_requested",
        "user.password_reset",
        "user.change_password",
    ]
    assert actions(applicant) == [
        "user.create",
        "user.register",
        "user.status",
        "user.registration_rejected",
    ]
    assert actions(applicant.organisation) == ["organisation.create", "organisation.status"]
    by_admin = [e for e in entries_for(user) if e.action in {"user.grant_role", "user.status"}]
    assert {(e.actor_id, e.actor_label) for e in by_admin} == {(admin.id, admin.email)}
    assert entries_for(user)[4].payload == {"from_state": "active", "to_state": "disabled"}
    audit_ok()


def test_refused_actions_leave_no_entry(people):
    import pytest

    from qa_portal.core.errors import DomainError

    with pytest.raises(DomainError):
        ops.set_user_status(people.admin, people.admin, AccountStatus.DISABLED)
    with pytest.raises(DomainError):
        ops.grant_role(people.admin, people.reviewer, Role.PROVIDER)
    assert entries_for(people.admin) == entries_for(people.reviewer) == []
