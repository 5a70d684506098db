"""Tagging reports: report files in, each report's per-sentence results and summary out.

The flow is one way: inputs are expanded to report sources, each is read
(fazhi.reading), segmented (fazhi.pipeline.segment), given its context (fazhi.pipeline.context),
classified (fazhi.pipeline.results over the model) and summarised (fazhi.pipeline.aggregate).
Reading the next report runs in a background thread while the model classifies the current one.
Writing the results is the layer above: fazhi.output.run.run_tag.
"""

from __future__ import annotations

import glob
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fazhi.model import Predictor
from fazhi.names import printable_name
from fazhi.pipeline.aggregate import summarize
from fazhi.pipeline.context import unit_contexts
from fazhi.pipeline.results import classify, unit_results
from fazhi.pipeline.segment import segment
from fazhi.reading import SUPPORTED_SUFFIXES, UNSUPPORTED_SUFFIXES, UnreadableFile, read_report, read_report_bytes
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB, mb_to_bytes, too_large
from fazhi.reading.ocr import OcrMode, Progress
from fazhi.schema import SentenceRow, UnitRow

__all__ = [
    "STDIN_DOC",
    "Source",
    "Failure",
    "TaggedReport",
    "expand_inputs",
    "tag_text",
    "Engine",
    "read_source",
    "local_reports",
    "printable_name",
]

STDIN_DOC = "<stdin>"
# Most units a single model call receives; a report is classified in a few calls at most.
PREDICT_CHUNK = 512


@dataclass(frozen=True)
class Source:
    """One report to tag: doc is its name in the output (the path as given, or <stdin>)."""

    doc: str
    path: Path | None  # None: standard input
    # The largest report read, in bytes (--max-file-mb); it travels with the source to whatever engine reads it.
    max_bytes: int = mb_to_bytes(DEFAULT_MAX_FILE_MB)
    ocr: OcrMode = (
        "auto"  # --ocr: pages without a text layer read by OCR (auto), refused (never), or every page (always)
    )
    # Called (pages done, pages in all) as a PDF or image is read page by page, so a long scan under OCR shows
    # movement; only the in-process engine sets it (a callback does not travel to other processes).
    pages: Progress | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Failure:
    doc: str
    reason: str

    def __str__(self) -> str:
        return self.reason if self.reason.startswith(self.doc) else f"{self.doc}: {self.reason}"


@dataclass
class TaggedReport:
    doc: str
    units: list[UnitRow]
    summary: dict


# --- inputs -------------------------------------------------------------------
def _has_magic(s: str) -> bool:
    return any(c in s for c in "*?[")


