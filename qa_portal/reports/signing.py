"""Reports are signed by the QA body: its signer, and the words the signature carries.

The signer comes from the QA body's keys (``core.keys``). Until that module lands this is the
one place that knows where to find it: the ``REPORT_SIGNER`` setting (a pyHanko ``Signer``,
which the tests and the benchmark set).
"""

from __future__ import annotations

from flask import current_app

from qa_portal.core.pdf_signing import Signer, sign_pdf


class SigningKeysMissing(RuntimeError):
    """The QA body has no certificate to sign reports with."""


def report_signer() -> Signer:
    signer = current_app.config.get("REPORT_SIGNER")
    if signer is None:
        raise SigningKeysMissing(
            "The QA body has no certificate to sign reports with (flask keys create)."
        )
    return signer


def sign_report(pdf: bytes, content: dict) -> bytes:
    """``pdf``, the report rendered from ``content``, signed by the QA body."""
    body = content["qa_body"]
    report = content["report"]
    name = body["name"]
    return sign_pdf(
        pdf,
        report_signer(),
        reason=f"Issued by {name}: review report {report['number']}, revision {report['revision']}",
        location=body.get("country") or "",
        contact=body.get("email") or body.get("website") or "",
        name=name,
    )
