"""Read-only look-ups for accounts."""

from __future__ import annotations

import sqlalchemy as sa

from qa_portal.accounts.models import AccountStatus, Organisation, OrgKind, Role, User, UserRole
from qa_portal.extensions import db


def qa_body() -> Organisation | None:
    return db.session.execute(
        sa.select(Organisation).where(Organisation.kind == OrgKind.QA_BODY).limit(1)
    ).scalar()


def user_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(sa.func.lower(User.email) == email.strip().lower())
    ).scalar()


def users_with_role(role: Role, *, active_only: bool = True) -> list[User]:
    query = sa.select(User).join(UserRole).where(UserRole.role == role).order_by(User.name)
    if active_only:
        query = query.where(User.status == AccountStatus.ACTIVE)
    return list(db.session.execute(query).scalars())


def provider_organisations(*, active_only: bool = True) -> list[Organisation]:
    query = (
        sa.select(Organisation)
        .where(Organisation.kind == OrgKind.PROVIDER)
        .order_by(Organisation.name)
    )
    if active_only:
        query = query.where(Organisation.status == AccountStatus.ACTIVE)
    return list(db.session.execute(query).scalars())


def organisation_by_domain(domain: str) -> Organisation | None:
    return db.session.execute(
        sa.select(Organisation).where(sa.func.lower(Organisation.domain) == domain.lower())
    ).scalar()


def pending_registrations() -> list[User]:
    return list(
        db.session.execute(
            sa.select(User).where(User.status == AccountStatus.PENDING).order_by(User.created_at)
        ).scalars()
    )
