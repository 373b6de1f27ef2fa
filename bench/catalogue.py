"""Benchmark of catalogue search.

``python bench/catalogue.py [--listings N] [--runs N] [--db sqlite|postgresql|both]``

For each database it builds a fresh schema with the migrations, seeds the demo data, then
N listings (default 100,000) of realistic text — titles, summaries, descriptions, learning
outcomes and keywords drawn from thirty subject areas with a skewed (Zipf-like) word
frequency, 400 providers in 27 countries, EQF levels, fields of study, languages, ECTS,
withdrawn, revoked and expired listings — each listing on its own dossier row (copied on
the server from a decided demo dossier) so that every foreign key holds.

Then, in the same run and interleaved, for each query of two sets (**search**: words only;
**filtered**: words with filters, filters only, sorting, a later page):

* **app** — ``GET /api/v1/listings?…`` through the Flask app (routing, parsing the
  filters, the search statement, the ORM objects, the JSON document);
* **bare** — the very SQL statements that request issued (captured from the engine),
  executed again on a raw DB-API cursor and fetched.

Prints p50 and p95 of each set for app and bare and the ratio app / bare; also, for
information, the catalogue page ``GET /catalogue?…`` (the HTML page with every filter's
counts). Exits 1 when a target is missed (app p95 ≤ 30 ms and ratio ≤ 3 on every set)
unless ``--report-only``. PostgreSQL: ``DATABASE_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``) names the server; a database is created
for the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 30.0
TARGET_RATIO = 3.0

# -- realistic text -----------------------------------------------------------------------
# Subject areas: an ISCED-F detailed code and title nouns, then (indented) domain words.
# Listings of an area draw their vocabulary from it and from the common words of course
# descriptions.
AREAS_TABLE = """
0613 | Software Development; Web Applications; Python Programming
    python software code testing git api framework debugging refactoring web javascript
    database backend frontend deployment containers
0612 | Cloud Operations; Database Administration; Network Engineering
    cloud kubernetes infrastructure network server linux monitoring backup database sql
    availability incident automation terraform
0611 | Data Analytics; Machine Learning; Business Intelligence
    data analysis statistics regression visualisation dashboards machine learning models
    python pandas prediction datasets classification clustering
0688 | Cybersecurity; Information Security Management; Digital Forensics
    security cyber threats vulnerabilities encryption risk incident forensics malware
    penetration compliance iso 27001 firewall identity
0413 | Project Management; Agile Leadership; Change Management
    project agile scrum stakeholders planning risk budget leadership teams change kanban
    portfolio governance delivery
0414 | Digital Marketing; Brand Strategy; Content Marketing
    marketing digital social media campaigns brand content seo analytics customers
    advertising segmentation conversion
0411 | Financial Accounting; Management Accounting; Auditing
    accounting financial statements ifrs audit budgeting costing reporting tax ledger
    controls reconciliation
0412 | Sustainable Finance; Corporate Finance; FinTech
    finance investment esg sustainable risk capital markets banking fintech payments
    valuation portfolio
0913 | Nursing Practice; Palliative Care; Critical Care Nursing
    nursing patient care clinical safety medication assessment palliative wound infection
    documentation ethics
0912 | Clinical Research; Health Data; Telemedicine
    clinical health patients trials research medicine diagnosis telemedicine records
    evidence protocols
0923 | Social Work Practice; Youth Work; Community Development
    social community youth families wellbeing inclusion safeguarding casework advocacy
    services
0111 | Teaching with Technology; Inclusive Education; Assessment Design
    teaching learners classroom pedagogy assessment inclusive curriculum feedback digital
    tools differentiation
0114 | Early Childhood Education; Primary Mathematics Teaching; Language Teaching
    children teaching early literacy numeracy play development language classroom curriculum
0521 | Environmental Monitoring; Climate Adaptation; Biodiversity
    environment climate biodiversity monitoring ecosystems pollution adaptation sampling
    conservation water
