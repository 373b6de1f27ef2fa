"""Who may open what: every route of the app × every kind of visitor, with the expected answer.

One test case per (endpoint, method). Each case builds the same small world — provider A's
submitted dossier with its files and version 1, a pending registration, a reset link — and
sends the request as each of the six visitors below. POSTs carry no data: a visitor who is
allowed in gets a 4xx from validation or the state machine (or the redirect of an action
that needs no input); nobody else gets past the permission check.

Adding a route without a row here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import event

from qa_portal.accounts.models import AccountStatus, PasswordResetToken, Role
from qa_portal.core.db import commit
from qa_portal.core.models import utcnow
from qa_portal.extensions import db

from .helpers import security_header_problems

VISITORS = ("anonymous", "provider_a", "provider_b", "reviewer", "officer", "admin")

# Expected answers. An int is a status code; a string is a 302 (or 303) redirect to that path
# (with the world's ids filled in); LOGIN is the redirect of an anonymous visitor to the
# sign-in page, which must name the page to come back to.
LOGIN = "login"
HOME = "/"
DASHBOARD = "/dossiers/"
QUEUE = "/dossiers/queue"
SHOW = "/dossiers/{dossier_id}"
SIX = 6  # visitors

ANYONE_200 = (200,) * SIX
SIGNED_IN = (LOGIN,) + (200,) * 5
SIGNED_IN_400 = (LOGIN,) + (400,) * 5
ADMIN_ONLY = (LOGIN, 403, 403, 403, 403, 200)
ADMIN_ONLY_400 = (LOGIN, 403, 403, 403, 403, 400)
# Provider B and the reviewer must not learn that A's dossier exists (404, never 403); QA
# staff may see a submitted dossier, but only its provider may change it (403).
MEMBER_OR_STAFF_READ = (LOGIN, 200, 404, 404, 200, 200)


def member_only(answer):
    return (LOGIN, answer, 404, 404, 403, 403)


def officer_only(answer):
    return (LOGIN, 403, 403, 403, answer, 403)


def reviewer_only(answer):
    return (LOGIN, 403, 403, answer, 403, 403)


REVIEWER_ONLY = reviewer_only(200)
# A public report before publication: its provider and the QA body only.
PROVIDER_OR_STAFF = (404, 200, 404, 404, 200, 200)


# Columns in the order of VISITORS: anonymous, provider A, provider B, reviewer, officer, admin.
MATRIX: dict[tuple[str, str], tuple] = {
    ("static", "GET"): ANYONE_200,
    # each role lands on what needs their action
    ("cases.index", "GET"): (200, DASHBOARD, DASHBOARD, "/reviews/", QUEUE, "/admin/"),
    ("core.healthz", "GET"): ANYONE_200,
    ("core.did_document", "GET"): ANYONE_200,
    # -- accounts -------------------------------------------------------------------------
    ("accounts.login", "GET"): (200, HOME, HOME, HOME, HOME, HOME),
    ("accounts.login", "POST"): (400, HOME, HOME, HOME, HOME, HOME),
    ("accounts.logout", "POST"): (HOME,) * SIX,
    ("accounts.forgot_password", "GET"): ANYONE_200,
    ("accounts.forgot_password", "POST"): (400,) * SIX,
    # the e-mailed link sends the browser on to the form's address, without the token; the
    # form works only in a browser that opened a link (here none has)
    ("accounts.reset_link", "GET"): ("/password/reset",) * SIX,
    ("accounts.reset_password", "GET"): (404,) * SIX,
    ("accounts.reset_password", "POST"): (404,) * SIX,
    ("accounts.register", "GET"): ANYONE_200,
    ("accounts.register", "POST"): (400,) * SIX,
    ("accounts.account", "GET"): SIGNED_IN,
    ("accounts.account", "POST"): SIGNED_IN_400,
    ("accounts.sign_out_everywhere", "POST"): (LOGIN,) + ("/login",) * 5,
    # -- QA admin ---------------------------------------------------------------------------
    ("cases.admin_dashboard", "GET"): ADMIN_ONLY,
    ("admin.users", "GET"): ADMIN_ONLY,
    ("admin.user_new", "GET"): ADMIN_ONLY,
    ("admin.user_new", "POST"): ADMIN_ONLY_400,
    ("admin.user_edit", "GET"): ADMIN_ONLY,
    # edit forms start from the stored values: a POST that sends no field saves them unchanged
    ("admin.user_edit", "POST"): ADMIN_ONLY[:-1] + ("/admin/users/{user_id}",),
    ("admin.user_status", "POST"): ADMIN_ONLY_400,
    ("admin.organisations", "GET"): ADMIN_ONLY,
    ("admin.organisation_new", "GET"): ADMIN_ONLY,
    ("admin.organisation_new", "POST"): ADMIN_ONLY_400,
    ("admin.organisation_edit", "GET"): ADMIN_ONLY,
    ("admin.organisation_edit", "POST"): ADMIN_ONLY[:-1] + ("/admin/organisations/{org_id}",),
    ("admin.organisation_status", "POST"): ADMIN_ONLY_400,
    ("admin.registrations", "GET"): ADMIN_ONLY,
    # approving needs no input: the pending registration is approved
    ("admin.registration_approve", "POST"): ADMIN_ONLY[:-1] + ("/admin/registrations",),
    ("admin.registration_reject", "POST"): ADMIN_ONLY_400,
    # -- dossiers ---------------------------------------------------------------------------
    # QA staff are sent on to the queue (the QA body's list of every submitted dossier)
    ("cases.dashboard", "GET"): (LOGIN, 200, 200, 403, QUEUE, QUEUE),
    ("cases.queue", "GET"): (LOGIN, 403, 403, 403, 200, 200),
    ("dossiers.new", "GET"): (LOGIN, 200, 200, 403, 403, 403),
    ("dossiers.new", "POST"): (LOGIN, 400, 400, 403, 403, 403),
    ("cases.show", "GET"): MEMBER_OR_STAFF_READ,
    ("dossiers.version", "GET"): MEMBER_OR_STAFF_READ,
    ("dossiers.download", "GET"): MEMBER_OR_STAFF_READ,
    ("dossiers.check", "POST"): member_only(200),
    # the dossier is submitted: the edit page sends its provider back to the dossier page
    ("dossiers.edit", "GET"): member_only(SHOW),
    ("dossiers.edit", "POST"): member_only(409),  # refused, with the input kept
    ("dossiers.upload", "POST"): member_only(400),
    ("dossiers.remove_file", "POST"): member_only(409),  # not a draft any more
    ("dossiers.submit", "GET"): member_only(409),  # already submitted
    ("dossiers.submit", "POST"): member_only(409),  # already submitted
    ("cases.withdraw", "GET"): member_only(200),
    # withdrawing asks for no input (the reason is optional)
    ("cases.withdraw", "POST"): member_only(SHOW),
    # -- screening, decision, conditions, appeals ---------------------------------------------
    # officer-only actions on the submitted dossier (taking it up needs no input)
    ("cases.take_up", "POST"): officer_only(SHOW),
    ("cases.return_dossier", "POST"): officer_only(400),
    ("cases.desk_reject", "POST"): officer_only(400),
    # the submitted dossier is not waiting for a decision: no decision form (409)
    ("decisions.decide", "GET"): officer_only(409),
    ("decisions.decide", "POST"): officer_only(409),
    # provider moves that the submitted dossier's state does not allow
    ("cases.start_revision", "POST"): member_only(409),
    ("cases.start_renewal", "POST"): member_only(409),
    # on the decided dossier: condition 1 is open, condition 2 has evidence with a file
    ("decisions.condition_evidence", "GET"): member_only(200),
    ("decisions.condition_evidence", "POST"): member_only(400),
    ("decisions.condition_verify", "POST"): officer_only(400),
    ("decisions.condition_file", "GET"): MEMBER_OR_STAFF_READ,
    # on the appealed dossier: already under appeal, so no second appeal (409)
    ("decisions.appeal", "GET"): member_only(409),
    ("decisions.appeal", "POST"): member_only(409),
    # -- panel (QA officer) -----------------------------------------------------------------
    ("panel.suggestions", "GET"): officer_only(200),
    ("panel.invite", "POST"): officer_only(400),
    ("panel.open_review", "POST"): officer_only(409),  # still submitted, not screened
    ("panel.close", "POST"): officer_only(409),
    ("panel.moderate", "POST"): officer_only(400),
    # the reviewer's submitted assignment on the decided dossier
    ("panel.cancel", "POST"): officer_only(409),
    ("panel.reinstate", "POST"): officer_only(409),
    ("panel.reopen", "POST"): officer_only(409),
    # -- reviewers --------------------------------------------------------------------------
    ("reviews.dashboard", "GET"): REVIEWER_ONLY,
    ("reviews.assignment", "GET"): REVIEWER_ONLY,
    ("reviews.accept", "POST"): reviewer_only(400),
    ("reviews.decline", "POST"): reviewer_only(400),
    ("reviews.review", "GET"): REVIEWER_ONLY,
    ("reviews.review", "POST"): reviewer_only(409),  # submitted, and the dossier is decided
    ("reviews.file", "GET"): REVIEWER_ONLY,
    ("reviews.profile", "GET"): REVIEWER_ONLY,
    ("reviews.profile", "POST"): reviewer_only("/reviews/profile"),
    # -- QA admin: rubric and policy --------------------------------------------------------
    ("rubric.rubric", "GET"): ADMIN_ONLY,
    ("rubric.rubric", "POST"): ADMIN_ONLY_400,
    ("rubric.policy", "GET"): ADMIN_ONLY,
    # the policy form starts from the stored values: a POST with no field saves them unchanged
    ("rubric.policy", "POST"): ADMIN_ONLY[:-1] + ("/admin/policy",),
    # -- inbox ------------------------------------------------------------------------------
    ("inbox.index", "GET"): SIGNED_IN,
    ("inbox.mark_all_read", "POST"): (LOGIN,) + ("/inbox/",) * 5,
    # provider A's notification opens its page (a POST marks it read on the way); nobody
    # else may open it
    ("inbox.open_notification", "GET"): (LOGIN, SHOW, 404, 404, 404, 404),
    ("inbox.open_notification", "POST"): (LOGIN, SHOW, 404, 404, 404, 404),
    # -- reports (the rejected dossier's public report: not in the catalogue) -------------
    ("reports.generate", "POST"): (LOGIN, 403, 403, 403, 400, 400),
    # the world's report is of a rejected round: published, as every reviewed outcome is
    # by default (ESG 2.6; reviews/methodology.py), so everyone may read it
    ("reports.show", "GET"): ANYONE_200,
    ("reports.status", "GET"): ANYONE_200,
    ("reports.download", "GET"): ANYONE_200,
    ("reports.retry", "POST"): (LOGIN, 403, 403, 403, 409, 409),  # it did not fail
    ("reports.verify_start", "GET"): ANYONE_200,
    ("reports.verify_start", "POST"): (400,) * SIX,  # no file sent
    ("reports.verify", "GET"): ANYONE_200,
    ("reports.verify", "POST"): (400,) * SIX,  # no file sent
    # the public credential checker: nothing pasted is a 400 with the message by the field
    ("credentials.check", "GET"): ANYONE_200,
    ("credentials.check", "POST"): (400,) * SIX,
    ("api.check_credential", "POST"): (400,) * SIX,  # no credential sent
    ("panel_rules.set_role", "POST"): officer_only(400),  # which member, which role
    # the exception needs a justification: the panel page comes back with the error
    ("panel_rules.record_exception", "POST"): officer_only(400),
    # no type ticked is a valid answer (the reviewer represents none)
    ("panel_rules.member_types", "POST"): reviewer_only("/reviews/profile"),
    ("site_visits.show", "GET"): officer_only(200),
    ("site_visits.schedule", "POST"): officer_only(400),
    ("site_visits.record", "POST"): officer_only(404),  # no visit scheduled
    ("site_visits.cancel", "POST"): officer_only(404),
    # no visit, hence no minutes: nobody learns more than that
    ("site_visits.minutes", "GET"): (LOGIN, 404, 404, 404, 404, 404),
    # the panel's findings: the officer (or the panel's chair); the submitted dossier's
    # review has not opened, so no findings yet (409); whoever may see the dossier 403
    ("findings.edit", "GET"): (LOGIN, 403, 404, 404, 409, 403),
    ("findings.edit", "POST"): (LOGIN, 403, 404, 404, 409, 403),
    # the draft report: none sent, nor findings to preview (404); only its provider comments
    ("factual.draft", "GET"): (LOGIN, 404, 404, 404, 404, 404),
    ("factual.draft", "POST"): (LOGIN, 404, 404, 404, 403, 403),
    ("factual.send", "POST"): officer_only(409),  # not waiting for a decision
    ("factual.answers", "GET"): officer_only(404),  # no check
    ("factual.answers", "POST"): officer_only(404),
    ("factual.close", "POST"): officer_only(404),
    # committee members (tests/decisions/committee/test_committee_http.py) and QA staff;
    # the submitted dossier has no proposal (404), nor is it waiting for a decision (409)
    ("committee.index", "GET"): (LOGIN, 403, 403, 403, 200, 200),
    ("committee.proposal", "GET"): (LOGIN, 403, 403, 403, 404, 404),
    ("committee.vote", "POST"): (LOGIN, 403, 403, 403, 403, 403),
    ("committee.record", "POST"): officer_only(404),
    ("committee.withdraw", "POST"): officer_only(404),
    ("committee.propose", "GET"): officer_only(409),
    ("committee.propose", "POST"): officer_only(409),
    ("publication.methodology_page", "GET"): ANYONE_200,
    ("publication.rubric_version", "GET"): ANYONE_200,
    ("publication.register", "GET"): ANYONE_200,
    ("publication.admin", "GET"): ADMIN_ONLY,
    # a field left out keeps its value: nothing changes
    ("publication.admin", "POST"): (LOGIN, 403, 403, 403, 403, "/admin/methodology"),
    # complaints: provider A filed the world's complaint (with a PDF); QA admins handle it
    ("complaints.index", "GET"): SIGNED_IN,
    ("complaints.new", "GET"): SIGNED_IN,
    ("complaints.new", "POST"): SIGNED_IN_400,
    ("complaints.show", "GET"): (LOGIN, 200, 404, 404, 404, 200),
    ("complaints.attachment", "GET"): (LOGIN, 200, 404, 404, 404, 200),
    ("complaints.acknowledge", "POST"): (LOGIN, 403, 403, 403, 403, "/complaints/{complaint_id}"),
    ("complaints.resolve", "POST"): (LOGIN, 403, 403, 403, 403, 400),
    ("complaints.withdraw", "POST"): (LOGIN, "/complaints/{complaint_id}", 404, 404, 404, 403),
    # the appeals committee's pages: none of the six visitors is a member (QA officers no
    # longer decide appeals); tests/decisions/test_appeals_committee.py opens them as one
    ("appeals.index", "GET"): (LOGIN, 403, 403, 403, 403, 403),
    ("appeals.show", "GET"): (LOGIN, 403, 403, 403, 403, 403),
    ("appeals.show", "POST"): (LOGIN, 403, 403, 403, 403, 403),
    ("accountability.summary", "GET"): ANYONE_200,
    # the follow-up decision on a condition not met: the submitted dossier has no approval
    ("follow_up.decide", "POST"): officer_only(409),
    # -- public catalogue and API (the approved dossier is published) ---------------------
    ("catalogue.index", "GET"): ANYONE_200,
    ("catalogue.detail", "GET"): ANYONE_200,
    ("catalogue.provider", "GET"): ANYONE_200,
    ("catalogue.csv", "GET"): ANYONE_200,
    ("catalogue.feed", "GET"): ANYONE_200,
    ("catalogue.publish", "POST"): officer_only(409),  # the submitted dossier is not approved
    ("catalogue.withdraw", "POST"): (LOGIN, "/catalogue/{listing_id}", 403, 403, 403, 403),
    ("catalogue.revoke", "POST"): officer_only(400),  # the reason is required
    ("api.listings", "GET"): ANYONE_200,
    ("api.listing", "GET"): ANYONE_200,
    ("api.achievement", "GET"): ANYONE_200,
    ("api.endorsement", "GET"): ANYONE_200,  # signed with the test's credential key
    ("catalogue.status_list", "GET"): ANYONE_200,
    ("api.ctdl", "GET"): ANYONE_200,
    ("api.organisations", "GET"): ANYONE_200,
    ("api.organisation", "GET"): ANYONE_200,
    ("api.openapi_document", "GET"): ANYONE_200,
}

# A POST with no field filled in (a browser always sends at least the CSRF token, so the
# forms see submitted-but-blank data rather than no data at all).
BLANK_FORM = {"blank": ""}

# Which object a URL parameter names, when it is not the default below.
USER_PARAM = {
    "admin.registration_approve": "pending",
    "admin.registration_reject": "pending",
}
# Routes about the decided or the appealed dossier instead of the submitted one.
DECIDED = {
    "decisions.condition_evidence",
    "decisions.condition_verify",
    "decisions.condition_file",
    "panel.cancel",
    "panel.reinstate",
    "panel.reopen",
    "reviews.file",
}
APPEALED = {"decisions.appeal", "appeals.show"}
CONDITION_PARAM = {"decisions.condition_evidence": "open_condition"}


def _routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_route_is_in_the_matrix(app):
    routes = _routes(app)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without a row in MATRIX (add the expected answers): {missing}"
    assert not stale, f"rows in MATRIX for routes that no longer exist: {stale}"
    assert all(len(row) == len(VISITORS) for row in MATRIX.values())


# Routes that need the review world (decided and appealed dossiers, an assignment, a
# notification); building it for the others only costs time.
NEEDS_REVIEW_WORLD = (
    "decisions.",
    "panel.",
    "reviews.",
    "inbox.open_notification",
    "reports.",
    "appeals.",
    "catalogue.",
    "api.",
)


@pytest.fixture
def world(people, make_org, make_user, make_dossier):
    """Provider A's submitted dossier (files, version 1), a pending registration, a reset
    link for provider A and, for the review routes, the review world; ``people`` holds the
    six visitors."""

    def build(endpoint: str):
        visitors, values = _world(
            people, make_org, make_user, make_dossier, endpoint.startswith(NEEDS_REVIEW_WORLD)
        )
        return visitors, values

    return build


def _world(people, make_org, make_user, make_dossier, with_reviews: bool):
    dossier = make_dossier(people.provider_a, submit=True)
    pending_org = make_org("Pending College", status=AccountStatus.PENDING)
    pending = make_user(Role.PROVIDER, org=pending_org, status=AccountStatus.PENDING)
    token = secrets.token_urlsafe(32)
    db.session.add(
        PasswordResetToken(
            user_id=people.provider_a.id,
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=utcnow() + timedelta(hours=2),
        )
    )
    commit()
    visitors = {name: getattr(people, name, None) for name in VISITORS}
    values = {
        "dossier_id": dossier.id,
        "file_id": dossier.files[0].id,
        "number": dossier.versions[0].number,
        "org_id": people.org_a.id,
        "user_id": people.provider_a.id,
        "pending": pending.id,
        "token": token,
        "filename": "css/app.css",
        "complaint_id": _complaint(people, dossier),
    }
    if with_reviews:
        decided, appealed, assignment, notification = _review_world(
            people, make_user, make_dossier, dossier
        )
        values.update(
            {
                "assignment_id": assignment.id,
                "notification_id": notification.id,
                "condition_id": decided["condition_id"],
                "appeal_id": appealed["appeal_id"],
                "decided": decided,
                "appealed": appealed,
                "listing_id": decided["listing_id"],
                "report_id": decided["report_id"],
                "code": decided["code"],
                "list_number": 1,
            }
        )
    return visitors, values


def _complaint(people, dossier) -> int:
    """Provider A's complaint about its dossier, with a PDF attached."""
    from qa_portal.decisions import complaints

    from .helpers import pdf_bytes

    complaint = complaints.file_complaint(
        people.provider_a,
        category="process",
        text="The screening took far longer than the published procedure says.",
        dossier=dossier,
        attachment=("timeline.pdf", pdf_bytes("Timeline")),
    )
    commit()
    return complaint.id


