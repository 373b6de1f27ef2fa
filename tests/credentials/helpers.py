"""Helpers of the credential tests: a DID document of given keys, and the reference
JavaScript verifier (verifier/verify.mjs) run on the portal's output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = ROOT / "verifier"


def did_document(did: str, *credential_keys) -> dict:
    """A did:web DID document listing these ``keys.CredentialKey`` as ``Multikey``
    assertion methods (for a DID document the portal would not serve)."""
    methods = [
        {
            "id": f"{did}#{key.key_id}",
            "type": "Multikey",
            "controller": did,
            "publicKeyMultibase": key.public_multibase,
        }
        for key in credential_keys
    ]
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def reference_verifier_missing() -> str | None:
    """Why the reference verifier cannot run here (None when it can). Under CI the
    missing verifier is a failure, never a skip."""
    if shutil.which("node") is None:
        reason = "node is not installed"
    elif not (VERIFIER / "node_modules").is_dir():
        reason = "verifier/node_modules is missing (run: cd verifier && npm ci)"
    else:
        return None
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the reference verifier, but {reason}.")
    return reason


def run_verifier(credential: dict, did_doc: dict, status_list: dict | None = None) -> dict:
    """``node verifier/verify.mjs`` on one credential: ``{verified, errors, status}``."""
    missing = reference_verifier_missing()
    if missing:
        pytest.skip(f"The reference verifier cannot run: {missing}.")
    request = {"credential": credential, "didDocument": did_doc}
    if status_list is not None:
        request["statusListCredential"] = status_list
    done = subprocess.run(
        ["node", str(VERIFIER / "verify.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout, done.stderr
    return json.loads(done.stdout)
