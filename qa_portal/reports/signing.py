"""Reports are signed by the QA body: its certificate (``core.keys.pdf_signer``: the
configured PKCS#12 or PEM certificate, else the one in ``SIGNING_KEYS_DIR``, made on first
use outside production), and the words the signature carries.

Without a certificate (production, ``flask keys create`` not run) ``keys.SigningKeysMissing``
fails the rendering with its reason, which the report's page shows; the QA body tries again
once the certificate is in place. A report is never issued unsigned.
"""

from __future__ import annotations

from qa_portal.core import keys
from qa_portal.core.pdf_signing import SignatureInfo, describe_signature, sign_pdf


def sign_report(pdf: bytes, content: dict) -> bytes:
    """``pdf``, the report rendered from ``content``, signed by the QA body."""
    body = content["qa_body"]
    report = content["report"]
    return sign_pdf(
        pdf,
        keys.pdf_signer(organisation=body["name"]),
        reason=f"Issued by {body['name']}: review report {report['number']}, "
        f"revision {report['revision']}",
        location=body.get("country") or "",
        contact=body.get("email") or body.get("website") or "",
        name=body["name"],
    )


def signature_of(pdf: bytes) -> SignatureInfo | None:
    """The first signature on ``pdf`` (a stored report), checked against the QA body's trust
    roots (``keys.pdf_trust_roots``); None when it carries none."""
    return describe_signature(pdf, keys.pdf_trust_roots())
