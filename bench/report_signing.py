"""Benchmark of signing the PDF review report: ``python bench/report_signing.py [--runs N]``.

Renders the ten-page report of ``bench/report.py`` (the same plain data, no database) as the
portal issues it — tagged PDF/A-3a with the decision's record attached, ``core.pdf`` — and
times, in the same process and run, with the runs interleaved so that all see the same load:

* **rendered** — the rendering alone (the baseline);
* **rendered + signed** — the rendering, then ``core.pdf_signing.sign_pdf`` with the signer
  of ``core.keys.pdf_signer`` (PAdES B-B; the development certificate ``flask keys create``
  makes, issued by a self-signed authority, read from its files each time as the rendering
  job does);
* **signing only** — ``sign_pdf`` on an already rendered report;
* **untagged** — the same document as a plain PDF (no variant, no attachment), for reference:
  what tagging and PDF/A cost.

Prints the medians (wall clock and CPU), the overhead ratio signed / rendered (target
≤ 1.15: signing adds at most 15 % to the rendering), checked on CPU time: on a shared machine
the wall clock also counts the time other processes had the CPU (both are printed), and the
ratio tagged / untagged. Exits with status 1 when the target is missed, unless
``--report-only``. ``--smoke`` (CI): five runs of each, report only (a signature that does
not validate still fails). ``--rsa`` signs with a configured RSA-2048 certificate instead of
the development one. ``--pdf FILE`` writes the signed report (to try ``pdfsig`` and
``pdfinfo`` on it).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.15


def interleaved(functions: dict, runs: int) -> dict[str, tuple[list[float], list[float], bytes]]:
    """Each function run ``runs`` times, round-robin: wall and CPU seconds of each run, and
    its last result."""
    results = {name: ([], [], b"") for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            gc.collect()
            start, start_cpu = time.perf_counter(), time.process_time()
            out = function()
            wall, cpu, _ = results[name]
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            results[name] = (wall, cpu, out)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each (7)")
    parser.add_argument("--smoke", action="store_true", help="CI: 5 runs, report only")
    parser.add_argument("--pdf", type=Path, help="write the signed report here")
    parser.add_argument(
        "--rsa",
        action="store_true",
        help="sign with a configured RSA-2048 certificate (PDF_SIGNING_CERT/KEY) instead",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 even when the target is missed"
    )
    args = parser.parse_args(argv)
    runs = 5 if args.smoke else args.runs

    from bench.report import page_count, sample_context
    from qa_portal import create_app
    from qa_portal.core import keys
    from qa_portal.core.pdf import PdfAttachment, html_to_pdf, render_html
    from qa_portal.core.pdf_signing import describe_signature, sign_pdf

    with tempfile.TemporaryDirectory() as tmp:
        configured = {}
        if args.rsa:
            from tests.pdf_keys import make_pdf_keys, write_pem

            rsa_keys = make_pdf_keys("QA Portal", "rsa")
            configured = write_pem(rsa_keys, f"{tmp}/rsa")
            configured["PDF_SIGNING_TRUST_ROOTS"] = configured["PDF_SIGNING_CHAIN"]
        app = create_app(
            {
                **configured,
                "TESTING": True,
                "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/unused.sqlite",
                "SIGNING_KEYS_DIR": f"{tmp}/keys",
            }
        )
        with app.app_context():
            keys.ensure_keys()
            context = sample_context()
            html = render_html("reports/report.html", **context)
            attachment = PdfAttachment(
                name="decision-record.json",
                data=b'{"decision": {"outcome": "approved_with_conditions"}}',
                description="The review decision as data",
            )

            def rendered() -> bytes:
                return html_to_pdf(html, attachments=[attachment])

            def sign(pdf: bytes) -> bytes:
                return sign_pdf(
                    pdf,
                    keys.pdf_signer(),
                    reason="Issued by the QA body",
                    location="Belgium",
                    contact="reports@qa.example.eu",
                    name="European Microcredential Quality Agency",
                )

            def signed() -> bytes:
                return sign(rendered())

            unsigned = rendered()

            def untagged() -> bytes:
                return html_to_pdf(html, variant=None)

            functions = {
                "rendered": rendered,
                "rendered + signed": signed,
                "signing only": lambda: sign(unsigned),
                "untagged": untagged,
            }
            for function in functions.values():  # warm up (fonts, imports, first signature)
                function()
            results = interleaved(functions, runs)
            roots = keys.pdf_trust_roots()

    pdf = results["rendered + signed"][2]
    if args.pdf:
        args.pdf.write_bytes(pdf)
    info = describe_signature(pdf, roots)
    medians = {name: statistics.median(wall) for name, (wall, _, _) in results.items()}
    cpu = {name: statistics.median(c) for name, (_, c, _) in results.items()}
    ratio = medians["rendered + signed"] / medians["rendered"]
    cpu_ratio = cpu["rendered + signed"] / cpu["rendered"]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Report: {page_count(pdf)} pages, {len(pdf) / 1024:.0f} KB signed")
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    for name, (wall, c, _) in results.items():
        print(
            f"{name + ':':19}median {statistics.median(wall):.3f} s wall, "
            f"{statistics.median(c):.3f} s CPU over {runs} runs "
            f"(wall min {min(wall):.3f}, max {max(wall):.3f})"
        )
    sound = bool(info and info.is_sound)
    print(f"signature sound:   {sound} (pyHanko, against the development authority)")
    print(
        f"ratio signed / rendered: {ratio:.3f} wall, {cpu_ratio:.3f} CPU (target ≤ {TARGET_RATIO})"
    )
    print(
        "ratio (rendered + signing only) / rendered: "
        f"{(medians['rendered'] + medians['signing only']) / medians['rendered']:.3f} wall, "
        f"{(cpu['rendered'] + cpu['signing only']) / cpu['rendered']:.3f} CPU"
    )
    print(
        f"ratio tagged PDF/A-3a / untagged: {medians['rendered'] / medians['untagged']:.3f} wall, "
        f"{cpu['rendered'] / cpu['untagged']:.3f} CPU"
    )
    missed = []
    if cpu_ratio > TARGET_RATIO:
        missed.append(f"CPU ratio {cpu_ratio:.2f} > {TARGET_RATIO}")
    if not (info and info.is_sound):
        missed.append("the signature does not validate")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    failed = bool(missed) and not (args.report_only or args.smoke)
    return 1 if failed or not (info and info.is_sound) else 0


if __name__ == "__main__":
    sys.exit(main())
