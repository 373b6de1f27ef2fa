"""Benchmark of the PDF review report: ``python bench/report.py [--runs N] [--pages DIR]``.

Renders a report of about ten pages from plain data (no database: the data has the shape
``qa_portal.reports.data.build`` produces) in two ways, in the same process and run:

* **portal** — ``qa_portal.core.pdf.render_pdf``: the Jinja template, then WeasyPrint with
  ``SafeFetcher`` (only the app's static files and ``data:`` URLs);
* **bare** — the same HTML given to ``weasyprint.HTML(string=…).write_pdf()`` with
  WeasyPrint's default fetcher, the stylesheet and fonts addressed as ``file:`` URLs of the
  very same files, so both runs lay out identical documents.

Prints the median and spread of N runs of each (wall-clock and CPU time: on a busy machine
the wall clock also counts the time other processes had the CPU), the ratio portal / bare,
and the peak resident memory of the process. Exits with status 1 when a target is missed
(ratio ≤ 1.2, median ≤ 2 s, peak RSS ≤ 300 MB), unless ``--report-only``. ``--pages DIR``
also writes the PDF and PNG images of the cover, the first scores page and the matrix page
(``pdftoppm`` from poppler-utils).
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_RATIO = 1.2
TARGET_MEDIAN_S = 2.0
TARGET_RSS_MB = 300

VERBS = ["Analyse", "Design", "Implement", "Evaluate", "Configure", "Justify", "Monitor"]
TOPICS = [
    "a containerised service on a managed Kubernetes cluster",
    "a continuous-delivery pipeline with automated tests and rollback",
    "the reliability of a running service against its objectives",
    "an incident runbook that a colleague can follow at night",
    "observability dashboards that show the four golden signals",
    "infrastructure as code for a three-tier application",
    "the cost of a cloud deployment and propose savings",
]
CRITERIA = [
    "Learning outcomes are clear, observable and fit the declared level.",
    "Assessment is valid, reliable and aligned with every learning outcome.",
    "Workload and credit are plausible for the outcomes.",
    "Prerequisites and entry requirements are transparent.",
    "Stackability, recognition and credit transfer are documented.",
    "The provider's internal quality assurance is adequate.",
    "Relevance to labour-market or societal needs is evidenced.",
    "Information for learners is complete (cost, grading, issuance, portability).",
]
COMMENT = (
    "The dossier gives convincing evidence here; the capstone brief and the marking scheme "
    "are consistent with the outcomes. We suggest publishing the rubric to learners."
)


def sample_context(outcomes: int = 22, reviewers: int = 3, conditions: int = 4) -> dict:
    """Report data of a realistic decided dossier, in the shape of ``data.build``."""
    import segno

    from qa_portal.demo import complete_dossier_data
    from qa_portal.dossiers.forms import new_key
    from qa_portal.reports.charts import score_chart
    from qa_portal.reports.data import acronym, eu_elements

    body = "European Microcredential Quality Agency"
    snapshot = complete_dossier_data("Cloud-Native Operations for Software Teams")
    base = snapshot["outcomes"]
    snapshot["outcomes"] = [
        {
            **base[i % len(base)],
            "key": new_key(),
            "statement": f"{VERBS[i % len(VERBS)]} {TOPICS[i % len(TOPICS)]} (unit {i + 1}).",
        }
        for i in range(outcomes)
    ]
    keys = [o["key"] for o in snapshot["outcomes"]]
    snapshot["assessments"] = [
        {**snapshot["assessments"][0], "key": new_key(), "weight": 40, "outcomes": keys[::2]},
        {**snapshot["assessments"][1], "key": new_key(), "weight": 30, "outcomes": keys[1::2]},
        {
            "key": new_key(),
            "method": "portfolio",
            "description": "Portfolio of weekly operations logs.",
            "weight": 30,
            "supervision": "none",
            "pass_criteria": "Complete and reflective.",
            "outcomes": keys[::3],
        },
    ]
    aliases = [f"Reviewer {i + 1}" for i in range(reviewers)]
    criteria = []
    for position, title in enumerate(CRITERIA, start=1):
        # mostly "meets", some "exceeds"; criterion 2 divergent (1 against 3)
        scores = [
            (a, 1 if (position == 2 and j == 0) else 3 + ((position + j) % 4 == 0))
            for j, a in enumerate(aliases)
        ]
        values = [s for _, s in scores]
        spread = max(values) - min(values)
        criteria.append(
            {
                "position": position,
                "title": title,
                "guidance": "",
                "weight": 1.0,
                "scores": scores,
                "comments": [(a, COMMENT) for a in aliases],
                "mean": round(sum(values) / len(values), 2),
                "spread": spread,
                "divergent": spread >= 2,
                "notes": ["The panel discussed the evidence and agreed on 3."]
                if spread >= 2
                else [],
            }
        )
    decided = datetime(2026, 11, 20, 10, 0)
    code = "K7QM-2XWA-9RTD"
    verify_url = f"https://qa.example.eu/verify/{code}"
    lo_label = {k: f"LO{i + 1}" for i, k in enumerate(keys)}
    return {
        "internal": False,
        "variant_label": "Public report",
        "qa_body": {
            "name": body,
            "acronym": acronym(body),
            "country": "Belgium",
            "address": "Rue de la Loi 42\n1040 Brussels\nBelgium",
            "email": "reports@qa.example.eu",
            "phone": "+32 2 555 01 42",
            "website": "https://qa.example.eu",
        },
        "report": {
            "number": "EMQA-2026-00042-R1-D57",
            "revision": 1,
            "code": code,
            "uuid": "8a1d7f0e-4b7c-4f0a-9d55-2f4f3c1e6b21",
            "verify_url": verify_url,
            "requested_at": decided,
            "qr": segno.make(verify_url, error="m").svg_data_uri(scale=4, border=2, dark="#102a43"),
        },
        "dossier": {
            "reference": "MC-00042",
            "title": snapshot["title"],
            "summary": snapshot["summary"],
            "provider": "University of Northbridge",
            "round": 1,
            "version": 1,
            "version_sha256": "9f2c" * 16,
            "submitted": datetime(2026, 9, 1, 9, 0),
        },
        "decision": {
            "outcome": "Approved with conditions",
            "outcome_code": "approved_with_conditions",
            "approved": True,
            "date": decided,
            "rationale": "The microcredential meets the standards. " * 6,
            "valid_from": date(2026, 11, 20),
            "valid_until": date(2031, 11, 20),
            "appeal_deadline": None,
            "decided_by": None,
            "superseded": False,
        },
        # who decided (decisions/committee.py deciding_body_summary); votes only for a committee
        "deciding_body": {
            "name": "QA officer",
            "kind": "officer",
            "meeting_date": None,
            "votes": None,
        },
        "conditions": [
            {
                "position": i + 1,
                "text": f"Condition {i + 1}: publish the marking rubric of component A{i + 1}.",
                "due": date(2027, 3, 1) + timedelta(days=30 * i),
                "state": "Open",
            }
            for i in range(conditions)
        ],
        "elements": eu_elements(snapshot),
        "further": [],
        "outcomes": [
            {
                "label": f"LO{i + 1}",
                "statement": o["statement"],
                "domain": "Skills",
                "alignment": "ESCO S1.2.3",
                "alignment_url": o.get("framework_url", ""),
            }
            for i, o in enumerate(snapshot["outcomes"])
        ],
        "assessments": [
            {
                "label": f"A{i + 1}",
                "method": a["method"].replace("_", " ").capitalize(),
                "description": a["description"],
                "weight": a["weight"],
                "supervision": a["supervision"].replace("_", " ").capitalize(),
                "pass_criteria": a["pass_criteria"],
                "outcomes": [lo_label[k] for k in a["outcomes"]],
            }
            for i, a in enumerate(snapshot["assessments"])
        ],
        "matrix_keys": keys,
        "assessment_keys": [a["outcomes"] for a in snapshot["assessments"]],
        "rubric_version": 1,
        "findings": None,  # the panel's findings (reviews/findings.py); none in this sample
        "factual_accuracy": None,  # the provider's check of the draft; none in this sample
        "panel": [
            {
                "alias": a,
                "name": None,
                "email": None,
                "recommendation": "Approve with conditions",
                "submitted": decided - timedelta(days=10),
            }
            for a in aliases
        ],
        # the shape of the sample report of tests/reports (no requirement, no site visit)
        "panel_composition": {
            "members": [
                {"name": f"Expert {i + 1}", "role": "Chair" if i == 0 else "Member", "types": []}
                for i in range(reviewers)
            ],
            "names_withheld": False,
            "requirements": [],
            "exception": None,
        },
        "site_visit": None,
        "criteria": criteria,
        "chart": score_chart(criteria, aliases),
        "comments": [{"alias": a, "name": None, "text": COMMENT * 3} for a in aliases],
        "confidential": [],
        "general_notes": ["The panel met online on 12 November 2026."],
        "history": [
            {
                "number": 1,
                "version": 1,
                "submitted": datetime(2026, 9, 1),
                "opened": datetime(2026, 9, 20),
                "closed": datetime(2026, 11, 1),
                "decisions": [
                    {"outcome": "Approved with conditions", "date": decided, "superseded": False}
                ],
            }
        ],
        "changes": None,
        "publication": {"date": decided, "language": "English"},
        "appeal": {
            "possible": False,
            "deadline": None,
            "procedure": "A provider may appeal against a decision within the appeal period.",
            "methodology_url": "https://qa.example.eu/methodology#appeals",
        },
        "methodology": {
            "url": "https://qa.example.eu/methodology",
            "rubric_version": 1,
            "rubric_date": datetime(2026, 1, 5, 9, 0),
            "rubric_url": "https://qa.example.eu/methodology/rubric/1",
            "divergence": 2,
        },
        "files": [
            {"kind": k, "name": n, "sha256": f"{i:x}" * 64, "size": 250_000 + i * 9_000}
            for i, (k, n) in enumerate(
                [
                    ("Curriculum", "curriculum-2026.pdf"),
                    ("Assessment sample", "capstone-brief.pdf"),
                    ("Internal QA policy", "faculty-qa-policy.pdf"),
                    ("Staff profiles", "teaching-team.pdf"),
                ],
                start=1,
            )
        ],
        # condition follow-up (decisions/follow_up.report_section)
        "follow_up": {
            "as_of": date(2026, 11, 20),
            "conditions": [
                {
                    "position": i + 1,
                    "text": f"Condition {i + 1}: publish the marking rubric of component A{i + 1}.",
                    "due": date(2027, 3, 1) + timedelta(days=30 * i),
                    "state": "Open",
                    "status": "Open",
                    "overdue": False,
                    "verified_at": None,
                    "note": "",
                    "extensions": [],
                }
                for i in range(conditions)
            ],
            "withdrawn": None,
        },
    }


def bare_html(html: str, static_folder: str) -> str:
    """The same document for bare WeasyPrint: ``qa-static:`` addresses become ``file:`` URLs
    of the same files (in the page and inside the stylesheet, which is inlined)."""
    from qa_portal.core.pdf import STATIC_SCHEME

    root = Path(static_folder).resolve().as_uri()
    css = (Path(static_folder) / "reports" / "report.css").read_text()
    css = css.replace(f"{STATIC_SCHEME}/", f"{root}/")
    link = '<link rel="stylesheet" href="qa-static:/reports/report.css">'
    assert link in html, "the report links its stylesheet as expected"
    return html.replace(link, f"<style>{css}</style>").replace(f"{STATIC_SCHEME}/", f"{root}/")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def timed(fn, runs: int) -> tuple[list[float], list[float], bytes]:
    """Wall-clock and CPU seconds of each run, and the last result."""
    wall, cpu, result = [], [], b""
    for _ in range(runs):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu, result


def page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def find_page(pdf: bytes, heading: str) -> int:
    """The 1-based number of the first page whose text contains ``heading``."""
    import io

    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, page in enumerate(doc.pages, start=1):
            if heading in (page.extract_text() or ""):
                return number
    raise LookupError(f"no page contains {heading!r}")


def write_pages(pdf: bytes, directory: Path, prefix: str = "report") -> list[Path]:
    """PNGs of the cover, the first scores page and the matrix page (pdftoppm, 110 dpi)."""
    source = directory / f"{prefix}.pdf"
    source.write_bytes(pdf)
    images = []
    for name, number in (
        ("cover", 1),
        ("scores", find_page(pdf, "Scores per criterion")),
        ("matrix", find_page(pdf, "Outcome × assessment matrix")),
    ):
        stem = directory / f"{prefix}-{name}"
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "110",
                "-singlefile",
                "-f",
                str(number),
                "-l",
                str(number),
                str(source),
                str(stem),
            ],
            check=True,
        )
        images.append(stem.with_suffix(".png"))
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each renderer (5)")
    parser.add_argument("--pages", type=Path, help="write the PDF and page images here")
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 even when a target is missed"
    )
    args = parser.parse_args(argv)

    from weasyprint import HTML

    from qa_portal import create_app
    from qa_portal.core.pdf import html_to_pdf, render_html

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/unused.sqlite",
                "QA_BODY_NAME": "European Microcredential Quality Agency",
            }
        )
        with app.app_context():
            context = sample_context()

            def portal() -> bytes:
                return html_to_pdf(render_html("reports/report.html", **context))

            html = render_html("reports/report.html", **context)
            plain = bare_html(html, app.static_folder)

            def bare() -> bytes:
                return HTML(string=plain).write_pdf()

            # warm up both (font loading, imports) before measuring
            first = portal()
            bare()
            portal_times, portal_cpu, pdf = timed(portal, args.runs)
            bare_times, bare_cpu, bare_pdf = timed(bare, args.runs)
            pages = page_count(first)
            if args.pages:
                args.pages.mkdir(parents=True, exist_ok=True)
                images = write_pages(pdf, args.pages)
            else:
                images = []

    portal_median = statistics.median(portal_times)
    bare_median = statistics.median(bare_times)
    ratio = portal_median / bare_median
    cpu_ratio = statistics.median(portal_cpu) / statistics.median(bare_cpu)
    rss = peak_rss_mb()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Report: {pages} pages, {len(pdf) / 1024:.0f} KB ({page_count(bare_pdf)} pages bare)")
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    for name, wall, cpu in (
        ("portal (core/pdf.py)", portal_times, portal_cpu),
        ("bare WeasyPrint", bare_times, bare_cpu),
    ):
        print(
            f"{name + ':':22}median {statistics.median(wall):.3f} s wall, "
            f"{statistics.median(cpu):.3f} s CPU over {args.runs} runs "
            f"(wall min {min(wall):.3f}, max {max(wall):.3f})"
        )
    print(f"ratio portal / bare:  {ratio:.3f} wall, {cpu_ratio:.3f} CPU (target ≤ {TARGET_RATIO})")
    print(f"peak RSS:             {rss:.0f} MB (target ≤ {TARGET_RSS_MB} MB)")
    for image in images:
        print(f"page image:           {image}")
    missed = []
    if ratio > TARGET_RATIO:
        missed.append(f"ratio {ratio:.2f} > {TARGET_RATIO}")
    if portal_median > TARGET_MEDIAN_S:
        missed.append(f"median {portal_median:.2f} s > {TARGET_MEDIAN_S} s")
    if rss > TARGET_RSS_MB:
        missed.append(f"peak RSS {rss:.0f} MB > {TARGET_RSS_MB} MB")
    if pages < 10:
        missed.append(f"only {pages} pages (the benchmark is meant for about 10)")
    print("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 1 if missed and not args.report_only else 0


if __name__ == "__main__":
    sys.exit(main())