def _special_kind(path: Path) -> str | None:
    """None for a regular file (or a link to one); else what it is, for the reason it is skipped."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "a link to nothing" if path.is_symlink() else "gone"
    except OSError as exc:
        return f"not readable ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    what = (
        "a FIFO"
        if stat.S_ISFIFO(mode)
        else "a character device"
        if stat.S_ISCHR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return f"a link to {what[2:] if what.startswith('a ') else what}" if path.is_symlink() else what


def _walk(directory: Path) -> tuple[list[Path], list[Failure]]:
    """Report files under directory, recursively, in sorted order (hidden files and Word lock files
    skipped), and what was left out with its reason: folders that could not be listed, and special files
    (a FIFO named x.txt once hung a run forever, a link to /dev/zero read until memory ran out). Only
    regular files are read from a folder; a FIFO or device named on the command line is still read."""
    found: list[Path] = []
    unlisted: list[Failure] = []

    def cannot_list(exc: OSError) -> None:
        where = os.path.normpath(str(exc.filename or directory))
        why = "permission denied" if isinstance(exc, PermissionError) else (exc.strerror or str(exc))
        unlisted.append(Failure(where, f"{where}: cannot list this folder ({why})"))

    for root, dirs, files in os.walk(directory, onerror=cannot_list):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith((".", "~$")):
                continue
            if Path(name).suffix.lower() in SUPPORTED_SUFFIXES:
                path = Path(root) / name
                special = _special_kind(path)
                if special is None:
                    found.append(path)
                else:
                    where = os.path.normpath(str(path))
                    unlisted.append(
                        Failure(
                            where,
                            f"{where}: {special}, not a regular file; only regular files are "
                            "read from a folder (name it on the command line to read it)",
                        )
                    )
            elif Path(name).suffix.lower() in UNSUPPORTED_SUFFIXES:  # listed, never skipped silently
                where = os.path.normpath(str(Path(root) / name))
                unlisted.append(Failure(where, f"{where}: skipped, {UNSUPPORTED_SUFFIXES[Path(name).suffix.lower()]}"))
    return found, unlisted


class _Inputs:
    """The report sources found so far, each once, and the inputs that name nothing."""

    def __init__(self) -> None:
        self.sources: list[Source] = []
        self.failures: list[Failure] = []
        self.seen: set[str] = set()

    def add(self, path: Path | None, doc: str) -> None:
        if doc not in self.seen:
            self.seen.add(doc)
            self.sources.append(Source(doc, path))

    def add_path(self, p: Path, given: str, from_glob: bool = False) -> None:
        if p.is_dir():
            files, unlisted = _walk(p)
            self.failures.extend(unlisted)  # "permission denied", not "no report files"
            if not files and not unlisted and not from_glob:
                kinds = ", ".join(sorted(set(SUPPORTED_SUFFIXES)))
                self.failures.append(Failure(given, f"{given}: no report files ({kinds}) in this folder"))
            for f in files:
                self.add(f, os.path.normpath(str(f)))
        elif from_glob and (special := _special_kind(p)) is not None:  # a pattern is read like a folder
            where = os.path.normpath(str(p))
            self.failures.append(
                Failure(
                    where,
                    f"{where}: {special}, not a regular file; only regular files are read "
                    "from a pattern (name it on the command line to read it)",
                )
            )
        else:
            self.add(p, os.path.normpath(str(p)))

    def add_pattern(self, item: str) -> None:
        matches = sorted(glob.glob(item, recursive=True))
        if not matches:
            self.failures.append(Failure(item, f"{item}: no files match this pattern"))
        for m in matches:
            # A file the pattern names is read whatever its suffix (an unsupported one is reported with its reason).
            self.add_path(Path(m), m, from_glob=True)


def expand_inputs(items: Sequence[str]) -> tuple[list[Source], list[Failure]]:
    """Files, directories (recursively), globs and '-' (stdin) → report sources, plus inputs that name nothing."""
    found = _Inputs()
    for item in items:
        if item == "-":
            found.add(None, STDIN_DOC)
        elif Path(item).exists():
            found.add_path(Path(item), item)
        elif _has_magic(item):
            found.add_pattern(item)
        else:
            found.failures.append(Failure(item, f"{item}: no such file or directory"))
    # A file name that is not valid UTF-8 (surrogate-escaped by the OS layer) is named with its bad bytes
    # escaped (\xff), so that every output can be written and --resume finds the report by the same name.
    return (
        [Source(printable_name(s.doc), s.path) for s in found.sources],
        [Failure(printable_name(f.doc), printable_name(f.reason)) for f in found.failures],
    )


# --- tagging --------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def empty_reason(text: str) -> str:
    """Why a report whose text was read gave no sentence units: the likely cause, for the skipped list (a run
    once said "tagged 1 report, 0 sentences" and nothing more)."""
    chars = len(text.strip())
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return (
            f"no sentences: its {chars} characters of text hold no Chinese (a page whose declared charset is "
            "wrong, a PDF whose fonts map to no Unicode, or not a Chinese report?)"
        )
    return (
        f"no sentences: its text ({chars} characters, {cjk} Chinese) is only headings, page furniture or "
        "fragments the segmenter does not keep"
    )


def tag_text(doc: str, text: str, model: Predictor) -> TaggedReport:
    """Segment one report, classify every unit in its context, and summarise."""
    units = segment(text)
    contexts = unit_contexts(units)
    results: list[SentenceRow] = []
    for k in range(0, len(units), PREDICT_CHUNK):
        results += classify(model, [u.text for u in units[k : k + PREDICT_CHUNK]], contexts[k : k + PREDICT_CHUNK])
    rows = unit_results(doc, units, results)
    return TaggedReport(doc, rows, summarize(doc, rows))


def _read(source: Source, stdin: BinaryIO | None) -> str:
    if source.path is None:
        if stdin is None:
            raise UnreadableFile(f"{STDIN_DOC}: standard input is not available")
        raw = stdin.read(source.max_bytes + 1)
        if len(raw) > source.max_bytes:
            raise too_large(STDIN_DOC, "standard input holds more", source.max_bytes)
        return read_report_bytes(
            raw, STDIN_DOC, suffix="", max_bytes=source.max_bytes, ocr=source.ocr, progress=source.pages
        )
    return read_report(source.path, max_bytes=source.max_bytes, ocr=source.ocr, progress=source.pages)


def read_source(source: Source, stdin: BinaryIO | None = None) -> str | Failure:
    """A report's text, or the Failure that says why it cannot be read (every engine reads here)."""
    try:
        return _read(source, stdin)
    except UnreadableFile as exc:
        return Failure(source.doc, str(exc))
    except OSError as exc:
        return Failure(source.doc, f"{source.doc}: cannot read ({exc})")


# An engine turns the reports to tag into (source, tagged report or failure), in the order given;
# `local_reports` is the default, fazhi.pipeline.engines has the one that runs on Ray.
Engine = Callable[[Sequence[Source], Predictor, BinaryIO | None], Iterator[tuple[Source, TaggedReport | Failure]]]


def local_reports(
    sources: Sequence[Source], model: Predictor, stdin: BinaryIO | None = None
) -> Iterator[tuple[Source, TaggedReport | Failure]]:
    """Tag each source in this process, in order; the next reports are read in a background thread meanwhile."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fazhi-read")
    pending: list[tuple[Source, Future]] = []
    lookahead = 2

    def schedule(i: int) -> None:
        if i < len(sources):
            pending.append((sources[i], pool.submit(read_source, sources[i], stdin)))

    try:
        for i in range(min(lookahead, len(sources))):
            schedule(i)
        for i in range(len(sources)):
            source, future = pending.pop(0)
            schedule(i + lookahead)
            text = future.result()
            if isinstance(text, Failure):
                yield source, text
                continue
            report = tag_text(source.doc, text, model)
            yield source, report if report.units else Failure(source.doc, f"{source.doc}: {empty_reason(text)}")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
