"""The in-app inbox: every notification a person received, unread first; opening one from
the inbox (a POST) marks it read."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from qa_portal.core.db import commit
from qa_portal.core.pagination import paginate
from qa_portal.core.responses import done
from qa_portal.extensions import db
from qa_portal.notifications import operations
from qa_portal.notifications.models import Notification

bp = Blueprint("inbox", __name__, url_prefix="/inbox")


def _unread() -> int:
    if not current_user.is_authenticated:
        return 0
    return operations.unread_count(current_user)


@bp.app_context_processor
def _inbox_count() -> dict:
    """The header's inbox link shows the number of unread notifications (read on use)."""
    return {"unread_notifications": _unread}


def is_local_path(url: str) -> bool:
    """A path on this site: not another host, even as browsers read ``//``, ``/\\`` or
    control characters (they drop tabs and newlines and treat a backslash as a slash)."""
    return (
        url.startswith("/")
        and not url.startswith("//")
        and not any(ord(c) < 32 or c == "\\" for c in url)
    )


@bp.get("/")
@login_required
def index():
    show = request.args.get("show", "all")
    query = sa.select(Notification).where(Notification.user_id == current_user.id)
    if show == "unread":
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(
        Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc()
    )
    page = paginate(query, per_page=30)
    return render_template(
        "notifications/inbox.html",
        page=page,
        show=show,
        unread=operations.unread_count(current_user),
    )


@bp.route("/<int:notification_id>", methods=["GET", "POST"])
@login_required
def open_notification(notification_id: int):
    """Go to the page a notification is about. The inbox opens an unread entry with a POST,
    which marks it read on the way; a GET (a bookmarked or shared link) only goes there,
    since following a link never changes anything."""
    note = db.session.get(Notification, notification_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    if request.method == "POST":
        operations.mark_read(current_user, [note.id])
        commit()
    return redirect(note.url if is_local_path(note.url) else url_for("inbox.index"))


@bp.post("/read")
@login_required
def mark_all_read():
    count = operations.mark_read(current_user)
    commit()
    return done(
        f"{count} notification(s) marked as read.", url_for("inbox.index"), "info", marked=count
    )
