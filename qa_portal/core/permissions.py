"""Role checks for views. Object-level rules live on the models (``dossier.can_view(user)``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def roles_required(*roles: str) -> Callable:
    """Signed-in users holding at least one of ``roles``; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403, description=f"needs the role {' or '.join(map(str, roles))}")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_or_404(obj, predicate: Callable[[object], bool] | None = None):
    """Return ``obj`` if it exists and the user may see it; never reveal that it exists."""
    if obj is None:
        abort(404)
    check = predicate or obj.can_view
    if not check(current_user):
        abort(404)
    return obj