0713 | Renewable Energy Systems; Solar Installation; Energy Efficiency
    energy solar wind renewable grid storage efficiency batteries electrical installation
    heat pumps transition
0714 | Industrial Automation; Robotics; Embedded Systems
    automation robotics plc sensors control embedded systems industrial electronics
    programming maintenance
0715 | Additive Manufacturing; Mechanical Design; Maintenance Engineering
    manufacturing cad design mechanical 3d printing materials maintenance tolerances
    production lean
0732 | Building Information Modelling; Sustainable Construction; Site Safety
    construction building bim site safety materials sustainable renovation structures
    planning photogrammetry
0731 | Urban Planning; Landscape Design; Smart Cities
    urban planning cities mobility landscape housing spatial gis smart public participation
0811 | Precision Agriculture; Sustainable Farming; Agri-food Supply Chains
    agriculture farming soil crops precision drones sustainable food supply livestock
    irrigation
0721 | Food Safety; Food Innovation; Quality Control in Food Production
    food safety haccp hygiene quality production innovation nutrition processing packaging
1015 | Sustainable Tourism; Hospitality Management; Event Management
    tourism hospitality events guests destinations sustainable service revenue operations
1041 | Logistics; Supply Chain Analytics; Warehouse Operations
    logistics supply chain transport warehouse inventory procurement routing operations
    forecasting
0421 | Data Protection Law; European Union Law; Contract Law
    law legal gdpr data protection contracts compliance regulation rights european union
0313 | Behavioural Science; Organisational Psychology; Coaching
    psychology behaviour coaching motivation wellbeing organisations interviews research
    methods
0232 | Academic Writing; Technical Communication; Intercultural Communication
    writing communication intercultural presentation english academic technical audiences
    editing
0288 | Digital Humanities; Heritage Management; Museum Studies
    heritage digital humanities archives museums collections curation history culture
0211 | Game Design; Video Production; User Experience Design
    design ux users prototypes games video interaction interfaces usability storytelling
0542 | Applied Statistics; Survey Methods; Biostatistics
    statistics surveys sampling inference probability regression r bayesian experiments data
0588 | Quantum Computing; Artificial Intelligence Ethics; Computational Science
    quantum computing algorithms ai ethics simulation computational models responsible bias
"""


def _areas(table: str) -> list[tuple[str, list[str], str]]:
    areas = []
    for line in table.strip().splitlines():
        if line.startswith(" "):
            code, nouns, words = areas[-1]
            areas[-1] = (code, nouns, f"{words} {line.strip()}".strip())
        else:
            code, nouns = line.split(" | ")
            areas.append((code, nouns.split("; "), ""))
    return areas


def _items(text: str) -> list[str]:
    """Items separated by "|" (lines wrap anywhere)."""
    return [item.strip() for item in " ".join(text.split()).split("|")]


AREAS = _areas(AREAS_TABLE)
COMMON = _items("""
learners | will | develop | practical | skills | knowledge | competences | apply | evaluate
| analyse | design | plan | implement | assess | report | professional | context |
work-based | project | case | studies | online | sessions | workshops | assignments |
portfolio | reflective | practice | tools | methods | standards | quality | team |
communication | problem | solving | critical | thinking | sustainability | digital |
european | labour | market | employers | sector | industry | partners | evidence | feedback
| module | course | programme | microcredential | credit | level
""")
PREFIXES = _items("""
Introduction to | Foundations of | Applied | Advanced | Professional | Practical |
Essentials of | Certificate in | Leading | Strategic
""")
AUDIENCES = ["", "", ""] + [
    " " + audience
    for audience in _items("""
for Public Servants | for SMEs | for Teachers | for Healthcare Professionals | for Engineers
| for Managers | in Practice | at Work
""")
]
VERBS = _items("""
Apply | Analyse | Evaluate | Design | Explain | Implement | Assess | Compare | Plan |
Justify | Communicate | Monitor | Critically reflect on
""")
LANGUAGES = dict(
    pair.split(":")
    for pair in _items("""