def _ready_report(dossier, decision):
    """A rendered public report, stored without running WeasyPrint (cheap)."""
    from qa_portal.core import storage
    from qa_portal.reports import operations as reports
    from qa_portal.reports.models import Report, ReportStatus, ReportVariant

    from .helpers import pdf_bytes

    stored = storage.save_bytes(pdf_bytes("Report"), kind="reports")
    report = Report(
        dossier_id=dossier.id,
        decision=decision,
        variant=ReportVariant.PUBLIC,
        revision=1,
        number="QA-TEST-1",
        code=reports.new_code(),
        status=ReportStatus.READY,
        stored_name=stored.stored_name,
        sha256=stored.sha256,
        size=stored.size,
        pages=1,
        rendered_at=utcnow(),
    )
    db.session.add(report)
    db.session.flush()
    return report


def _review_world(people, make_user, make_dossier, submitted):
    """A dossier approved with conditions (people.reviewer on its panel; condition 1 open,
    condition 2 with evidence), a rejected dossier under appeal, and a notification."""
    from qa_portal.core import clock
    from qa_portal.decisions import operations as decisions
    from qa_portal.notifications.models import Notification

    from .builders import Case
    from .helpers import pdf_bytes

    other = make_user(Role.REVIEWER, email="second@reviewers-two.example")

    def reviewed(title, outcome, **kwargs):
        d = make_dossier(people.provider_a, submit=True, title=title)
        case = Case(
            d,
            officer=people.officer,
            provider=people.provider_a,
            reviewers=[people.reviewer, other],
        )
        return case.decide(outcome, rationale="Reasons.", **kwargs)

    due = clock.today() + timedelta(days=60)
    decided_case = reviewed(
        "Decided",
        "approved_with_conditions",
        conditions=[{"text": "First", "due_date": due}, {"text": "Second", "due_date": due}],
    )
    d1, decision, assignment = (
        decided_case.dossier,
        decided_case.decision,
        decided_case.assignments[0],
    )
    decisions.submit_condition_evidence(
        people.provider_a, decision.conditions[1], "Done.", [("evidence.pdf", pdf_bytes())]
    )
    appealed_case = reviewed("Appealed", "rejected").lodge_appeal(
        "Grounds of the appeal, in detail."
    )
    d2, rejection, appeal = appealed_case.dossier, appealed_case.decision, appealed_case.appeal
    listing = decided_case.publish().listing
    report = _ready_report(d2, rejection)  # a report of a dossier not in the catalogue
    notification = Notification(
        user_id=people.provider_a.id, kind="test", title="Look", url=f"/dossiers/{submitted.id}"
    )
    db.session.add(notification)
    commit()
    condition = decision.conditions[1]
    decided = {
        "dossier_id": d1.id,
        "condition_id": condition.id,
        "open_condition": decision.conditions[0].id,
        "file_id": condition.files[0].id if condition.files else None,
        "assignment_id": assignment.id,
        "listing_id": listing.id,
        "report_id": report.id,
        "code": report.code,
    }
    # reviews.file names an evidence file of the version under review
    decided_file = d1.versions[0].snapshot["files"][0]["id"]
    decided["review_file"] = decided_file
    appealed = {"dossier_id": d2.id, "appeal_id": appeal.id}
    return decided, appealed, assignment, notification


