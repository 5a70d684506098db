"""Reading a command's input file through the readers of `fazhi tag`, or stdin for '-'."""

from __future__ import annotations

import sys
from pathlib import Path

from fazhi.reading import SUPPORTED_SUFFIXES, UnreadableFile, read_report, read_report_bytes


def read_input(name: str, lines: bool = False) -> str:
    """A report file's text through the readers of `fazhi tag` (any encoding it reads; .html, .docx, .pdf), or stdin
    for '-'.

    lines: a file of lines (classify), read as text whatever its suffix unless it is a report format.
    """
    if name == "-":
        return read_report_bytes(sys.stdin.buffer.read(), "<stdin>", suffix=".txt")
    path = Path(name)
    if lines and path.suffix.lower() not in SUPPORTED_SUFFIXES:
        if not path.is_file():
            raise UnreadableFile(f"{name}: no such file")
        return read_report_bytes(path.read_bytes(), name, suffix=".txt")
    return read_report(path)