DE:de | FR:fr | IT:it | ES:es | NL:nl | BE:nl | PL:pl | PT:pt | SE:sv | AT:de | IE:en |
FI:fi | DK:da | CZ:cs | GR:el | HU:hu | RO:ro | BG:bg | HR:hr | SK:sk | SI:sl | LT:lt |
LV:lv | EE:et | LU:fr | MT:en | CY:el
""")
)
COUNTRIES = list(LANGUAGES)
PLACES = _items("""
North | South | East | West | Central | Coastal | Alpine | Lakeside | Riverside |
Metropolitan | Royal | Technical | Open | Applied | Free
""")
KINDS = _items("""
University | University of Applied Sciences | Academy | Institute | Training Centre |
College | Business School | Polytechnic
""")


class TextMaker:
    """Realistic listing text: skewed word frequencies, like real course descriptions."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.words = [area[2].split() for area in AREAS]
        self.common_weights = [1 / (i + 1) for i in range(len(COMMON))]

    def words_of(self, area: int, n: int) -> list[str]:
        domain = self.words[area]
        weights = [1 / (i + 1) ** 0.8 for i in range(len(domain))]
        out = []
        for _ in range(n):
            if self.rng.random() < 0.45:
                out.append(self.rng.choices(domain, weights)[0])
            else:
                out.append(self.rng.choices(COMMON, self.common_weights)[0])
        return out

    def sentence(self, area: int, n: int) -> str:
        words = self.words_of(area, n)
        return " ".join(words).capitalize() + "."

    def listing(self, area: int) -> dict:
        code, nouns, _ = AREAS[area]
        rng = self.rng
        title = f"{rng.choice(PREFIXES)} {rng.choice(nouns)}{rng.choice(AUDIENCES)}"
        outcomes = [
            f"{rng.choice(VERBS)} " + " ".join(self.words_of(area, rng.randint(9, 16))) + "."
            for _ in range(rng.randint(4, 8))
        ]
        keywords = list(dict.fromkeys(self.words_of(area, 8)))[:5]
        return {
            "title": title,
            "summary": self.sentence(area, rng.randint(15, 25)),
            "description": " ".join(self.sentence(area, rng.randint(10, 18)) for _ in range(5)),
            "outcomes": outcomes,
            "keywords": keywords,
            "isced_code": code,
        }


# -- seeding ------------------------------------------------------------------------------
def make_app(database_url: str, instance: Path):
    os.environ.setdefault("QA_PORTAL_INSTANCE", str(instance))
    from qa_portal import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-that-is-long-enough-0123456789",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_DIR": str(instance / "uploads"),
            "REPORT_DIR": str(instance / "reports"),
            "MAIL_OUTBOX_DIR": str(instance / "outbox"),
            "MAIL_SERVER": None,
            "CELERY_BROKER_URL": None,
            "RATELIMIT_ENABLED": False,
            "REPORTS_ON_DECISION": False,
            "SERVER_NAME": "qa.test",
            "PUBLIC_BASE_URL": "http://qa.test",
        }
    )


