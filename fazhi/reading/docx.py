"""Word .docx reports: paragraphs and table rows of the body, in document order.

A table of figures (a disclosure report's statistics) is read one row per line with each figure after its
column header: ``主动公开 | 规章 | 本年制发件数 | 3 | 本年废止件数 | 0``, so that a row is one unit that still
says what its numbers count. Other tables (layout boxes of prose) give their cells' text, one row per line.
"""

from __future__ import annotations

import io
import re
import zipfile

from fazhi.errors import UnreadableFile
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB, check_zip_expansion, mb_to_bytes


def docx_to_text(raw: bytes, name: str = "<docx>", max_bytes: int = mb_to_bytes(DEFAULT_MAX_FILE_MB)) -> str:
    """Paragraphs and table rows of a .docx body, in document order, one per line; a package whose parts
    expand past max_bytes is refused before any part is decompressed."""
    check_zip_expansion(raw, name, max_bytes)
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(raw))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise UnreadableFile(f"{name}: not a readable .docx document ({exc.__class__.__name__})") from None
    except Exception as exc:  # a damaged package can fail deep inside the XML reader
        raise UnreadableFile(f"{name}: damaged .docx document ({exc.__class__.__name__}: {exc})") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.extend(block.text.split("\n"))
        elif isinstance(block, Table):
            lines.extend(table_lines([[" ".join(cell.text.split()) for cell in row.cells] for row in block.rows]))
    text = "\n".join(lines)
    if not text.strip():
        raise UnreadableFile(f"{name}: the .docx document has no text")
    return text + "\n"


_FIGURE = re.compile(r"[-+]?\d[\d,，.]*\s*(?:%|％|件|万元|亿元|元|个|人次|人|次|项|条|份|天|日)?")


def _distinct(cells: list[str]) -> list[str]:
    """The cells of a row without the copies a merged cell repeats in each column it spans, nor empty ones."""
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def table_lines(rows: list[list[str]]) -> list[str]:
    """Table rows (cell texts by column, merged cells repeated) as lines: figures after their column headers
    where the first row heads columns of figures, else the distinct cells of each row."""
    rows = [r for r in rows if any(r)]
    figures = len(rows) >= 2 and any(_FIGURE.fullmatch(c) for r in rows[1:] for c in r)
    if not figures or any(_FIGURE.fullmatch(c) for c in rows[0]):
        return [" ".join(_distinct(r)) for r in rows if _distinct(r)]
    header = rows[0]
    lines = [" | ".join(_distinct(header))]
    for row in rows[1:]:
        labels: list[str] = []
        pairs: list[str] = []
        for j, cell in enumerate(row):
            if not cell or (j > 0 and row[j - 1] == cell and not _FIGURE.fullmatch(cell)):
                continue  # empty, or a merged label spanning columns
            head = header[j] if j < len(header) else ""
            if _FIGURE.fullmatch(cell) and head and head not in labels:
                pairs += [head, cell]
            else:
                labels.append(cell)
        if labels or pairs:
            lines.append(" | ".join(labels + pairs))
    return lines
