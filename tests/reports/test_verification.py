"""Anyone can check a report: the code (typed or scanned from the cover's QR code) opens the
verification page, which says whether an uploaded PDF is, byte for byte, the issued one."""

from __future__ import annotations

import io

import pytest

from qa_portal.extensions import db
from qa_portal.reports import operations as reports
from qa_portal.reports.models import ReportStatus, ReportVariant
from tests.reports.helpers import hold_jobs

from .helpers import issue, normalised, page_texts


def upload(client, code: str, data: bytes | None, name: str = "report.pdf"):
    form = {} if data is None else {"file": (io.BytesIO(data), name)}
    return client.post(f"/verify/{code}", data=form, content_type="multipart/form-data")


@pytest.fixture
def issued(decided, people):
    _, decision = decided
    return issue(people.officer, decision)


def test_the_genuine_file_verifies_and_a_changed_byte_does_not(client, issued):
    report, pdf = issued
    page = client.get(f"/verify/{report.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert report.sha256 in html and report.number in html and "Approved" in html

    genuine = upload(client, report.code, pdf)
    assert genuine.status_code == 200
    assert "Genuine." in genuine.get_data(as_text=True)

    for position in (0, len(pdf) // 2, len(pdf) - 1):
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01
        answer = upload(client, report.code, bytes(tampered))
        assert answer.status_code == 200
        text = answer.get_data(as_text=True)
        assert "Not the genuine report." in text and "Genuine." not in text
    # one byte more or less is another file too
    assert "Not the genuine report." in upload(client, report.code, pdf + b"\n").text
    assert "Not the genuine report." in upload(client, report.code, pdf[:-1]).text


def test_the_code_is_found_however_it_is_typed(client, issued):
    report, _ = issued
    typed = report.code.lower().replace("-", " ")
    answer = client.get("/verify", query_string={"code": typed})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/verify/{report.code}")
    assert client.get(f"/verify/{report.code.lower()}").status_code == 200


def test_unknown_codes_and_unfinished_reports_are_not_found(client, decided, people, monkeypatch):
    assert client.get("/verify/AAAA-BBBB-CCCC").status_code == 404
    assert upload(client, "AAAA-BBBB-CCCC", b"%PDF-1.7").status_code == 404
    _, decision = decided
    hold_jobs(monkeypatch)
    queued = reports.request_report(people.officer, decision, ReportVariant.PUBLIC)
    from qa_portal.core.db import commit

    commit()
    assert queued.status == ReportStatus.QUEUED
    assert client.get(f"/verify/{queued.code}").status_code == 404


def test_an_empty_upload_is_refused_with_a_message(client, issued):
    report, _ = issued
    for answer in (upload(client, report.code, None), upload(client, report.code, b"")):
        assert answer.status_code == 400
        assert "Choose the PDF file to check." in answer.get_data(as_text=True)


def test_the_cover_qr_code_encodes_the_verification_address_printed_beside_it(issued):
    """Render the cover to an image (pdfplumber, through PDFium) and decode the QR code
    (zxing-cpp): it holds the verification address, which is also printed as text."""
    import pdfplumber
    import zxingcpp

    report, pdf = issued
    url = f"http://qa.test/verify/{report.code}"
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        image = document.pages[0].to_image(resolution=150).original
    codes = zxingcpp.read_barcodes(image)
    assert [(c.format.name, c.text) for c in codes] == [("QRCode", url)]
    cover = normalised(page_texts(pdf)[0])
    assert url in cover and report.code in cover
    # the address leads to this report's verification page
    db.session.expire_all()
    assert reports.by_code(url.rsplit("/", 1)[1]).id == report.id


# -- what the page says (issue 16, item 6) --------------------------------------------------
def test_the_page_shows_the_report_the_decision_and_the_listing_today(client, workflow, people):
    from qa_portal.catalogue import operations as catalogue
    from qa_portal.core.db import commit

    listing = workflow.published()
    report, _ = issue(people.officer, listing.decision)
    html = client.get(f"/verify/{report.code}").get_data(as_text=True)
    for shown in (report.number, report.sha256, report.code, f"revision {report.revision}"):
        assert shown in html
    assert f"<dt>Pages</dt><dd>{report.pages}</dd>" in html
    assert "<dt>Deciding body</dt><dd>QA officer," in html
    assert f'href="/catalogue/{listing.id}"' in html and listing.title in html
    assert '<span class="badge badge-valid">Valid</span>' in html
    assert "Signed by" not in html  # no signature information yet: nothing is claimed

    catalogue.revoke_listing(people.officer, listing, "Misleading claims.")
    commit()
    html = client.get(f"/verify/{report.code}").get_data(as_text=True)
    assert "Revoked by the QA body" in html and "Misleading claims." in html


def test_a_decision_without_a_listing_says_so(client, issued):
    report, _ = issued
    html = client.get(f"/verify/{report.code}").get_data(as_text=True)
    assert "This microcredential is not listed in the catalogue" in html


def test_the_signature_shows_when_the_view_has_one(client, issued, monkeypatch):
    from datetime import UTC, datetime

    from qa_portal.reports import views

    report, _ = issued
    signature = {
        "signer": "QA Body signing key",
        "organisation": "QA Body",
        "signed_at": datetime(2026, 3, 1, 10, 30, tzinfo=UTC),
        "valid": True,
    }
    monkeypatch.setattr(views, "_signature_of", lambda r: signature)
    html = client.get(f"/verify/{report.code}").get_data(as_text=True)
    assert '<dd id="signature">QA Body signing key (QA Body), at' in html
    assert "Signature valid" in html


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("AAAA-BBBB-CCCC", "Check it and try again."),
        ("abc", "You typed 3 letters and digits; a code has 12."),
        ("ABCD-EFGH-JKL0", "Codes never contain 0"),
    ],
)
def test_a_mistyped_code_gets_a_clear_not_found_page(client, issued, typed, why):
    for answer in (
        client.get(f"/verify/{typed}"),
        client.get("/verify", query_string={"code": typed}),
    ):
        assert answer.status_code == 404
        html = answer.get_data(as_text=True)
        assert "<h1>No report has this code</h1>" in html
        assert f'value="{typed}"' in html  # what was typed is kept in the form
        assert 'aria-describedby="code-help code-error"' in html
        assert html.index('id="code"') < html.index('id="code-error"')
        assert why in html
        assert reports.CODE_FORMAT in html


def test_a_checked_file_is_never_stored(app, client, issued):
    from pathlib import Path

    report, pdf = issued
    roots = {Path(app.instance_path)} | {
        Path(app.config[key]).parent for key in ("UPLOAD_DIR", "REPORT_DIR", "MAIL_OUTBOX_DIR")
    }

    def files():
        return sorted(p for root in roots for p in root.rglob("*") if p.is_file())

    before = files()
    assert any(p.name == report.stored_name for p in before)  # the roots hold the reports
    assert "Not the genuine report." in upload(client, report.code, pdf + b"x").text
    assert "Genuine." in upload(client, report.code, pdf).text
    assert files() == before


def test_the_verify_page_links_the_credential_checker(client, issued):
    report, _ = issued
    assert 'href="/verify/credential"' in client.get(f"/verify/{report.code}").text
