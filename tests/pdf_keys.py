"""PDF signing keys held in memory — somebody else's, for the tests that sign a report again
or check it against the wrong authority: a CA and a signing certificate it issued (ECDSA
P-256 or RSA-2048, SHA-256). ``write_pem`` writes them as the PEM files the
``PDF_SIGNING_CERT``/``PDF_SIGNING_KEY``/``PDF_SIGNING_CHAIN`` settings name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)
from cryptography.x509.oid import NameOID

from qa_portal.core.pdf_signing import signers


@dataclass(frozen=True)
class PdfKeys:
    ca: x509.Certificate
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

    @property
    def signer(self) -> signers.SimpleSigner:
        return as_signer(self)


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )


def _usage(*, sign: bool, certify: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,  # non-repudiation
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=certify,
        crl_sign=certify,
        encipher_only=False,
        decipher_only=False,
    )


def _new_key(algorithm: str):
    if algorithm == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def make_pdf_keys(organisation: str, algorithm: str = "ec") -> PdfKeys:
    """A CA (``BasicConstraints(ca=True)``, keyCertSign) and a signing certificate issued by
    it (digitalSignature + nonRepudiation), with ECDSA P-256 keys (``algorithm="ec"``) or
    RSA-2048 ones (``"rsa"``), signed with SHA-256."""
    now = datetime.now(UTC)
    ca_key = _new_key(algorithm)
    ca_name = _name(f"{organisation} CA", organisation)
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(sign=False, certify=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = _new_key(algorithm)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{organisation} report signing", organisation))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=825))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(sign=True, certify=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    return PdfKeys(ca=ca, certificate=certificate, key=key)


def as_signer(keys: PdfKeys) -> signers.SimpleSigner:
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    return signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(keys.certificate.public_bytes(Encoding.DER)),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            keys.key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(keys.ca.public_bytes(Encoding.DER))]
        ),
    )


def write_pem(keys: PdfKeys, directory) -> dict[str, str]:
    """The keys as PEM files in ``directory``: the settings that make the portal use them."""
    from pathlib import Path

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "PDF_SIGNING_CERT": ("signing.crt.pem", keys.certificate.public_bytes(Encoding.PEM)),
        "PDF_SIGNING_KEY": (
            "signing.key.pem",
            keys.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()),
        ),
        "PDF_SIGNING_CHAIN": ("ca.crt.pem", keys.ca.public_bytes(Encoding.PEM)),
    }
    settings = {}
    for setting, (name, data) in files.items():
        (directory / name).write_bytes(data)
        settings[setting] = str(directory / name)
    return settings
