"""The check every uploaded PDF passes: dossier evidence and condition evidence alike.

Evidence files are opened by reviewers and QA officers on their own machines, so a file is
accepted only if it is a plain document. Refused, each with the reason shown next to the
upload field:

- anything that is not a PDF by its content, or has **any bytes before** ``%PDF-``: a file
  that starts as something else (an HTML page with a PDF appended, a "polyglot") is read
  as that other thing by browsers and some tools;
- a PDF without its end-of-file marker (cut short), password-protected, unreadable or
  without pages: reviewers could not open it;
- **active content**, wherever it hangs in the document (the catalogue and its
  ``/OpenAction`` and ``/AA`` additional actions, the name trees, pages, annotations and
  their ``/A``/``/AA`` actions, outlines, form fields): JavaScript (``/JS``, a
  ``/JavaScript`` action or name tree), ``/Launch`` actions (start a program or open another
  file), embedded files (the ``/EmbeddedFiles`` name tree, file specifications with
  ``/EF``, ``/FileAttachment`` annotations, ``/GoToE`` actions), rich media (Flash, video:
  ``/RichMedia``), form actions that send or fetch data (``/SubmitForm``, ``/ImportData``)
  and XFA forms, which carry their own scripts. A PDF reader runs or opens these when the
  file is opened or clicked; none belongs in a curriculum or an assessment sample.

The document is parsed with pypdf and every object reachable from the catalogue is
visited once (PDF names are compared decoded, so ``/J#53`` is ``/JS``). Ordinary links to
web addresses (``/URI``) and within the document (``/GoTo``) are accepted.
"""

from __future__ import annotations

import enum
import io

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from qa_portal.core.errors import InvalidInput

# What pypdf raises on a damaged file besides its own error.
_READ_ERRORS = (
    PdfReadError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RecursionError,
)


class ActiveContent(enum.Enum):
    """A kind of active content, by what the person uploading would call it."""

    JAVASCRIPT = "JavaScript (scripts the PDF reader runs)"
    LAUNCH = "an action that launches a program or opens another file"
    EMBEDDED_FILE = "embedded files (attachments)"
    RICH_MEDIA = "embedded rich media (Flash or video)"
    FORM_ACTION = "a form action that sends or imports data"
    XFA = "an XFA form (which can run scripts)"


# A dictionary holding one of these keys is active content of that kind.
_KEYS = {
    "/JS": ActiveContent.JAVASCRIPT,
    "/JavaScript": ActiveContent.JAVASCRIPT,  # the name tree of document scripts
    "/EmbeddedFiles": ActiveContent.EMBEDDED_FILE,
    "/EF": ActiveContent.EMBEDDED_FILE,  # a file specification carrying the file
    "/RichMediaContent": ActiveContent.RICH_MEDIA,
    "/XFA": ActiveContent.XFA,
}
# An action (``/S``), a ``/Type`` or an annotation ``/Subtype`` with one of these values.
_VALUES = {
    "/JavaScript": ActiveContent.JAVASCRIPT,
    "/Launch": ActiveContent.LAUNCH,
    "/SubmitForm": ActiveContent.FORM_ACTION,
    "/ImportData": ActiveContent.FORM_ACTION,
    "/GoToE": ActiveContent.EMBEDDED_FILE,
    "/EmbeddedFile": ActiveContent.EMBEDDED_FILE,
    "/FileAttachment": ActiveContent.EMBEDDED_FILE,
    "/RichMedia": ActiveContent.RICH_MEDIA,
    "/RichMediaExecute": ActiveContent.RICH_MEDIA,
}
_TYPED_KEYS = ("/S", "/Type", "/Subtype")


def check_pdf(data: bytes) -> int:
    """Return the page count of a genuine, readable, unencrypted PDF without active
    content; refuse anything else with the reason (``InvalidInput``)."""
    if not data.startswith(b"%PDF-"):
        if b"%PDF-" in data[:1024]:
            raise InvalidInput(
                "This file has other content before its PDF header (it may be a web page "
                "disguised as a PDF). Please export the document again as a plain PDF."
            )
        raise InvalidInput(
            "This file is not a PDF (whatever its name says). Evidence files must be PDF documents."
        )
    if b"%%EOF" not in data[-2048:]:
        raise InvalidInput(
            "This PDF is incomplete or damaged (no end-of-file marker). Please export it again."
        )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise InvalidInput(
                "This PDF is password-protected; reviewers could not open it. "
                "Please upload an unprotected copy."
            )
        pages = len(reader.pages)
        found = active_content(reader)
    except InvalidInput:
        raise
    except _READ_ERRORS as exc:
        raise InvalidInput("This PDF cannot be read; please export it again.") from exc
    if found:
        kinds = "; ".join(kind.value for kind in ActiveContent if kind in found)
        raise InvalidInput(
            f"This PDF contains {kinds}. Evidence files must be plain documents: save or "
            "print it again as a PDF without them (and upload attachments as separate PDFs)."
        )
    if pages < 1:
        raise InvalidInput("This PDF has no pages.")
    return pages


def active_content(reader: PdfReader) -> set[ActiveContent]:
    """The kinds of active content in the objects reachable from the document catalogue."""
    found: set[ActiveContent] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer.raw_get("/Root")]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            found.update(_KEYS[key] for key in obj if key in _KEYS)
            for key in _TYPED_KEYS:
                value = _resolved(obj.raw_get(key)) if key in obj else None
                if isinstance(value, str) and value in _VALUES:
                    found.add(_VALUES[value])
            stack.extend(obj.raw_get(key) for key in obj)
        elif isinstance(obj, ArrayObject):
            stack.extend(list.__iter__(obj))
    return found


def _resolved(value: object) -> object:
    return value.get_object() if isinstance(value, IndirectObject) else value
