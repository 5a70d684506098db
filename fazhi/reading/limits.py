"""Limits on what one report may cost to read: its size on disk, what a .docx expands to, and how long a pipe
may stay silent.

Every reader gets the limit in bytes; a file over it is refused before it is parsed, with a message that names
the limit and the flag that raises it. Without limits a 678 KB zip-bomb .docx took 5.7 GB and nearly five
minutes to fail, and a .txt link to /dev/zero read until memory ran out.
"""

from __future__ import annotations

import io
import os
import select
import stat
import sys
import time
import zipfile
import zlib
from pathlib import Path

from fazhi.errors import UnreadableFile, UsageError

__all__ = [
    "DEFAULT_MAX_FILE_MB",
    "MAX_FILE_FLAG",
    "PIPE_WAIT_S",
    "mb_to_bytes",
    "too_large",
    "read_limited",
    "check_pdf_expansion",
    "check_zip_expansion",
]

DEFAULT_MAX_FILE_MB = 50.0
MAX_FILE_FLAG = "--max-file-mb"
# How long a FIFO or pipe named as an input may stay silent (no writer, or a writer that sends nothing)
# before it is given up: a FIFO with no writer once hung a run forever, past an interrupt.
PIPE_WAIT_S = 10.0
_CHUNK = 1 << 20


def mb_to_bytes(mb: float) -> int:
    if not mb > 0:
        raise UsageError(f"expected {MAX_FILE_FLAG} above 0, found {mb:g}")
    return int(mb * 1024 * 1024)


def _mb(n: int) -> str:
    if n < 100 * 1024:
        return f"{n} bytes" if n < 10 * 1024 else f"{n / 1024:.0f} KB"
    return f"{n / (1024 * 1024):.1f} MB" if n < 10 * 1024 * 1024 else f"{n / (1024 * 1024):.0f} MB"


def too_large(name: str, what: str, limit: int) -> UnreadableFile:
    """The refusal of a report over the limit: what was found, the limit, and the flag that raises it."""
    return UnreadableFile(
        f"{name}: {what}, over the {_mb(limit)} limit on one report "
        f"(raise it with {MAX_FILE_FLAG} if the file is a real report)"
    )


def read_limited(path: Path, limit: int, wait_s: float | None = None) -> bytes:
    """The bytes of path, at most limit of them; a larger file is refused without being read whole.

    A regular file is refused on its size before a byte is read. Anything else (a FIFO, a pipe from
    `<(…)`, a device such as /dev/zero) is read without blocking: it is refused once it passes the limit,
    and given up when it stays silent for wait_s seconds (default PIPE_WAIT_S).
    """
    wait = PIPE_WAIT_S if wait_s is None else wait_s
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        if st.st_size > limit:
            raise too_large(str(path), f"the file is {_mb(st.st_size)}", limit)
        with open(path, "rb") as f:
            raw = f.read(limit + 1)
    else:
        raw = _read_stream(path, limit, wait)
    if len(raw) > limit:
        raise too_large(str(path), f"the file is more than {_mb(limit)}", limit)
    return raw


def _read_stream(path: Path, limit: int, wait: float) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    parts: list[bytes] = []
    size = 0
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        last = time.monotonic()
        told = False
        while size <= limit:
            if not told and not parts and time.monotonic() - last >= 1.0:
                # The output side says so too (fazhi.output.writers): a wait is announced, never silent.
                print(
                    f"fazhi: waiting up to {wait:g} s for something to be written to {path}",
                    file=sys.stderr,
                    flush=True,
                )
                told = True
            left = min(wait - (time.monotonic() - last), 1.0 if not told else wait)
            if left <= 0:
                raise UnreadableFile(
                    f"{path}: nothing was written to it for {wait:g} s (a FIFO or pipe with no "
                    "writer?); start the writer first"
                )
            if not poller.poll(left * 1000):
                continue
            try:
                chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            except BlockingIOError:
                continue
            if not chunk:
                # End of input, or (a FIFO nobody has opened yet) no writer: Linux reports neither as
                # readable until a writer has come, so an empty read here means the writer is done.
                break
            parts.append(chunk)
            size += len(chunk)
            last = time.monotonic()
    finally:
        os.close(fd)
    return b"".join(parts)


