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