def _url(app, endpoint: str, values: dict) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    args = {name: values[name] for name in rule.arguments}
    if "user_id" in args and endpoint in USER_PARAM:
        args["user_id"] = values[USER_PARAM[endpoint]]
    if endpoint in DECIDED:
        args.update({k: values["decided"][k] for k in args if k in values["decided"]})
    if endpoint in APPEALED:
        args.update({k: values["appealed"][k] for k in args if k in values["appealed"]})
    if endpoint in CONDITION_PARAM:
        args["condition_id"] = values["decided"][CONDITION_PARAM[endpoint]]
    if endpoint == "reviews.file":
        args["file_id"] = values["decided"]["review_file"]
    return app.url_map.bind("qa.test").build(endpoint, args)


def _outcome(response) -> int | str:
    if response.status_code not in (302, 303):
        return response.status_code
    location = urlsplit(response.headers["Location"])
    if location.path == "/login" and "next=" in location.query:
        return LOGIN
    return location.path


@pytest.mark.parametrize(
    ("endpoint", "method"), sorted(MATRIX), ids=[" ".join(k) for k in sorted(MATRIX)]
)
def test_access(app, client, login, world, endpoint, method, credential_key):
    visitors, values = world(endpoint)
    url = _url(app, endpoint, values)
    expected = [
        e.format(**values) if isinstance(e, str) and e != LOGIN else e
        for e in MATRIX[(endpoint, method)]
    ]
    actual, header_problems = [], []
    for name in VISITORS:
        login(client, visitors[name])
        response = client.open(url, method=method, data=BLANK_FORM if method == "POST" else None)
        actual.append(_outcome(response))
        signed_in = visitors[name] is not None and endpoint not in SIGNS_OUT
        problems = security_header_problems(
            response, signed_in=signed_in, public=endpoint.startswith(PUBLIC_CACHE)
        )
        header_problems += [f"{name} ({response.status_code}): {p}" for p in problems]
        response.close()  # static files and downloads stream from an open file
        if response.status_code in (403, 404):
            # refusals are the app's own page with a message, never a bare framework error
            assert b'class="error-code"' in response.data, (name, response.data)
    mismatches = [
        f"{name}: expected {want!r}, got {got!r}"
        for name, want, got in zip(VISITORS, expected, actual, strict=True)
        if want != got
    ]
    assert not mismatches, f"{method} {url}\n" + "\n".join(mismatches)
    assert not header_problems, f"{method} {url}\n" + "\n".join(header_problems)


