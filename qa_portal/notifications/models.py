"""Inbox messages and the log that keeps each reminder from being sent twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_portal.accounts.models import User
from qa_portal.core.models import Base, utcnow


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    title: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    url: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)

    user: Mapped[User] = relationship()

    __table_args__ = (sa.Index("ix_notification_user_unread", "user_id", "read_at"),)


class ReminderLog(Base):
    """One row per reminder sent: the unique key makes a second send impossible."""

    __tablename__ = "reminder_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    sent_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
