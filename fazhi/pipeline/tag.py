"""`fazhi tag`: report files in, per-sentence results and per-report summaries out.

The flow is one way: inputs are expanded to report sources, each is read
(fazhi.reading), segmented (fazhi.pipeline.segment), given its context (fazhi.pipeline.context),
classified (fazhi.pipeline.results over the model), summarised (fazhi.pipeline.aggregate) and
written (fazhi.output.writers). Reading the next report runs in
a background thread while the model classifies the current one.
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO

from fazhi.errors import UsageError
from fazhi.model import Predictor
from fazhi.names import printable_name
from fazhi.output.writers import TagOutputs, Target, csv_header, format_summary, format_units
from fazhi.pipeline.aggregate import summarize
from fazhi.pipeline.context import unit_contexts
from fazhi.pipeline.results import classify, unit_results
from fazhi.pipeline.segment import segment
from fazhi.reading import SUPPORTED_SUFFIXES, UNSUPPORTED_SUFFIXES, UnreadableFile, read_report, read_report_bytes
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB, mb_to_bytes, too_large
from fazhi.reading.ocr import OcrMode
from fazhi.schema import SentenceRow, UnitRow

__all__ = [
    "STDIN_DOC",
    "Source",
    "Failure",
    "TaggedReport",
    "TagResult",
    "TagInterrupted",
    "expand_inputs",
    "tag_text",
    "Engine",
    "read_source",
    "local_reports",
    "run_tag",
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
    ocr: OcrMode = "auto"  # --ocr: pages without a text layer read by OCR (auto), refused (never), or every page (always)


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


@dataclass
class TagResult:
    reports: int = 0  # tagged in this run
    sentences: int = 0
    skipped: int = 0  # finished by an earlier run (--resume)
    failures: list[Failure] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def sentences_per_second(self) -> float:
        return self.sentences / self.seconds if self.seconds > 0 else 0.0

    def summary_line(self) -> str:
        parts = [f"tagged {self.reports} report{'s' if self.reports != 1 else ''}, {self.sentences} sentence{'s' if self.sentences != 1 else ''} "
                 f"in {self.seconds:.1f} s ({self.sentences_per_second:.0f} sentences/s)"]
        if self.skipped:
            parts.append(f"{self.skipped} already done (resumed)")
        parts.append(f"{len(self.failures)} failed")
        return "; ".join(parts)


class TagInterrupted(Exception):
    """The run was interrupted; committed reports are kept for --resume."""

    def __init__(self, result: TagResult) -> None:
        super().__init__("interrupted")
        self.result = result


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
    what = ("a FIFO" if stat.S_ISFIFO(mode) else "a character device" if stat.S_ISCHR(mode)
            else "a block device" if stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
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
                    unlisted.append(Failure(where, f"{where}: {special}, not a regular file; only regular files are "
                                                   "read from a folder (name it on the command line to read it)"))
            elif Path(name).suffix.lower() in UNSUPPORTED_SUFFIXES:  # listed, never skipped silently
                where = os.path.normpath(str(Path(root) / name))
                unlisted.append(Failure(where, f"{where}: skipped, {UNSUPPORTED_SUFFIXES[Path(name).suffix.lower()]}"))
    return found, unlisted


def expand_inputs(items: Sequence[str]) -> tuple[list[Source], list[Failure]]:
    """Files, directories (recursively), globs and '-' (stdin) → report sources, plus inputs that name nothing."""
    sources: list[Source] = []
    failures: list[Failure] = []
    seen: set[str] = set()

    def add(path: Path | None, doc: str) -> None:
        if doc not in seen:
            seen.add(doc)
            sources.append(Source(doc, path))

    def add_path(p: Path, given: str, from_glob: bool = False) -> None:
        if p.is_dir():
            files, unlisted = _walk(p)
            failures.extend(unlisted)  # "permission denied", not "no report files"
            if not files and not unlisted and not from_glob:
                kinds = ", ".join(sorted(set(SUPPORTED_SUFFIXES)))
                failures.append(Failure(given, f"{given}: no report files ({kinds}) in this folder"))
            for f in files:
                add(f, os.path.normpath(str(f)))
        elif from_glob and (special := _special_kind(p)) is not None:  # a pattern is read like a folder
            where = os.path.normpath(str(p))
            failures.append(Failure(where, f"{where}: {special}, not a regular file; only regular files are read "
                                           "from a pattern (name it on the command line to read it)"))
        else:
            add(p, os.path.normpath(str(p)))

    for item in items:
        if item == "-":
            add(None, STDIN_DOC)
        elif Path(item).exists():
            add_path(Path(item), item)
        elif _has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                failures.append(Failure(item, f"{item}: no files match this pattern"))
            for m in matches:
                mp = Path(m)
                # A file the pattern names is read whatever its suffix (an
                # unsupported one is reported with its reason).
                add_path(mp, m, from_glob=True)
        else:
            failures.append(Failure(item, f"{item}: no such file or directory"))
    # A file name that is not valid UTF-8 (surrogate-escaped by the OS layer) is named with its bad bytes
    # escaped (\xff), so that every output can be written and --resume finds the report by the same name.
    return ([Source(printable_name(s.doc), s.path) for s in sources],
            [Failure(printable_name(f.doc), printable_name(f.reason)) for f in failures])


# --- tagging --------------------------------------------------------------------
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def empty_reason(text: str) -> str:
    """Why a report whose text was read gave no sentence units: the likely cause, for the skipped list (a run
    once said "tagged 1 report, 0 sentences" and nothing more)."""
    chars = len(text.strip())
    cjk = len(_CJK.findall(text))
    if cjk == 0:
        return (f"no sentences: its {chars} characters of text hold no Chinese (a page whose declared charset is "
                "wrong, a PDF whose fonts map to no Unicode, or not a Chinese report?)")
    return (f"no sentences: its text ({chars} characters, {cjk} Chinese) is only headings, page furniture or "
            "fragments the segmenter does not keep")
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
        return read_report_bytes(raw, STDIN_DOC, suffix="", max_bytes=source.max_bytes, ocr=source.ocr)
    return read_report(source.path, max_bytes=source.max_bytes, ocr=source.ocr)


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


def local_reports(sources: Sequence[Source], model: Predictor, stdin: BinaryIO | None = None) -> Iterator[tuple[Source, TaggedReport | Failure]]:
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


def _same_path(a: str, b: str) -> bool:
    """Two output paths that reach one file: the same path, through a link, or a hard link (two handles on one
    file would overwrite each other)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _source_bytes(source: Source) -> int:
    try:
        return source.path.stat().st_size if source.path is not None else 0
    except OSError:
        return 0