# Every answer carries the security headers (core/headers.py), and what a signed-in person
# gets is not stored by any cache: pages, redirects, files and error pages alike. Static
# files and the JSON API are the same for everyone and keep their caching; signing out
# answers a person who is no longer signed in.
PUBLIC_CACHE = ("static", "api.", "catalogue.status_list")
SIGNS_OUT = {"accounts.logout", "accounts.sign_out_everywhere"}


# -- a GET never writes -------------------------------------------------------------------
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# The one exception, on purpose: serving a confidential file (evidence, a condition's
# evidence, a review report) to QA staff or a reviewer appends an entry to the audit trail.
# That entry is an access log — who read what, when — and it belongs to the request that
# reads; it is the only write a GET may make (README, "The audit trail").
ACCESS_LOGGED = {
    "dossiers.download",
    "decisions.condition_file",
    "reports.download",
    "reviews.file",
    "complaints.attachment",
}
BEGIN = re.compile(r"^\s*BEGIN\b", re.IGNORECASE)  # SQLite (PostgreSQL's is not a statement)
WRITE_LOCK = re.compile(r"^\s*BEGIN\s+IMMEDIATE\b", re.IGNORECASE)
AUDIT_INSERT = re.compile(r'^\s*INSERT INTO "?audit_entry"?\s', re.IGNORECASE)