def check_zip_expansion(raw: bytes, name: str, limit: int) -> None:
    """Refuse a .docx (a ZIP package) whose parts would expand past limit, from the sizes its directory
    declares, before anything is decompressed. zipfile never returns more than a member's declared size, so
    a directory that lies makes the reader fail on its checksum, not run out of memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            total = sum(info.file_size for info in z.infolist())
            count = len(z.infolist())
    except zipfile.BadZipFile:
        return  # the reader says it is damaged
    if total > limit:
        raise too_large(name, f"its {count} parts expand to {_mb(total)}", limit)
    budget = unit_budget(limit)
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as z:
            paragraphs = _docx_paragraphs(z, budget)
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError, EOFError):
        return  # no document part, or a damaged one: the reader says which
    if paragraphs > budget:
        raise UnreadableFile(
            f"{name}: more than {budget:,} paragraphs, over what the {_mb(limit)} limit on one report "
            f"allows ({UNITS_PER_MB:,} per MB; raise it with {MAX_FILE_FLAG} if the file is a real report)"
        )


def check_pdf_expansion(raw: bytes, name: str, limit: int) -> None:
    """Refuse a PDF whose page content streams inflate past limit, counted by inflating them a piece at a time
    and keeping nothing: a 0.5 MB PDF whose one page inflated to 500 MB of drawing operators took 44 s and
    7.9 GB to read."""
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            return  # the reader refuses it or decrypts it; its streams cannot be measured here
        pages = len(reader.pages)
        if pages > unit_budget(limit) // PAGES_PER_UNIT:
            raise UnreadableFile(
                f"{name}: {pages:,} pages, over the {unit_budget(limit) // PAGES_PER_UNIT:,} that the "
                f"{_mb(limit)} limit on one report allows (raise it with {MAX_FILE_FLAG} if the file is a real report)"
            )
        total = 0
        for page in reader.pages:
            contents = page.get("/Contents")
            if contents is None:
                continue
            contents = contents.get_object()
            streams = list(contents) if isinstance(contents, list) else [contents]
            for ref in streams:
                total += _inflated_size(ref.get_object(), limit - total + 1)
                if total > limit:
                    raise too_large(name, f"its page content inflates to more than {_mb(limit)}", limit)
    except UnreadableFile:
        raise
    except Exception:  # a damaged PDF: the reader says what is wrong with it
        return


def _inflated_size(stream, budget: int) -> int:
    """Bytes a page stream inflates to, counted up to budget; an unfiltered or non-Flate stream counts as stored."""
    data = getattr(stream, "_data", b"") or b""
    filters = stream.get("/Filter")
    filters = [str(f) for f in (filters if isinstance(filters, list) else [filters] if filters else [])]
    if filters[:1] != ["/FlateDecode"]:
        return len(data)
    z = zlib.decompressobj()
    size = 0
    view = memoryview(data)
    pos = 0
    while size <= budget:
        chunk = z.decompress(z.unconsumed_tail or view[pos : pos + _CHUNK], _CHUNK)
        if not z.unconsumed_tail:
            pos += _CHUNK
        size += len(chunk)
        if not chunk and not z.unconsumed_tail and pos >= len(data):
            break
    return size


# What a report may hold for its size limit: each MB of --max-file-mb allows this many sentence units (a real
# report has a few thousand; 1 M sentences in a 6 MB file once took 3.5 GB), and an HTML page five tags per
# unit (a real page has some thousands of tags; parsing costs memory per tag).
UNITS_PER_MB = 1024
TAGS_PER_UNIT = 5
# ... and a PDF one page per ten units (a real report has tens of pages; 20,000 one-line pages took 19 s).
PAGES_PER_UNIT = 10
_SENTENCE_ENDS = ("。", "！", "？", "!", "?", "\n")


def unit_budget(limit: int) -> int:
    return max(1, limit * UNITS_PER_MB // (1024 * 1024))


def check_sentences(text: str, name: str, limit: int) -> None:
    """Refuse text with more sentence ends than the budget of the limit allows, before it is segmented."""
    budget = unit_budget(limit)
    # Sentence ends, and the lines that end without one (a line that ends in one is one sentence, not two).
    ends = sum(text.count(c) for c in _SENTENCE_ENDS[:-1])
    ends += text.count("\n") - sum(text.count(c + "\n") for c in _SENTENCE_ENDS[:-1])
    if ends > budget:
        raise UnreadableFile(
            f"{name}: about {ends:,} sentences, over the {budget:,} that the {_mb(limit)} limit on one "
            f"report allows ({UNITS_PER_MB:,} per MB; raise it with {MAX_FILE_FLAG} if the file is a real report)"
        )


def check_html_tags(raw: bytes, name: str, limit: int) -> None:
    """Refuse a page with more tags than the budget of the limit allows, before it is parsed."""
    budget = unit_budget(limit) * TAGS_PER_UNIT
    tags = raw.count(b"<")
    if tags > budget:
        raise UnreadableFile(
            f"{name}: about {tags:,} tags, over the {budget:,} that the {_mb(limit)} limit on one "
            f"report allows (raise it with {MAX_FILE_FLAG} if the page is a real report)"
        )


def _docx_paragraphs(z: zipfile.ZipFile, budget: int) -> int:
    """Paragraphs in word/document.xml, counted while it is inflated a piece at a time (stops past budget)."""
    count = 0
    tail = b""
    with z.open("word/document.xml") as f:
        while count <= budget:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            window = tail + chunk  # a tag cut by the seam is counted once: the 4 bytes kept hold no whole tag
            count += window.count(b"<w:p>") + window.count(b"<w:p ")
            tail = chunk[-4:]
    return count
