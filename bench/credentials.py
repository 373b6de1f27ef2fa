"""Benchmark of the signed endorsements: ``python bench/credentials.py [--count N] [--smoke]``.

Signs and then verifies N endorsement credentials (1,000 by default) of the shape the
portal serves (``catalogue/exports/ob3.py``: VC 2.0 + OB 3.0 contexts, a DID issuer
Profile, a ``BitstringStatusListEntry``, a comment of a few hundred characters, each one
different), in the same process and run, in two ways:

* **portal** — ``qa_portal.core.data_integrity.sign`` / ``verify``: ``eddsa-rdfc-2022``,
  i.e. RDFC-1.0 canonical N-Quads of the document and of the proof configuration (PyLD,
  contexts from the shipped files), two SHA-256, one Ed25519 signature;
* **bare** — one Ed25519 signature (``cryptography``) of the very same canonical N-Quads
  bytes of the document, and its verification: the cost of the signature alone.

Prints the median time of each operation (and the 90th percentile), and the ratio portal /
bare, which is the price of the canonical form. ``--smoke`` (CI) runs 50 of each; it only
reports (no target is set for the ratio: the canonicalisation dominates by design).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DID = "did:web:qa.example.org"
METHOD = f"{DID}#key-1"


def endorsement(n: int) -> dict:
    """The n-th endorsement, shaped as the portal's (catalogue/exports/ob3.py)."""
    page = f"https://qa.example.org/catalogue/{n}"
    comment = (
        f"Quality Agency approved this microcredential on 0{1 + n % 9} March 2026 after an "
        "external quality-assurance review (decision: Approved with conditions). The approval "
        f"is valid from 0{1 + n % 9} March 2026 until 28 February 2031.\n\nConditions:\n\n"
        f"- Publish the assessment rubric {n}. (due 30 June 2026): open\n\n"
        f"Public review report: https://qa.example.org/reports/{n}/download (verify it at "
        f"https://qa.example.org/verify/R{n:06d})."
    )
    status = "https://qa.example.org/credentials/status/1"
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"{page}#decision-{n}",
        "type": ["VerifiableCredential", "EndorsementCredential"],
        "name": f"Approved with conditions by Quality Agency: Cloud Operations {n}",
        "issuer": {
            "id": DID,
            "type": ["Profile"],
            "name": "Quality Agency",
            "url": "https://quality-agency.example.org",
        },
        "validFrom": "2026-03-01T10:00:00Z",
        "validUntil": "2031-02-28T23:59:59Z",
        "credentialStatus": {
            "id": f"{status}#{n}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(n),
            "statusListCredential": status,
        },
        "credentialSubject": {
            "id": f"https://qa.example.org/api/v1/listings/{n}/achievement",
            "type": ["EndorsementSubject"],
            "endorsementComment": comment,
        },
    }


def timed(function, items) -> tuple[list[float], list]:
    times, results = [], []
    for item in items:
        start = time.perf_counter()
        results.append(function(item))
        times.append(time.perf_counter() - start)
    return times, results


def summary(name: str, times: list[float]) -> str:
    p90 = statistics.quantiles(times, n=10)[-1] if len(times) >= 10 else max(times)
    return (
        f"{name + ':':16}median {statistics.median(times) * 1000:8.3f} ms, "
        f"p90 {p90 * 1000:8.3f} ms over {len(times)}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="endorsements (1,000)")
    parser.add_argument("--smoke", action="store_true", help="50 endorsements (for CI)")
    args = parser.parse_args(argv)
    count = 50 if args.smoke else args.count

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from qa_portal.core import data_integrity

    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    created = datetime(2026, 12, 7, 21, 0, 0, tzinfo=UTC)
    documents = [endorsement(n) for n in range(count)]
    data_integrity.sign(endorsement(count), key, METHOD, created)  # contexts loaded, parsed

    sign_times, signed = timed(lambda d: data_integrity.sign(d, key, METHOD, created), documents)
    verify_times, verdicts = timed(lambda d: data_integrity.verify(d, public), signed)
    assert all(verdicts), "a signed endorsement did not verify"

    canonical = [data_integrity.canonical_nquads(d).encode("utf-8") for d in documents]
    bare_sign_times, signatures = timed(key.sign, canonical)
    bare_verify_times, _ = timed(
        lambda pair: public.verify(pair[1], pair[0]), list(zip(canonical, signatures, strict=True))
    )

    print(f"{count} endorsements, {statistics.median(map(len, canonical)):.0f} bytes of N-Quads")
    print(summary("portal sign", sign_times))
    print(summary("bare sign", bare_sign_times))
    print(summary("portal verify", verify_times))
    print(summary("bare verify", bare_verify_times))
    sign_ratio = statistics.median(sign_times) / statistics.median(bare_sign_times)
    verify_ratio = statistics.median(verify_times) / statistics.median(bare_verify_times)
    print(f"ratio portal / bare Ed25519: sign {sign_ratio:.0f}x, verify {verify_ratio:.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