@contextmanager
def statements_run():
    """Every SQL statement sent to the database while the block runs."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.mark.parametrize(
    "endpoint", sorted(e for e, m in MATRIX if m == "GET"), ids=lambda endpoint: endpoint
)
def test_get_never_writes(app, client, login, world, endpoint, credential_key):
    """Opening a page, following a link or reloading changes nothing: no GET, for any
    visitor, sends an INSERT, UPDATE or DELETE (the access log of file downloads aside)."""
    visitors, values = world(endpoint)
    url = _url(app, endpoint, values)
    writes, logged, began, locked = [], [], [], []
    for name in VISITORS:
        login(client, visitors[name])
        with statements_run() as statements:
            client.get(url).close()
        if any(BEGIN.match(statement) for statement in statements):
            began.append(name)
        if any(WRITE_LOCK.match(statement) for statement in statements):
            locked.append(name)
        for statement in filter(WRITE.match, statements):
            if endpoint in ACCESS_LOGGED and AUDIT_INSERT.match(statement):
                logged.append(name)
            else:
                writes.append(f"{name}: {' '.join(statement.split())[:200]}")
    assert not writes, f"GET {url} writes:\n" + "\n".join(writes)
    if endpoint in ACCESS_LOGGED:
        assert logged, "the download is no longer in the audit trail"
    if db.engine.dialect.name != "sqlite":
        return
    # On SQLite a page reads beside the writer and never waits for the write lock; a
    # download takes it first (@writes_on_get), or two at once would fork the audit chain.
    if endpoint in ACCESS_LOGGED:
        assert locked and locked == began, f"GET {url} does not take the write lock first"
    else:
        assert not locked, f"GET {url} takes the write lock for {', '.join(locked)}"
