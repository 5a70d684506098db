"""Word .docx reports: paragraphs and table rows of the body, in document order.

A table of figures (a disclosure report's statistics) is read one row per line with each figure after its
column header: ``主动公开 | 规章 | 本年制发件数 | 3 | 本年废止件数 | 0``, so that a row is one unit that still
says what its numbers count. Other tables (layout boxes of prose) give their cells' text, one row per line.
"""

from __future__ import annotations

import io
import zipfile

from fazhi.errors import UnreadableFile
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB, check_zip_expansion, mb_to_bytes
from fazhi.reading.tables import table_lines


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
