"""Reading a finished `fazhi tag` output back, for --resume: which reports it holds, and whether it is in the
format this run writes (fazhi.output.formats)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from fazhi.errors import ResumeError
from fazhi.names import printable_name
from fazhi.output.formats import SKIPPED_HEADING
from fazhi.pipeline.aggregate import md_name

__all__ = ["docs_in", "drop_skipped", "check_format"]

_MD_DOC = re.compile(r"^# (.+)$")


def _csv_docs(f: IO[str], path: Path) -> Iterable[str]:
    reader = csv.reader(f)
    header = next(reader, None)
    if header is None:
        return
    if not header or header[0] != "doc":
        raise ResumeError(
            f"{printable_name(str(path))}: expected a CSV file of fazhi tag units (first column 'doc'), found "
            f"{header[:3]}"
        )
    yield from (row[0] for row in reader if row)


def _json_docs(f: IO[str], path: Path, kind: str) -> Iterable[str]:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if kind == "summary" and "skipped" in entry:  # an input the run could not tag
                continue
            yield entry["doc"]
        except (json.JSONDecodeError, KeyError, TypeError):
            raise ResumeError(
                f"{printable_name(str(path))}:{n}: expected a JSON object with 'doc' per line (is the file in "
                "another format?)"
            ) from None


def _markdown_docs(f: IO[str]) -> Iterable[str]:
    """Each report's section starts with "# doc"; the skipped inputs come last."""
    for line in f:
        if line.rstrip("\n") == SKIPPED_HEADING:
            return
        m = _MD_DOC.match(line.rstrip("\n"))
        if m:
            yield md_name(m.group(1))


def docs_in(path: Path, kind: str, fmt: str) -> list[str]:
    """Report names found in a finished output file, in order of first appearance."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        if kind == "units" and fmt == "csv":
            docs = _csv_docs(f, path)
        elif fmt in ("jsonl", "json"):
            docs = _json_docs(f, path, kind)
        else:
            docs = _markdown_docs(f)
        return list(dict.fromkeys(docs))


def drop_skipped(path: Path, fmt: str) -> None:
    """Remove the skipped-inputs part from a copy of a finished summary file, before reports are appended."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    if fmt == "json":
        kept = [line for line in lines if not (line.startswith('{"skipped"') and "skipped" in json.loads(line))]
    else:
        ends = [i for i, line in enumerate(lines) if line.rstrip("\n") == SKIPPED_HEADING]
        kept = lines[: ends[0]] if ends else lines
    path.write_text("".join(kept), encoding="utf-8")


def check_format(path: Path, kind: str, fmt: str, header: str, name: str) -> None:
    """ResumeError when the finished output at path (named `name` in messages) holds another format than fmt,
    or CSV columns other than header."""
    with open(path, encoding="utf-8-sig") as f:
        head = f.read(4096)
    if not head.strip():
        return
    if kind == "units":
        found = "jsonl" if head.lstrip().startswith("{") else "csv"
        if found == "csv" and header and head.splitlines()[0] != header.rstrip("\n"):
            raise ResumeError(f"{name}: its CSV columns differ from this run's ({header.strip()[:60]}…); cannot resume")
    else:
        found = "json" if head.lstrip().startswith("{") else "md"
    if found != ("md" if fmt == "short" else fmt):
        raise ResumeError(f"{name}: holds {found} {kind}, but this run writes {fmt}; resume with the same format")
