"""Organisations (providers and the QA body), users and their roles."""

from __future__ import annotations

import enum
import functools
import secrets
from datetime import datetime
from uuid import UUID, uuid4

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from qa_portal.core.models import Base, enum_column, utcnow


class Role(enum.StrEnum):
    PROVIDER = "provider"
    REVIEWER = "reviewer"
    QA_OFFICER = "qa_officer"
    QA_ADMIN = "qa_admin"
    # ESG 2.7: a decision committee (board) and an appeals committee (migration 0012)
    COMMITTEE = "committee"
    APPEALS_COMMITTEE = "appeals_committee"

    @property
    def label(self) -> str:
        return {
            "provider": "Provider member",
            "reviewer": "Reviewer",
            "qa_officer": "QA officer",
            "qa_admin": "QA admin",
            "committee": "Decision committee member",
            "appeals_committee": "Appeals committee member",
        }[self.value]


STAFF_ROLES = {Role.QA_OFFICER, Role.QA_ADMIN}


class OrgKind(enum.StrEnum):
    PROVIDER = "provider"
    QA_BODY = "qa_body"

    @property
    def label(self) -> str:
        return "Provider" if self is OrgKind.PROVIDER else "QA body"

    @property
    def plural(self) -> str:
        return "Providers" if self is OrgKind.PROVIDER else "QA body"


class AccountStatus(enum.StrEnum):
    PENDING = "pending"  # self-registered, waiting for a QA admin
    ACTIVE = "active"
    DISABLED = "disabled"
    REJECTED = "rejected"


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The permanent identifier (migration 0020), given once; never derived from an address.
    uuid: Mapped[UUID] = mapped_column(
        sa.Uuid, nullable=False, unique=True, index=True, default=uuid4
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    kind: Mapped[OrgKind] = mapped_column(enum_column(OrgKind), nullable=False)
    domain: Mapped[str | None] = mapped_column(sa.String(253), nullable=True, index=True)
    country: Mapped[str | None] = mapped_column(sa.String(2), nullable=True)
    website: Mapped[str | None] = mapped_column(sa.String(500), nullable=True)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus), nullable=False, default=AccountStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)

    members: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def ctid(self) -> str:
        """The organisation's Credential Transparency Identifier (``ce-`` and its UUID)."""
        return f"ce-{self.uuid}"

    @property
    def is_active(self) -> bool:
        return self.status == AccountStatus.ACTIVE

    @property
    def is_provider(self) -> bool:
        return self.kind == OrgKind.PROVIDER

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name!r}>"


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), nullable=True, index=True
    )
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus), nullable=False, default=AccountStatus.ACTIVE
    )
    # The session key: part of every session and remember-me cookie of the user (``get_id``),
    # bumped on signing out, "sign out everywhere", a password change or reset and disabling,
    # after which the user loader refuses every cookie issued before (accounts/auth.py).
    auth_epoch: Mapped[int] = mapped_column(nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(nullable=True)

    organisation: Mapped[Organisation | None] = relationship(back_populates="members")
    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    # -- roles -------------------------------------------------------------------------
    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role | str) -> bool:
        mine = self.roles
        return any(Role(r) in mine for r in roles)

    def grant(self, role: Role) -> bool:
        if role in self.roles:
            return False
        self.role_rows.append(UserRole(role=role))
        return True

    def revoke(self, role: Role) -> bool:
        for row in list(self.role_rows):
            if row.role == role:
                self.role_rows.remove(row)
                return True
        return False

    @property
    def is_staff(self) -> bool:
        return bool(self.roles & STAFF_ROLES)

    def is_member_of(self, organisation_id: int | None) -> bool:
        return (
            organisation_id is not None
            and self.organisation_id == organisation_id
            and self.has_role(Role.PROVIDER)
        )

    # -- passwords and sessions --------------------------------------------------------
    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)  # scrypt, Werkzeug's default
        self.end_sessions()

    def end_sessions(self) -> None:
        """Every session and remember-me cookie issued so far stops working."""
        self.auth_epoch = (self.auth_epoch or 0) + 1

    def check_password(self, password: str) -> bool:
        if not self.password_hash:  # invited, no password chosen yet: spend the same time
            spend_password_check(password)
            return False
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled and pending users cannot sign in
        return self.status == AccountStatus.ACTIVE

    @property
    def awaits_approval(self) -> bool:
        """A self-registration that no QA admin has approved or rejected yet."""
        return self.status == AccountStatus.PENDING

    @property
    def registration_rejected(self) -> bool:
        """A QA admin rejected the registration; the person may register again."""
        return self.status == AccountStatus.REJECTED

    def get_id(self) -> str:
        return f"{self.id}:{self.auth_epoch or 0}"

    @property
    def email_domain(self) -> str:
        return self.email.rsplit("@", 1)[-1].lower()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


@functools.cache
def _dummy_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


def spend_password_check(password: str) -> None:
    """Check ``password`` against a throw-away hash, so that a sign-in with an unknown
    address takes as long as one with a wrong password (timing reveals no accounts)."""
    check_password_hash(_dummy_hash(), password or "")


class PasswordResetToken(Base):
    """A single-use, expiring reset token; only its SHA-256 is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship()


class SignInThrottle(Base):
    """Failed sign-ins with one e-mail address, whether or not an account uses it (so the
    lockout tells nobody which addresses have accounts). The address is stored only as a
    keyed hash; a row is deleted on success and forgotten a day after its last failure."""

    __tablename__ = "sign_in_throttle"

    address_key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(nullable=False, default=0)
    last_failure_at: Mapped[datetime] = mapped_column(nullable=False, index=True)
    locked_until: Mapped[datetime | None] = mapped_column(nullable=True)