def seed(count: int, seed_value: int = 7) -> None:
    """The demo data, then ``count`` listings (one dossier row each), then statistics."""
    import sqlalchemy as sa
    from flask import current_app
    from flask_migrate import upgrade

    from qa_portal.accounts.models import Organisation, OrgKind
    from qa_portal.catalogue.models import Listing, ListingLanguage
    from qa_portal.demo import seed as demo_seed
    from qa_portal.dossiers.models import Dossier
    from qa_portal.extensions import db

    upgrade(directory=current_app.extensions["migrate"].directory)
    demo_seed()
    db.session.commit()
    template = db.session.execute(sa.select(Listing).order_by(Listing.id)).scalars().first()
    public = dict(template.public)
    decision_id = template.decision_id
    rng = random.Random(seed_value)
    postgres = db.engine.dialect.name == "postgresql"

    # 400 providers in 27 countries
    names = set()
    while len(names) < 400:
        names.add(
            f"{rng.choice(PLACES)} {rng.choice(KINDS)} of {rng.choice(COUNTRIES)}-"
            f"{rng.randint(1, 999)}"
        )
    orgs = []
    for name in sorted(names):
        country = rng.choice(COUNTRIES)
        orgs.append(
            {
                "name": name,
                "kind": OrgKind.PROVIDER,
                "country": country,
                "domain": name.lower().replace(" ", "-") + ".eu",
            }
        )
    db.session.execute(sa.insert(Organisation.__table__), orgs)
    org_rows = db.session.execute(
        sa.select(Organisation.id, Organisation.name, Organisation.country)
        .where(Organisation.name.in_(names))
        .order_by(Organisation.id)
    ).all()

    # one dossier row per listing, copied on the server from the decided demo dossier
    table = Dossier.__table__
    columns = [c.name for c in table.columns if c.name not in ("id", "organisation_id")]
    first_org, orgs_n = org_rows[0].id, len(org_rows)
    before = db.session.execute(sa.select(sa.func.max(table.c.id))).scalar_one()
    cols = ", ".join(columns)
    copied = ", ".join(f"d.{c}" for c in columns)
    if postgres:
        numbers = "generate_series(1, :count) AS n(i)"
        prefix = ""
    else:
        numbers = "n"
        prefix = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    db.session.execute(
        sa.text(
            f"{prefix}INSERT INTO dossier ({cols}, organisation_id) "  # noqa: S608 - constants
            f"SELECT {copied}, {first_org} + (i % {orgs_n}) FROM dossier d, {numbers} "
            "WHERE d.id = :template"
        ),
        {"count": count, "template": template.dossier_id},
    )
    dossiers = db.session.execute(
        sa.select(table.c.id, table.c.organisation_id)
        .where(table.c.id > before)
        .order_by(table.c.id)
    ).all()
    org_by_id = {row.id: row for row in org_rows}

    maker = TextMaker(rng)
    today = date.today()
    start = datetime.now() - timedelta(days=4 * 365)
    area_weights = [1 / (i + 1) ** 0.6 for i in range(len(AREAS))]
    chunk, languages = [], []
    listing_table, language_table = Listing.__table__, ListingLanguage.__table__

    def flush():
        if not chunk:
            return
        db.session.execute(sa.insert(listing_table), chunk)
        ids = db.session.execute(
            sa.select(listing_table.c.id, listing_table.c.dossier_id).where(
                listing_table.c.dossier_id.in_([row["dossier_id"] for row in chunk])
            )
        ).all()
        by_dossier = {row.dossier_id: row.id for row in ids}
        db.session.execute(
            sa.insert(language_table),
            [{"listing_id": by_dossier[d], "code": code} for d, code in languages],
        )
        chunk.clear()
        languages.clear()

    for n, (dossier_id, org_id) in enumerate(dossiers):
        org = org_by_id[org_id]
        area = rng.choices(range(len(AREAS)), area_weights)[0]
        text = maker.listing(area)
        langs = list(
            dict.fromkeys([LANGUAGES[org.country]] + (["en"] if rng.random() < 0.5 else []))
        )
        published = start + timedelta(minutes=n * (4 * 365 * 24 * 60) // count)
        valid_from = published.date()
        valid_until = valid_from + timedelta(days=rng.choice([730, 1095, 1825]))
        ects = rng.choice([1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10, 15])
        state = rng.choices(["valid", "withdrawn", "revoked"], [95, 3, 2])[0]
        data = dict(public)
        data.update(
            title=text["title"],
            summary=text["summary"],
            description=text["description"],
            keywords=text["keywords"],
            isced_code=text["isced_code"],
            country=org.country,
            eqf_level=rng.choice([4, 5, 5, 6, 6, 6, 7, 7, 8]),
            ects=ects,
            workload_hours=int(ects * 25),
            languages_instruction=langs,
            participation=rng.choice(["online", "online", "blended", "in_person"]),
            outcomes=[
                {
                    "id": f"LO{i + 1}",
                    "statement": s,
                    "eqf_domain": "skills",
                    "framework_name": "",
                    "framework_code": "",
                    "framework_url": "",
                }
                for i, s in enumerate(text["outcomes"])
            ],
        )
        chunk.append(
            {
                "dossier_id": dossier_id,
                "organisation_id": org_id,
                "decision_id": decision_id,
                "state": state,
                "conditions": rng.choices(["none", "open", "met"], [80, 8, 12])[0],
                "published_at": published,
                "updated_at": published,
                "ended_at": published + timedelta(days=200) if state != "valid" else None,
                "ended_reason": "Withdrawn by the provider." if state != "valid" else "",
                "valid_from": valid_from,
                "valid_until": valid_until,
                "title": data["title"],
                "summary": data["summary"],
                "description": data["description"],
                "outcomes_text": "\n".join(text["outcomes"]),
                "keywords_text": ", ".join(text["keywords"]),
                "provider_name": org.name,
                "country": org.country,
                "eqf_level": data["eqf_level"],
                "isced_code": data["isced_code"],
                "isced_broad": data["isced_code"][:2],
                "participation": data["participation"],
                "languages": " ".join(langs),
                "ects": ects,
                "workload_hours": data["workload_hours"],
                "public_json": json.dumps(data, ensure_ascii=False, sort_keys=True),
            }
        )
        languages.extend((dossier_id, code) for code in langs)
        if len(chunk) >= 5000:
            flush()
    flush()
    db.session.commit()
    with db.engine.connect() as conn:
        if postgres:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
        else:
            conn.execute(sa.text("ANALYZE"))
            conn.execute(sa.text("INSERT INTO listing_fts(listing_fts) VALUES ('optimize')"))
            conn.commit()
    del today


# -- measuring ----------------------------------------------------------------------------
SEARCH = [
    "q=data",
    "q=nursing+patient+care",
    "q=cyber",
    "q=sustainable+energy+transition",
    "q=project+management+agile",
    "q=photogrammetry",
    "q=python+machine+learning",
    "q=food+safety&sort=relevance",
]
FILTERED = [
    "q=data&country=DE&eqf=6",
    "q=security&field=06&language=en",
    "q=teaching&participation=online&ects_min=2&ects_max=6",
    "country=FR&eqf=7",
    "field=0913&language=de&sort=title",
    "status=expired&sort=date",
    "q=management&sort=title&page=3",
    "ects_min=5&participation=blended&page=10",
    "eqf=6&sort=title",
    "eqf=7&participation=online",
    "q=cyber&eqf=6",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def capture(app, path: str) -> list[tuple[str, object]]:
    """The statements (and their DB-API parameters) one request issues."""
    import sqlalchemy as sa

    from qa_portal.extensions import db

    statements: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = app.test_client().get(path)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}\n{response.text[:500]}")
    return statements


def measure(app, queries: list[str], runs: int, prefix: str, detail: bool = False) -> dict:
    """Interleaved runs of app and bare SQL for each query; samples in milliseconds."""
    from qa_portal.extensions import db

    client = app.test_client()
    with app.app_context():
        raw = db.engine.raw_connection()
    samples = {"app": [], "bare": [], "statements": 0}
    try:
        for query in queries:
            path = f"{prefix}?{query}"
            statements = capture(app, path)
            samples["statements"] = max(samples["statements"], len(statements))
            cursor = raw.cursor()

            def bare(statements=statements, cursor=cursor):
                for statement, parameters in statements:
                    cursor.execute(statement, parameters)
                    cursor.fetchall()

            client.get(path)
            bare()
            app_ms, bare_ms = [], []
            for _ in range(runs):
                t = time.perf_counter()
                response = client.get(path)
                app_ms.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
                t = time.perf_counter()
                bare()
                bare_ms.append((time.perf_counter() - t) * 1000)
            raw.rollback()
            samples["app"] += app_ms
            samples["bare"] += bare_ms
            if detail:
                total = "-"
                if prefix.startswith("/api"):
                    body = response.get_json()
                    more = "" if body["total_exact"] else "more than "
                    total = f"{more}{body['total']:,}"
                print(
                    f"    {query:<55} app p50 {statistics.median(app_ms):6.1f} ms | "
                    f"bare {statistics.median(bare_ms):6.1f} ms | {total} results"
                )
    finally:
        raw.close()
    return samples


def summary(name: str, samples: dict) -> tuple[str, float, float]:
    app50, app95 = percentile(samples["app"], 0.5), percentile(samples["app"], 0.95)
    bare50, bare95 = percentile(samples["bare"], 0.5), percentile(samples["bare"], 0.95)
    ratio = statistics.median(samples["app"]) / max(statistics.median(samples["bare"]), 1e-6)
    line = (
        f"  {name:<22} app p50 {app50:6.1f} ms  p95 {app95:6.1f} ms | "
        f"bare SQL p50 {bare50:6.1f} ms  p95 {bare95:6.1f} ms | ratio {ratio:4.2f} "
        f"({samples['statements']} statement{'s' if samples['statements'] != 1 else ''})"
    )
    return line, app95, ratio


def run_database(
    label: str, url: str, count: int, runs: int, detail: bool = False
) -> list[tuple[str, float, float]]:
    import sqlalchemy as sa

    from qa_portal.catalogue.models import Listing
    from qa_portal.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(url, Path(tmp))
        t = time.perf_counter()
        with app.app_context():
            seed(count)
            total = db.session.execute(sa.select(sa.func.count()).select_from(Listing)).scalar()
            db.session.remove()
        print(f"{label}: {total:,} listings seeded in {time.perf_counter() - t:.0f} s")
        results = []
        for name, queries, prefix, target in (
            ("search (API)", SEARCH, "/api/v1/listings", True),
            ("filtered search (API)", FILTERED, "/api/v1/listings", True),
            ("search page (HTML)", SEARCH, "/catalogue", False),
            ("filtered page (HTML)", FILTERED, "/catalogue", False),
        ):
            samples = measure(app, queries, runs, prefix, detail)
            line, p95, ratio = summary(name, samples)
            print(line)
            if target:
                results.append((f"{label} {name}", p95, ratio))
        with app.app_context():
            db.engine.dispose()
        return results


def postgres_database() -> tuple[str, callable]:
    import psycopg
    import sqlalchemy as sa

    base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    url = sa.engine.make_url(base.replace("postgres://", "postgresql://", 1))
    name = f"qa_portal_bench_{uuid.uuid4().hex[:8]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    database = url.set(drivername="postgresql+psycopg", database=name)
    return database.render_as_string(hide_password=False), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=15, help="runs of each query (default 15)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--report-only", action="store_true", help="exit 0 even on a miss")
    parser.add_argument("--detail", action="store_true", help="print each query's medians")
    args = parser.parse_args(argv)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {os.cpu_count()} CPUs, load average {load}")
    print(
        f"{len(SEARCH)} search and {len(FILTERED)} filtered queries, {args.runs} runs each, "
        "app and bare SQL interleaved"
    )
    results = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
            results += run_database("SQLite", url, args.listings, args.runs, args.detail)
    if args.db in ("postgresql", "both"):
        url, drop = postgres_database()
        try:
            results += run_database("PostgreSQL", url, args.listings, args.runs, args.detail)
        finally:
            drop()
    missed = [
        f"{name}: p95 {p95:.1f} ms (target ≤ {TARGET_P95_MS:.0f}), ratio {ratio:.2f} "
        f"(target ≤ {TARGET_RATIO:.0f})"
        for name, p95, ratio in results
        if p95 > TARGET_P95_MS or ratio > TARGET_RATIO
    ]
    if missed:
        print("targets missed:\n  " + "\n  ".join(missed))
        return 0 if args.report_only else 1
    print("targets: all met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