def _progress_bar(total_bytes: int, enabled: bool, stream: IO[str]):
    """A bar over the bytes of the report files (one large report moves it as far as its size), or over
    reports when their sizes are unknown (stdin); reports and sentences are counted beside it."""
    if not enabled:
        return None
    from tqdm import tqdm

    if total_bytes > 0:
        return tqdm(total=total_bytes, unit="B", unit_scale=True, unit_divisor=1024, file=stream, dynamic_ncols=True,
                    leave=True, smoothing=0.1)
    return tqdm(unit="report", file=stream, dynamic_ncols=True, leave=True, smoothing=0.1)


def run_tag(
    inputs: Sequence[str],
    model: Predictor,
    *,
    units_output: str | None = None,
    units_format: str = "jsonl",
    summary_output: str | None = None,
    summary_format: str = "json",
    write_units: bool = True,
    default_units_stream: IO[str] | None = None,
    default_summary_stream: IO[str] | None = None,
    resume: bool = False,
    progress: bool = False,
    stdin: BinaryIO | None = None,
    log: IO[str] | None = None,
    engine: Engine | None = None,
    on_report: Callable[[TaggedReport], None] | None = None,
    before_commit: Callable[[TaggedReport], None] | None = None,
    max_file_mb: float = DEFAULT_MAX_FILE_MB,
    ocr: OcrMode = "auto",
) -> TagResult:
    """Tag every report named by inputs; write units and summaries; return the counts.

    units_output / summary_output: a file path ('-' is stdout), written
    atomically and resumable; None writes to default_units_stream /
    default_summary_stream (None there: no such output). An unreadable report
    is recorded in the result's failures and reported on log; the run goes on.
    Raises TagInterrupted on Ctrl-C (what is committed stays for --resume).
    engine: what reads and tags the reports (default local_reports, in this
    process); on_report: called with each report once it is committed; before_commit: called
    with each report before it is written (it may add to the summary). max_file_mb: the largest report
    read (and what a .docx may expand to); a larger one is skipped with a reason naming --max-file-mb.
    A report that gives no sentence units is skipped too, with its likely reason. ocr: see fazhi.reading.read_report.
    """
    max_bytes = mb_to_bytes(max_file_mb)
    log = log if log is not None else sys.stderr
    if write_units and units_output and summary_output and units_output != "-" and _same_path(units_output, summary_output):
        raise UsageError(f"--output and --summary-output name the same file ({units_output}); give them different files")
    sources, failures = expand_inputs(inputs)
    for flag, out in (("--output", units_output if write_units else None), ("--summary-output", summary_output)):
        onto = next((s for s in sources if out and out != "-" and s.path is not None and _same_path(out, str(s.path))), None)
        if onto is not None:  # found in a folder, by a pattern, or through a link: writing it would overwrite it
            raise UsageError(f"{flag} {printable_name(str(out))} is the input report {onto.doc}; writing it would "
                             "overwrite the report being read: choose another output file")
    labels = list(model.labels)
    header = ",".join(csv_header(labels)) + "\n" if units_format == "csv" else ""
    units_target = (
        Target.open("units", units_format, units_output, default_units_stream, header=header) if write_units else None
    )
    summary_target = Target.open("summary", summary_format, summary_output, default_summary_stream)
    outputs = TagOutputs(units_target, summary_target, resume=resume)

    sources = [dataclasses.replace(s, max_bytes=max_bytes, ocr=ocr) for s in sources]
    result = TagResult(failures=list(failures))
    sizes = {s.doc: _source_bytes(s) for s in sources} if progress else {}
    total_bytes = sum(sizes.values())
    bar = _progress_bar(total_bytes, progress, log)

    def advance(doc: str) -> None:
        if bar is not None:
            bar.update(sizes.get(doc, 0) if total_bytes else 1)

    def say(message: str) -> None:
        if bar is not None:
            bar.write(message, file=log)
        else:
            print(message, file=log, flush=True)

    for f in failures:
        say(f"fazhi tag: skipped {f}")
    todo = []
    for s in sources:
        if s.doc in outputs.done:
            result.skipped += 1
        else:
            todo.append(s)
    if bar is not None:
        for s in sources:
            if s.doc in outputs.done:
                advance(s.doc)

    start = time.perf_counter()
    reports = (engine or local_reports)(todo, model, stdin)
    try:
        for source, report in reports:
            if isinstance(report, Failure):
                result.failures.append(report)
                say(f"fazhi tag: skipped {report.reason}")
                advance(source.doc)
                continue
            if before_commit is not None:  # e.g. fills summary["shared"] from the reports before it
                before_commit(report)
            outputs.commit(
                source.doc,
                format_units(report.units, units_format, labels) if units_target is not None else None,
                format_summary(report.summary, summary_format) if summary_target is not None else None,
            )
            if on_report is not None:
                on_report(report)
            result.reports += 1
            result.sentences += len(report.units)
            if bar is not None:
                elapsed = time.perf_counter() - start
                bar.set_postfix_str(f"{result.reports + result.skipped}/{len(sources)} reports, {result.sentences} sentences, "
                                    f"{result.sentences / elapsed if elapsed else 0:.0f} sentences/s", refresh=False)
                advance(source.doc)
        outputs.finish(skipped=[(f.doc, f.reason) for f in result.failures])
    except KeyboardInterrupt:
        outputs.close()
        result.seconds = time.perf_counter() - start
        raise TagInterrupted(result) from None
    except BaseException:
        outputs.close()
        raise
    finally:
        close = getattr(reports, "close", None)  # stops a generator engine now, not at garbage collection
        if close is not None:
            close()
        if bar is not None:
            bar.close()
    result.seconds = time.perf_counter() - start
    return result
