"""PAdES signatures on PDF documents (pyHanko), and what a signed PDF says about its signer.

``sign_pdf`` adds one invisible signature (PAdES baseline B-B: a CAdES detached signature
with the signing certificate among its signed attributes, SHA-256, the ``ETSI.CAdES.detached``
sub-filter) as an incremental update: the bytes WeasyPrint wrote are kept as they are, so the
tagging (structure tree, ``/MarkInfo``), the PDF/A identification in the XMP packet, the
output intent and the attachments all survive; the signature covers the whole file.

``describe_signature`` reads a PDF given to the portal (an upload on the verification page)
and says who signed it, when, and whether the signature is intact, valid, trusted (its
certificate leads to one of the given roots: the QA body's CA) and covers the entire file —
a file signed again, or changed after signing in any way, is not covered entirely.
"""

from __future__ import annotations

import asyncio
import copy
import io
import warnings
import zlib
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

# cryptography 51 deprecates DSA, and pyHanko imports its DSA key type (to tell the key types
# apart) when it is imported: one CryptographyDeprecationWarning per process that has nothing
# to do with us (no DSA key is used anywhere). Exactly that notice is ignored, and only while
# pyHanko's modules are imported; the lock keeps cryptography < 51 anyway.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
    )
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.metadata.model import VENDOR
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import get_pyca_cryptography_hash
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

FIELD_NAME = "QA-body-signature"
PADES_SUBFILTER = "/ETSI.CAdES.detached"
SIGNATURE_MARGIN = 4096  # bytes: signature value (RSA-4096: 512), signed attributes, slack

Signer = signers.Signer


def sign_pdf(
    pdf: bytes,
    signer: Signer,
    *,
    reason: str,
    location: str,
    contact: str,
    name: str | None = None,
    field_name: str = FIELD_NAME,
) -> bytes:
    """``pdf`` with a PAdES B-B signature by ``signer`` appended (an incremental update).

    The signature dictionary carries ``reason``, ``location``, ``contact`` (how to reach the
    signer) and ``name`` (the signer's name as printed; by default the certificate's)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    _keep_archival_metadata_consistent(writer)
    metadata = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        contact_info=contact,
        name=name,
    )
    if isinstance(signer, signers.SimpleSigner):
        signer = _ParsedKeySigner.of(signer)
    pdf_signer = signers.PdfSigner(metadata, signer)
    out = _run(
        lambda: pdf_signer.async_sign_pdf(writer, bytes_reserved=_space_for_signature(signer))
    )
    return out.getvalue()


def _run(coroutine):
    """The result of ``coroutine()``, run to completion on an event loop of its own.

    pyHanko's synchronous calls start one with ``asyncio.run``, which refuses to run in a
    thread whose event loop is already running (a server or a test harness built on
    asyncio); there the coroutine runs in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine())
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-signing") as pool:
        return pool.submit(lambda: asyncio.run(coroutine())).result()


class _ParsedKeySigner(signers.SimpleSigner):
    """A ``SimpleSigner`` that does not check its RSA key again to sign.

    pyHanko's ``SimpleSigner.sign_raw`` parses the private key anew for every signature,
    and OpenSSL checks an RSA key as it is parsed (its primes): about 0.1 s for an RSA-3072
    key, a tenth of the rendering. The key was checked when the signer was loaded from its
    file (``SimpleSigner.load``, ``load_pkcs12``), so it is parsed here once more without
    that check. Mechanisms other than RSA PKCS#1 v1.5 and ECDSA are left to pyHanko."""

    _private_key: Any

    @classmethod
    def of(cls, signer: signers.SimpleSigner) -> _ParsedKeySigner:
        parsed = copy.copy(signer)
        parsed.__class__ = cls
        parsed._private_key = serialization.load_der_private_key(
            signer.signing_key.dump(), password=None, unsafe_skip_rsa_key_validation=True
        )
        return parsed

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self._private_key
        if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hash_algorithm)
        if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algorithm))
        return super().sign_raw(data, digest_algorithm)


def _space_for_signature(signer: Signer) -> int | None:
    """Room for the CMS signature (hexadecimal digits): its certificates, the signature value
    and signed attributes, with a wide margin. Without it pyHanko makes a trial signature
    first to measure it: a second private-key operation (and RSA key load) per report."""
    if signer.signing_cert is None:
        return None  # pyHanko measures
    certificates = [signer.signing_cert, *(signer.cert_registry or ())]
    return 2 * (sum(len(cert.dump()) for cert in certificates) + SIGNATURE_MARGIN)


