"""The QA body's signing keys and its public identity, kept in files, never in the database.

Two keys, for two kinds of signature:

* an **Ed25519 key** signs credentials (Data Integrity proofs, ``eddsa-rdfc-2022``): the
  endorsement of every approved listing and the status list. Its public part is published in
  the QA body's ``did:web`` DID document (``/.well-known/did.json``) as a ``Multikey``.
* an **X.509 certificate** with its key signs the PDF reports (PAdES). In development
  ``flask keys create`` makes a self-signed certificate authority and a signing certificate
  issued by it; in production an agency configures the certificate it was issued, as a
  PKCS#12 file (``PDF_SIGNING_PKCS12`` and ``PDF_SIGNING_PKCS12_PASSWORD``) or as PEM files
  (``PDF_SIGNING_CERT``, ``PDF_SIGNING_KEY``, optionally ``PDF_SIGNING_CHAIN``).

The files live in ``SIGNING_KEYS_DIR`` (default ``instance/keys``)::

    credentials/<key id>.key.pem    the current Ed25519 private key (PKCS#8, mode 0600)
    credentials/<key id>.pub.pem    every public key, current and retired
    pdf/ca.crt.pem, pdf/ca.key.pem  the development certificate authority
    pdf/signing.crt.pem, pdf/signing.key.pem   the signing certificate and its key
    pdf/retired/<serial>.crt.pem    earlier signing certificates

Rotation (``flask keys rotate``) makes a new key and deletes the old private key, but keeps
its public key, which the DID document goes on listing: credentials signed before still
verify. Key ids sort by creation date (``key-20261207-3fa1c2``), the newest being current.

Outside production a missing key is made on first use, so a fresh development machine needs
no step; in production a missing key is an error telling the operator to run
``flask keys create``.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import os
import secrets
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import base58
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from flask import current_app

from qa_portal.core import clock
from qa_portal.core.errors import DomainError
from qa_portal.core.urls import DEV_BASE_URL

ED25519_MULTICODEC = b"\xed\x01"
CERTIFICATE_YEARS = 5
PRODUCTION_PDF_CERTIFICATE = (
    "Production signs the PDF reports with the agency's own certificate: set "
    "PDF_SIGNING_PKCS12 (and PDF_SIGNING_PKCS12_PASSWORD), or PDF_SIGNING_CERT and "
    "PDF_SIGNING_KEY; or run `flask keys create --self-signed-pdf` to make a self-signed one."
)


class SigningKeysMissing(DomainError):
    """The QA body has no signing key (production: ``flask keys create`` was not run)."""

    status_code = 409
    code = "signing_keys_missing"


@dataclass(frozen=True)
class CredentialKey:
    """One Ed25519 key of the QA body; ``private_key`` only for the current one."""

    key_id: str
    public_key: ed25519.Ed25519PublicKey
    private_key: ed25519.Ed25519PrivateKey | None = None

    @property
    def public_bytes(self) -> bytes:
        return self.public_key.public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_multibase(self) -> str:
        """The public key as a Multikey value: ``z`` + base58btc(0xed01 ‖ key)."""
        return "z" + base58.b58encode(ED25519_MULTICODEC + self.public_bytes).decode()

    @property
    def verification_method(self) -> str:
        return f"{issuer_did()}#{self.key_id}"


# -- where and who -------------------------------------------------------------------------


def keys_dir() -> Path:
    configured = current_app.config.get("SIGNING_KEYS_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "keys"


def _base_url() -> str:
    return current_app.config.get("PUBLIC_BASE_URL") or DEV_BASE_URL


def issuer_did() -> str:
    """The QA body's ``did:web`` DID, from ``PUBLIC_BASE_URL``: the host (a port encoded as
    ``%3A``) and any path segments joined by ``:`` (the did:web method's rule)."""
    parts = urlsplit(_base_url())
    host = parts.hostname or "localhost"
    if parts.port:
        host += quote(f":{parts.port}")
    segments = [quote(s, safe="") for s in parts.path.split("/") if s]
    return ":".join(["did:web", host, *segments])


def _production() -> bool:
    return current_app.config.get("ENV_MODE") == "production"


def _missing(what: str) -> SigningKeysMissing:
    return SigningKeysMissing(
        f"The QA body has no {what}. Run `flask keys create` (see the README's section on "
        "signing keys)."
    )


# -- credentials: Ed25519 ------------------------------------------------------------------


def _credentials_dir() -> Path:
    return keys_dir() / "credentials"


def _new_key_id(public_key: ed25519.Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"key-{clock.today():%Y%m%d}-{hashlib.sha256(raw).hexdigest()[:6]}"


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by the owner only, complete or not at all."""
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(draft, path)


def create_credential_key(directory: Path | None = None) -> CredentialKey:
    """A new Ed25519 key, which becomes the current one; the previous private key is
    deleted, its public key kept."""
    directory = directory or _credentials_dir()
    directory.mkdir(parents=True, exist_ok=True)
    private = ed25519.Ed25519PrivateKey.generate()
    key_id = _new_key_id(private.public_key())
    for old in directory.glob("*.key.pem"):
        old.unlink()
    (directory / f"{key_id}.pub.pem").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    _write_private(
        directory / f"{key_id}.key.pem",
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    return CredentialKey(key_id, private.public_key(), private)


def credential_keys() -> list[CredentialKey]:
    """Every public key of the QA body, the current one first, then the retired ones from
    the newest."""
    directory = _credentials_dir()
    found = []
    for path in sorted(directory.glob("*.pub.pem"), reverse=True):
        key_id = path.name.removesuffix(".pub.pem")
        public = serialization.load_pem_public_key(path.read_bytes())
        private_path = directory / f"{key_id}.key.pem"
        private = (
            serialization.load_pem_private_key(private_path.read_bytes(), password=None)
            if private_path.exists()
            else None
        )
        found.append(CredentialKey(key_id, public, private))
    found.sort(key=lambda k: k.private_key is None)  # stable: the newest first otherwise
    return found


def current_credential_key() -> CredentialKey:
    """The key credentials are signed with now (made on first use outside production)."""
    keys = credential_keys()
    if keys and keys[0].private_key is not None:
        return keys[0]
    if _production():
        raise _missing("key for signing credentials")
    with _one_maker():
        keys = credential_keys()  # another process may have made it meanwhile
        if keys and keys[0].private_key is not None:
            return keys[0]
        return create_credential_key()


@contextmanager
def _one_maker():
    """One process at a time makes keys: the two reports of a decision render at once, and
    both would otherwise make a certificate authority on a fresh machine."""
    root = keys_dir()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:  # hidden: never in a backup
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def did_document() -> dict:
    """The QA body's DID document: every key, current and retired, as a ``Multikey``
    verification method for assertions (credentials signed with a retired key verify)."""
    did = issuer_did()
    if not credential_keys() and not _production():
        current_credential_key()
    methods = [
        {
            "id": key.verification_method,
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_multibase,
        }
        for key in credential_keys()
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "service": [
            {"id": f"{did}#portal", "type": "LinkedDomains", "serviceEndpoint": _base_url()}
        ],
    }


# -- PDF signing: X.509 --------------------------------------------------------------------


def _pdf_dir() -> Path:
    return keys_dir() / "pdf"


def _name(common_name: str, organisation: str | None) -> x509.Name:
    """A certificate's name; X.509 allows 64 characters for each part (RFC 5280's ub-…)."""
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name))]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)))
    return x509.Name(attributes)


def _fit(text: str, limit: int = 64) -> str:
    """Cut to ``limit`` bytes of UTF-8 (the library counts bytes), on a character boundary."""
    return text.encode()[:limit].decode(errors="ignore").rstrip()


def _pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=365 * CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
        .add_extension(
            x509.KeyUsage(
                digital_signature=not ca,
                content_commitment=not ca,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False
        )
    return builder.sign(signing_key, hashes.SHA256())


def create_pdf_certificate(
    directory: Path | None = None, organisation: str | None = None
) -> x509.Certificate:
    """A signing certificate (RSA-3072) issued by the development certificate authority,
    which is made first if there is none; a previous signing certificate is retired.

    RSA rather than ECDSA: with an ECDSA key pyHanko declares ISO 32002 and raises the file
    to PDF 2.0, which PDF/A-3 does not allow; every PDF reader checks RSA signatures."""
    directory = directory or _pdf_dir()
    directory.mkdir(parents=True, exist_ok=True)
    organisation = organisation or current_app.config.get("QA_BODY_NAME")
    body = organisation or "QA Portal"
    ca_cert_path, ca_key_path = directory / "ca.crt.pem", directory / "ca.key.pem"
    if ca_cert_path.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(ca_cert_path.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = _name(f"{body} signing authority (development)", organisation)
        ca_cert = _certificate(name, name, ca_key.public_key(), ca_key, ca=True)
        _write_private(ca_key_path, _pem_key(ca_key))
        ca_cert_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    current = directory / "signing.crt.pem"
    if current.exists():
        retired = directory / "retired"
        retired.mkdir(exist_ok=True)
        serial = x509.load_pem_x509_certificate(current.read_bytes()).serial_number
        shutil.copyfile(current, retired / f"{serial:x}.crt.pem")
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    subject = _name(f"{body} review reports", organisation)
    cert = _certificate(subject, ca_cert.subject, key.public_key(), ca_key, ca=False)
    _write_private(directory / "signing.key.pem", _pem_key(key))
    current.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert


def _configured_pdf_signer():
    """The signer from a configured PKCS#12 or PEM certificate, or None."""
    from pyhanko.sign import signers  # lazy: pyHanko is loaded by the rendering job only

    config = current_app.config
    if config.get("PDF_SIGNING_PKCS12"):
        password = config.get("PDF_SIGNING_PKCS12_PASSWORD") or ""
        return signers.SimpleSigner.load_pkcs12(
            config["PDF_SIGNING_PKCS12"], passphrase=password.encode() or None
        )
    if config.get("PDF_SIGNING_CERT") and config.get("PDF_SIGNING_KEY"):
        chain = [config["PDF_SIGNING_CHAIN"]] if config.get("PDF_SIGNING_CHAIN") else None
        return signers.SimpleSigner.load(
            config["PDF_SIGNING_KEY"], config["PDF_SIGNING_CERT"], ca_chain_files=chain
        )
    return None


def pdf_signer(organisation: str | None = None):
    """The pyHanko signer of the PDF reports: the configured certificate, else the one in
    ``SIGNING_KEYS_DIR`` (made on first use outside production, in the name of
    ``organisation``: the QA body's name, by default ``QA_BODY_NAME``)."""
    from pyhanko.sign import signers  # lazy: pyHanko is loaded by the rendering job only
    from pyhanko_certvalidator.registry import SimpleCertificateStore  # lazy: as above

    configured = _configured_pdf_signer()
    if configured is not None:
        return configured
    directory = _pdf_dir()
    if not (directory / "signing.crt.pem").exists():
        if _production():
            raise SigningKeysMissing(PRODUCTION_PDF_CERTIFICATE)
        with _one_maker():
            if not (directory / "signing.crt.pem").exists():
                create_pdf_certificate(organisation=organisation)
    # The portal's own key, checked by OpenSSL when it was made: read without checking the
    # RSA primes again (0.1 s for RSA-3072, a tenth of a report's rendering).
    key = serialization.load_pem_private_key(
        (directory / "signing.key.pem").read_bytes(),
        password=None,
        unsafe_skip_rsa_key_validation=True,
    )
    cert, ca = (
        asn1_x509.Certificate.load(
            x509.load_pem_x509_certificate(path.read_bytes()).public_bytes(Encoding.DER)
        )
        for path in (directory / "signing.crt.pem", directory / "ca.crt.pem")
    )
    return signers.SimpleSigner(
        signing_cert=cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs([cert, ca]),
    )


def pdf_trust_roots() -> list[x509.Certificate]:
    """The certificates a report's signature is checked against: the development
    certificate authority, and the roots in ``PDF_SIGNING_TRUST_ROOTS`` (a PEM file)."""
    roots = []
    ca = _pdf_dir() / "ca.crt.pem"
    if ca.exists():
        roots.append(x509.load_pem_x509_certificate(ca.read_bytes()))
    configured = current_app.config.get("PDF_SIGNING_TRUST_ROOTS")
    if configured:
        roots.extend(x509.load_pem_x509_certificates(Path(configured).read_bytes()))
    return roots


def pdf_certificates() -> list[x509.Certificate]:
    """The signing certificate in use and the retired ones in ``SIGNING_KEYS_DIR``."""
    directory = _pdf_dir()
    paths = [directory / "signing.crt.pem", *sorted((directory / "retired").glob("*.pem"))]
    return [x509.load_pem_x509_certificate(p.read_bytes()) for p in paths if p.exists()]


def ensure_keys(*, self_signed_pdf: bool = False, organisation: str | None = None) -> list[str]:
    """Make whichever key is missing (``flask keys create``, ``flask demo``); what was made.

    In production the PDF certificate is the agency's own, configured; a self-signed one is
    made there only when asked (``self_signed_pdf``)."""
    with _one_maker():
        return _make_missing_keys(self_signed_pdf, organisation)


def _make_missing_keys(self_signed_pdf: bool, organisation: str | None) -> list[str]:
    made = []
    if not any(k.private_key for k in credential_keys()):
        made.append(f"credential key {create_credential_key().key_id}")
    if _configured_pdf_signer() is None and not (_pdf_dir() / "signing.crt.pem").exists():
        if _production() and not self_signed_pdf:
            raise SigningKeysMissing(PRODUCTION_PDF_CERTIFICATE)
        cert = create_pdf_certificate(organisation=organisation)
        made.append(f"PDF signing certificate {cert.serial_number:x}")
    return made
