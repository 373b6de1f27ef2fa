"""How a view answers after an action: JSON for API-style requests, else flash + redirect."""

from __future__ import annotations

from flask import flash, jsonify, redirect

from qa_portal.core.errors import wants_json


def done(message: str, location: str, category: str = "success", **data):
    if wants_json():
        return jsonify(message=message, **data)
    flash(message, category)
    return redirect(location)