def _keep_archival_metadata_consistent(writer: IncrementalPdfFileWriter) -> None:
    """Two things PDF/A asks of the revision the signature adds.

    pyHanko writes itself as the producer: ``pdf:Producer`` in the XMP packet, and appended
    to ``/Producer`` in the information dictionary ("WeasyPrint 70; pyHanko 0.38"). PDF/A
    wants the two to say the same, so the dictionary's entry is set to what the packet will
    say. WeasyPrint 70 lists each PDF/A-3 attachment twice in the catalogue's ``/AF``; the
    duplicate is dropped."""
    try:
        info_ref = writer.trailer.raw_get("/Info")
    except KeyError:
        info_ref = None
    if isinstance(info_ref, generic.IndirectObject):
        info_ref.get_object()["/Producer"] = generic.TextStringObject(VENDOR)
        writer.mark_update(info_ref)
    root = writer.root
    if "/AF" in root:
        unique: list = []
        for ref in root["/AF"]:
            if ref not in unique:
                unique.append(ref)
        if len(unique) != len(root["/AF"]):
            root["/AF"] = generic.ArrayObject(unique)
            writer.update_root()


@dataclass(frozen=True)
class SignatureInfo:
    """What the first signature of a PDF says, and what checking it found.

    Whether an uploaded file is the report as issued is the SHA-256 comparison
    (``reports.operations.verify_bytes``): the room left after the signature value is, as in
    every PDF signature, outside what it covers. The signature says who issued the file,
    when, and that nothing was added after it."""

    signer_name: str  # the common name of the signing certificate's subject
    signer_organisation: str | None
    signed_at: datetime | None  # as the signer reported it (the signature's /M)
    field_name: str
    subfilter: str
    intact: bool  # the signed bytes hash to the digest in the signature
    valid: bool  # the signature over that digest checks out with the certificate
    trusted: bool  # the certificate leads to one of the trust roots given
    coverage: str  # "entire file", "entire revision" (something was added after it), …
    signatures: int  # how many signatures the file carries

    @property
    def covers_entire_file(self) -> bool:
        return self.coverage == SignatureCoverageLevel.ENTIRE_FILE.name

    @property
    def is_sound(self) -> bool:
        """Intact, valid, trusted, the only signature, and nothing after it."""
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.covers_entire_file
            and self.signatures == 1
        )


# What a damaged or hostile upload makes pyHanko raise while it reads or checks a signature
# (found by changing bytes of signed reports at random: its xref parser asserts, zlib fails
# on a broken stream, a mangled certificate fails the signing-certificate check…).
UNREADABLE = (
    PdfError,
    SignatureValidationError,
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
    AssertionError,
    ArithmeticError,
    NotImplementedError,
    RecursionError,
    zlib.error,
)


def describe_signature(
    pdf: bytes, trust_roots: Iterable[x509.Certificate | asn1_x509.Certificate] = ()
) -> SignatureInfo | None:
    """The first signature of ``pdf`` checked against ``trust_roots`` (none given: it cannot
    be trusted, but intact, valid and coverage are still checked); None for a file that is
    not a readable PDF or carries no signature. A signature that cannot be read or checked
    at all is described as neither intact nor valid. Nothing is fetched from the network."""
    try:
        embedded = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except UNREADABLE:
        return None
    if not embedded:
        return None
    context = ValidationContext(
        trust_roots=[_as_asn1(c) for c in trust_roots], allow_fetching=False
    )
    first = embedded[0]
    try:
        cert = first.signer_cert
        status = _run(lambda: async_validate_pdf_signature(first, context))
    except UNREADABLE:
        return _unusable(first, len(embedded))
    return SignatureInfo(
        signer_name=_subject_field(cert, "common_name") or "",
        signer_organisation=_subject_field(cert, "organization_name"),
        signed_at=status.signer_reported_dt,
        field_name=first.field_name,
        subfilter=str(first.sig_object.get("/SubFilter", "")),
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        coverage=status.coverage.name if status.coverage else "UNCLEAR",
        signatures=len(embedded),
    )


def _unusable(signature, count: int) -> SignatureInfo:
    """A signature whose certificate or value cannot be read: nothing holds."""
    return SignatureInfo(
        signer_name="",
        signer_organisation=None,
        signed_at=None,
        field_name=str(signature.field_name or ""),
        subfilter=str(signature.sig_object.get("/SubFilter", "")),
        intact=False,
        valid=False,
        trusted=False,
        coverage="UNCLEAR",
        signatures=count,
    )


def _as_asn1(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))


def _subject_field(cert: asn1_x509.Certificate, name: str) -> str | None:
    value = cert.subject.native.get(name)
    if isinstance(value, list):  # a name may carry the attribute more than once
        value = value[0] if value else None
    return value
