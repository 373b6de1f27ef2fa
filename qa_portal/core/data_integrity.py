"""W3C Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite ("Data Integrity EdDSA
Cryptosuites v1.0", §3.3), the proof the QA body puts on its verifiable credentials.

Signing follows the specification's steps exactly:

1. *Transformation*: the document without its proof in RDFC-1.0 canonical N-Quads (PyLD's
   ``URDNA2015``, the same algorithm under its former name).
2. *Proof configuration*: the proof options (``type``, ``cryptosuite``, ``created`` if given,
   ``verificationMethod``, ``proofPurpose``) with the document's ``@context``, canonicalised
   the same way.
3. *Hashing*: ``sha256(canonical proof configuration) || sha256(canonical document)``.
4. *Serialization*: the Ed25519 signature of those 64 bytes, as a multibase base58btc string
   (``z…``) in ``proofValue``.

Every JSON-LD context is read from the files shipped in ``qa_portal/data/contexts`` by
``local_loader``: a context this module does not know is an error, never a network fetch
(a remote context could change what a signed credential says).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"

# Context URL -> file in qa_portal/data/contexts (their sources: the README there).
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
}


class UnknownContext(LookupError):
    """A JSON-LD document named a context the portal does not ship (never fetched)."""


@functools.cache
def _context(name: str) -> dict[str, Any]:
    text = resources.files("qa_portal").joinpath("data", "contexts", name).read_text("utf-8")
    return json.loads(text)


def local_loader(url: str, options: dict | None = None) -> dict[str, Any]:
    """PyLD document loader answering only the shipped contexts (``UnknownContext`` else)."""
    name = CONTEXT_FILES.get(url)
    if name is None:
        raise UnknownContext(
            f"JSON-LD context {url!r} is not shipped with the portal "
            "(qa_portal/data/contexts); remote contexts are never fetched."
        )
    return {"contextUrl": None, "documentUrl": url, "document": copy.deepcopy(_context(name))}


def canonical_nquads(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (contexts from local files)."""
    try:
        return jsonld.normalize(
            document,
            {
                "algorithm": "URDNA2015",
                "format": "application/n-quads",
                "documentLoader": local_loader,
                "safe": True,
            },
        )
    except jsonld.JsonLdError as error:
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, UnknownContext):
            cause = getattr(cause, "cause", None) or cause.__context__
        if cause is not None:
            raise cause from error
        raise


def xsd_datetime(moment: datetime) -> str:
    """``2026-12-07T21:42:00Z``: an XML Schema dateTime in UTC, to the second."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + "Z"


def hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    """The 64 bytes signed: sha256(canonical proof configuration) || sha256(canonical
    document), the proof configuration taking the document's ``@context`` (§3.3.4–3.3.5)."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config = {k: v for k, v in proof_options.items() if k != "proofValue"}
    config["@context"] = unsecured["@context"]
    config_hash = hashlib.sha256(canonical_nquads(config).encode("utf-8")).digest()
    document_hash = hashlib.sha256(canonical_nquads(unsecured).encode("utf-8")).digest()
    return config_hash + document_hash


def proof_options(verification_method: str, created: datetime | None) -> dict[str, Any]:
    """The proof's options; ``created`` is optional (Data Integrity §2.1), and without it
    the same document signed with the same key gives the same bytes (Ed25519 is
    deterministic), so a copy can be cached and compared."""
    options = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE}
    if created is not None:
        options["created"] = xsd_datetime(created)
    return options | {"verificationMethod": verification_method, "proofPurpose": PROOF_PURPOSE}


def sign(
    document: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None,
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-rdfc-2022`` ``DataIntegrityProof`` made with
    ``private_key``, naming ``verification_method`` (a DID URL of the issuer's key)."""
    if "@context" not in document:
        raise ValueError("A document to sign needs an @context.")
    options = proof_options(verification_method, created)
    signature = private_key.sign(hash_data(document, options))
    secured = {k: v for k, v in document.items() if k != "proof"}
    secured["proof"] = {**options, "proofValue": "z" + base58.b58encode(signature).decode()}
    return secured


def _the_proof(document: dict[str, Any]) -> dict[str, Any] | None:
    proof = document.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        return None
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        return None
    if not isinstance(proof.get("proofValue"), str) or not proof["proofValue"].startswith("z"):
        return None
    return proof


def verify(document: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether ``document`` carries one ``eddsa-rdfc-2022`` proof made by ``public_key``
    over exactly this content (any change to a signed statement, or to the proof options,
    makes it false)."""
    proof = _the_proof(document)
    if proof is None:
        return False
    try:
        signature = base58.b58decode(proof["proofValue"][1:])
    except ValueError:
        return False
    if len(signature) != 64:
        return False
    if "@context" in proof and proof["@context"] != document.get("@context"):
        return False
    try:
        public_key.verify(signature, hash_data(document, proof))
    except InvalidSignature:
        return False
    return True
