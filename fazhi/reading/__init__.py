"""Reading report files into text: the formats reports are published in.

``read_report(path)`` and ``read_report_bytes(raw, name)`` turn a report into
plain text with one paragraph (or heading) per line, which is what the
segmenter expects:

- ``.txt``: UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030/GBK.
- ``.html`` / ``.htm``: a saved government web page; only the main text is
  kept (scripts, styles, menus, headers and footers are dropped).
- ``.docx``: paragraphs and table rows of the document body, in order.
- ``.doc`` (and ``.wps`` in the same Word 97 format): through antiword (or catdoc).
- ``.pdf``: the text layer page by page, OCR (Tesseract chi_sim) for pages that
  have none; lines wrapped by the page layout are joined back into paragraphs,
  headings kept, page numbers and running headers dropped.
- ``.png`` / ``.jpg`` / ``.tif``: images of report pages, read by OCR.
- ``.ofd`` (GB/T 33190): the text objects of each page, through the PDF layout rules.

``ocr`` is "auto" (OCR where a page has no text layer), "never" or "always";
``progress(done, total)`` is called after each page of a PDF or image.

Anything that cannot give text (a binary file, an empty file, an old ``.doc``,
a scan where Tesseract is missing) raises :class:`UnreadableFile` whose message
says why, and what to install where something is missing.
Nothing here reaches the network.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from fazhi.errors import UnreadableFile
from fazhi.reading.doc import doc_to_text
from fazhi.reading.docx import docx_to_text
from fazhi.reading.html import html_to_text
from fazhi.reading.image import image_to_text
from fazhi.reading.limits import (
    DEFAULT_MAX_FILE_MB,
    check_html_tags,
    check_pdf_expansion,
    check_sentences,
    mb_to_bytes,
    read_limited,
    too_large,
)
from fazhi.reading.ocr import OCR_MODES, OcrMode, OcrUnavailable, Progress
from fazhi.reading.ofd import ofd_to_text
from fazhi.reading.pdf import pdf_to_text
from fazhi.reading.text import decode_text

__all__ = [
    "UnreadableFile",
    "OcrUnavailable",
    "OCR_MODES",
    "OcrMode",
    "Progress",
    "SUPPORTED_SUFFIXES",
    "UNSUPPORTED_SUFFIXES",
    "decode_text",
    "detect_format",
    "read_report",
    "read_report_bytes",
    "html_to_text",
    "docx_to_text",
    "doc_to_text",
    "pdf_to_text",
    "image_to_text",
    "ofd_to_text",
]

# Suffix → format; a directory walk picks up exactly these.
SUPPORTED_SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".html": "html",
    ".htm": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".doc": "doc",
    ".wps": "doc",
    ".pdf": "pdf",
    ".ofd": "ofd",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
}
# Suffix → why it is not read; a directory walk lists such files as skipped with this reason.
UNSUPPORTED_SUFFIXES: dict[str, str] = {
    ".rtf": "an RTF file; save it as .docx or .txt",
    ".xls": "a spreadsheet, not a report",
    ".xlsx": "a spreadsheet, not a report",
    ".gif": "an image with no text",
    ".zip": "an archive; unpack it first",
    ".rar": "an archive; unpack it first",
}
_UNSUPPORTED = UNSUPPORTED_SUFFIXES


# --- format detection ---------------------------------------------------------
def detect_format(raw: bytes, suffix: str = "") -> str:
    """'text', 'html', 'docx', 'doc', 'pdf', 'ofd' or 'image': from the suffix when known, else from the content.

    Raises UnreadableFile for formats that are recognised but not supported.
    """
    suffix = suffix.lower()
    if suffix in SUPPORTED_SUFFIXES:
        return SUPPORTED_SUFFIXES[suffix]
    if suffix in _UNSUPPORTED:
        raise UnreadableFile(f"unsupported format: {_UNSUPPORTED[suffix]}")
    head = raw[:2048]
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")):
        return "image"
    if head.startswith(b"PK\x03\x04"):
        if _is_docx(raw):
            return "docx"
        if _zip_holds(raw, "OFD.xml"):
            return "ofd"
        raise UnreadableFile("unsupported format: a ZIP archive that is not a .docx or .ofd document")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "doc"
    probe = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if probe.startswith((b"<!doctype html", b"<html", b"<?xml")) or b"<body" in probe or b"<head" in probe:
        return "html"
    # An unknown suffix (.md, .csv, none…): treated as text if it decodes as text.
    return "text"


def _zip_holds(raw: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return member in z.namelist()
    except zipfile.BadZipFile:
        return False


def _is_docx(raw: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def _format_of(raw: bytes, name: str, suffix: str, ocr: OcrMode, max_bytes: int) -> str:
    """The format read_report_bytes reads raw in, after the checks that need no parsing (size, ocr, emptiness)."""
    if len(raw) > max_bytes:
        raise too_large(name, f"the input is {len(raw)} bytes", max_bytes)
    if ocr not in OCR_MODES:
        raise ValueError(f"ocr: expected one of {', '.join(OCR_MODES)}, found {ocr!r}")
    try:
        fmt = detect_format(raw, suffix)
    except UnreadableFile as exc:
        raise UnreadableFile(f"{name}: {exc}") from None
    if not raw.strip():
        raise UnreadableFile(f"{name}: file is empty")
    return fmt


def _text_in_format(
    fmt: str, raw: bytes, name: str, suffix: str, ocr: OcrMode, progress: Progress | None, max_bytes: int
) -> str:
    """raw read by the reader of its format fmt (a format detect_format gives)."""
    if fmt == "html":
        check_html_tags(raw, name, max_bytes)
        return html_to_text(raw, name)
    if fmt == "docx":
        return docx_to_text(raw, name, max_bytes=max_bytes)
    if fmt == "doc":
        return doc_to_text(raw, name, kind=".wps" if suffix.lower() == ".wps" else ".doc")
    if fmt == "pdf":
        check_pdf_expansion(raw, name, max_bytes)
        return pdf_to_text(raw, name, ocr=ocr, progress=progress)
    if fmt == "image":
        return image_to_text(raw, name, ocr=ocr, progress=progress)
    if fmt == "ofd":
        return ofd_to_text(raw, name, max_bytes=max_bytes)
    return decode_text(raw, name)


def read_report_bytes(
    raw: bytes,
    name: str = "<bytes>",
    suffix: str | None = None,
    ocr: OcrMode = "auto",
    progress: Progress | None = None,
    max_bytes: int = mb_to_bytes(DEFAULT_MAX_FILE_MB),
) -> str:
    """The text of a report given as bytes; suffix (e.g. '.pdf') picks the format, else the content does.

    ocr: "auto" reads pages without a text layer by OCR, "never" refuses them, "always" reads every page by OCR.
    progress(pages done, pages): called after each page of a PDF or image.
    max_bytes: the largest report read (and what a .docx may expand to); a larger one is refused unparsed.
    """
    if suffix is None:
        suffix = Path(name).suffix
    fmt = _format_of(raw, name, suffix, ocr, max_bytes)
    text = _text_in_format(fmt, raw, name, suffix, ocr, progress, max_bytes)
    if not text.strip():
        raise UnreadableFile(f"{name}: no text found")
    check_sentences(text, name, max_bytes)
    return text


def read_report(
    path: Path,
    ocr: OcrMode = "auto",
    progress: Progress | None = None,
    max_bytes: int = mb_to_bytes(DEFAULT_MAX_FILE_MB),
) -> str:
    """The text of a report file in any supported format (ocr, progress, max_bytes: see read_report_bytes).

    A file over max_bytes is refused on its size, and a FIFO or device is read without blocking (see
    fazhi.reading.limits.read_limited)."""
    path = Path(path)
    if path.is_dir():
        raise UnreadableFile(f"{path}: is a directory")
    try:
        raw = read_limited(path, max_bytes)
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except PermissionError:
        raise UnreadableFile(f"{path}: permission denied") from None
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot read ({exc.strerror or exc})") from None
    return read_report_bytes(raw, str(path), path.suffix, ocr=ocr, progress=progress, max_bytes=max_bytes)
