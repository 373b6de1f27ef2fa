"""The QA body's keys: ``flask keys create`` makes an Ed25519 credential key and a PDF
signing certificate in files (never in the database), rotation keeps the old public keys,
and ``/.well-known/did.json`` publishes them as the ``did:web`` DID's Multikey methods."""

from __future__ import annotations

import stat
import threading

import base58
import pytest
import sqlalchemy as sa
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from flask import current_app

from qa_portal import create_app
from qa_portal.core import keys
from qa_portal.extensions import db
from tests import harness


@pytest.fixture
def fresh_keys(app, tmp_path):
    """The session's app with an empty keys folder of its own for the test."""
    before = app.config["SIGNING_KEYS_DIR"]
    app.config["SIGNING_KEYS_DIR"] = str(tmp_path / "keys")
    yield tmp_path / "keys"
    app.config["SIGNING_KEYS_DIR"] = before


def test_keys_create_makes_both_keys_in_files_and_none_in_the_database(app, fresh_keys):
    tables_before = _row_counts()
    result = app.test_cli_runner().invoke(
        args=["keys", "create", "--organisation", "Quality Agency"]
    )
    assert result.exit_code == 0, result.output
    assert "Made: credential key key-" in result.output
    assert "O=Quality Agency" in result.output
    assert "PDF signing certificate" in result.output
    private = list((fresh_keys / "credentials").glob("*.key.pem"))
    assert len(private) == 1
    assert stat.S_IMODE(private[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((fresh_keys / "pdf" / "signing.key.pem").stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate((fresh_keys / "pdf" / "signing.crt.pem").read_bytes())
    ca = x509.load_pem_x509_certificate((fresh_keys / "pdf" / "ca.crt.pem").read_bytes())
    assert cert.issuer == ca.subject and cert.subject != ca.subject
    cert.verify_directly_issued_by(ca)
    assert isinstance(cert.public_key(), rsa.RSAPublicKey)  # PDF/A-3 stays PDF 1.7
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert _row_counts() == tables_before  # nothing about keys went into the database
    again = app.test_cli_runner().invoke(args=["keys", "create"])
    assert "The keys exist already." in again.output


def test_the_did_document_lists_the_keys_as_multikey(client, fresh_keys):
    keys.ensure_keys()
    key = keys.current_credential_key()
    response = client.get("/.well-known/did.json")
    assert response.status_code == 200
    assert response.mimetype == "application/did+json"
    doc = response.get_json()
    assert doc["id"] == "did:web:qa.test"
    assert doc["@context"] == [
        "https://www.w3.org/ns/did/v1",
        "https://w3id.org/security/multikey/v1",
    ]
    (method,) = doc["verificationMethod"]
    assert method == {
        "id": f"did:web:qa.test#{key.key_id}",
        "type": "Multikey",
        "controller": "did:web:qa.test",
        "publicKeyMultibase": key.public_multibase,
    }
    assert doc["assertionMethod"] == [method["id"]]
    decoded = base58.b58decode(method["publicKeyMultibase"][1:])
    assert decoded[:2] == b"\xed\x01" and decoded[2:] == key.public_bytes
    assert method["publicKeyMultibase"].startswith("z6Mk")


def test_rotation_keeps_the_old_public_key_and_drops_its_private_key(app, client, fresh_keys):
    keys.ensure_keys()
    old = keys.current_credential_key()
    old_cert = keys.pdf_certificates()[0]
    result = app.test_cli_runner().invoke(args=["keys", "rotate", "--pdf"])
    assert result.exit_code == 0, result.output
    new = keys.current_credential_key()
    assert new.key_id != old.key_id and new.public_bytes != old.public_bytes
    assert [k.key_id for k in keys.credential_keys()] == [new.key_id, old.key_id]
    assert keys.credential_keys()[1].private_key is None
    assert not (fresh_keys / "credentials" / f"{old.key_id}.key.pem").exists()
    methods = client.get("/.well-known/did.json").get_json()["verificationMethod"]
    assert [m["publicKeyMultibase"] for m in methods] == [
        new.public_multibase,
        old.public_multibase,
    ]
    certificates = keys.pdf_certificates()
    assert certificates[0].serial_number != old_cert.serial_number
    assert old_cert.serial_number in [c.serial_number for c in certificates[1:]]
    assert "retired (public key kept)" in result.output


@pytest.mark.parametrize(
    ("base", "did"),
    [
        ("https://qa.example.org", "did:web:qa.example.org"),
        ("http://127.0.0.1:5000", "did:web:127.0.0.1%3A5000"),
        ("https://example.org/agency/qa", "did:web:example.org:agency:qa"),
    ],
)
def test_the_did_follows_the_public_base_url(app, base, did):
    before = app.config["PUBLIC_BASE_URL"]
    app.config["PUBLIC_BASE_URL"] = base
    try:
        assert keys.issuer_did() == did
    finally:
        app.config["PUBLIC_BASE_URL"] = before


def test_production_never_makes_a_key_silently(database_url, tmp_path):
    config = harness.test_config(database_url, tmp_path)
    config.update(ENV_MODE="production", TESTING=False, SERVER_NAME=None)
    config.update(PUBLIC_BASE_URL="https://qa.example.org")
    application = create_app(config)
    try:
        with application.app_context():
            with pytest.raises(keys.SigningKeysMissing, match="flask keys create"):
                keys.current_credential_key()
            with pytest.raises(keys.SigningKeysMissing, match="PDF_SIGNING_PKCS12"):
                keys.pdf_signer()
            result = application.test_cli_runner().invoke(args=["keys", "create"])
            assert result.exit_code != 0
            assert "PDF_SIGNING_PKCS12" in result.output  # the agency's own certificate
            assert keys.current_credential_key().private_key is not None  # this one was made
            made = application.test_cli_runner().invoke(
                args=["keys", "create", "--self-signed-pdf"]
            )
            assert made.exit_code == 0, made.output
            assert keys.pdf_signer() is not None
    finally:
        with application.app_context():
            db.engine.dispose()


def test_a_configured_pkcs12_certificate_signs_the_reports(app, fresh_keys, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    keys.ensure_keys()
    pdf = fresh_keys / "pdf"
    cert = x509.load_pem_x509_certificate((pdf / "signing.crt.pem").read_bytes())
    key = serialization.load_pem_private_key((pdf / "signing.key.pem").read_bytes(), None)
    ca = x509.load_pem_x509_certificate((pdf / "ca.crt.pem").read_bytes())
    bundle = tmp_path / "agency.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"agency", key, cert, [ca], BestAvailableEncryption(b"s3cret")
        )
    )
    current_app.config.update(PDF_SIGNING_PKCS12=str(bundle), PDF_SIGNING_PKCS12_PASSWORD="s3cret")
    try:
        signer = keys.pdf_signer()
        assert signer.signing_cert.serial_number == cert.serial_number
    finally:
        current_app.config.pop("PDF_SIGNING_PKCS12")
        current_app.config.pop("PDF_SIGNING_PKCS12_PASSWORD")


def _row_counts() -> dict[str, int]:
    db.session.commit()
    return {
        table.name: db.session.execute(sa.select(sa.func.count()).select_from(table)).scalar()
        for table in db.metadata.sorted_tables
    }


def test_a_long_qa_body_name_fits_the_certificate(app, fresh_keys):
    app.config["QA_BODY_NAME"] = "European Microcredential Quality Assurance Agency of the Regions"
    try:
        cert = keys.create_pdf_certificate()
    finally:
        app.config["QA_BODY_NAME"] = None
    names = [a.value for a in cert.subject] + [a.value for a in cert.issuer]
    assert all(len(n) <= 64 for n in names)
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value.startswith(
        "European Microcredential"
    )


def test_processes_starting_together_make_one_certificate_authority(app, fresh_keys):
    """The two reports of a decision render at once: on a fresh machine both need the keys,
    and every signer they get is issued by the one authority kept on disk."""
    signers = []

    def sign_up():
        with app.app_context():
            signers.append(keys.pdf_signer())

    threads = [threading.Thread(target=sign_up) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ca = x509.load_pem_x509_certificate((fresh_keys / "pdf" / "ca.crt.pem").read_bytes())
    serials = {s.signing_cert.serial_number for s in signers}
    assert len(signers) == 4 and len(serials) == 1
    leaf = keys.pdf_certificates()[0]
    leaf.verify_directly_issued_by(ca)
    assert not (fresh_keys / "pdf" / "retired").exists()  # made once, never replaced
