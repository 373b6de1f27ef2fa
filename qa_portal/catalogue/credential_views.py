"""The public credential checker (``/verify/credential``): paste or upload a learner's Open
Badges 3.0 or Europass credential and read whether its microcredential is in this catalogue,
approved when the credential was issued, and still approved. The checking is
``credential_check``'s; the credential is read in memory and never stored nor logged."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from qa_portal.catalogue import credential_check
from qa_portal.core import clock
from qa_portal.core.errors import InvalidInput
from qa_portal.extensions import limiter

bp = Blueprint("credentials", __name__)

JSON_SUFFIXES = (".json", ".jsonld", ".json-ld")


def _sent() -> tuple[str, bytes | str]:
    """Which field the credential came in (``file`` or ``credential``) and its content; a
    chosen file wins over pasted text. Reads at most one byte more than the limit."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        if not upload.filename.lower().endswith(JSON_SUFFIXES):
            raise _FieldError("file", "Choose the credential's JSON file (.json or .jsonld).")
        return "file", upload.stream.read(credential_check.CREDENTIAL_MAX_BYTES + 1)
    return "credential", request.form.get("credential", "")


class _FieldError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@bp.route("/verify/credential", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def check():
    pasted = request.form.get("credential", "") if request.method == "POST" else ""
    errors: dict[str, str] = {}
    result = None
    if request.method == "POST":
        field = "credential"
        try:
            field, raw = _sent()
            result = credential_check.check_raw(raw, clock.today())
        except _FieldError as exc:
            errors[exc.field] = exc.message
        except InvalidInput as exc:
            errors[field] = exc.message
    return render_template(
        "catalogue/credential_check.html",
        result=result,
        errors=errors,
        pasted=pasted[: credential_check.CREDENTIAL_MAX_BYTES],
        limit=credential_check.LIMIT_TEXT,
    ), (400 if errors else 200)
