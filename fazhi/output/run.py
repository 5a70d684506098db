"""A `fazhi tag` run: report files through the pipeline into the output files, with progress and resume.

The pipeline (fazhi.pipeline.tag) reads and tags each report; this module, one layer above it, checks the
destinations, opens them (fazhi.output.targets), commits each tagged report, and counts what was done.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from fazhi.errors import UsageError
from fazhi.model import Predictor
from fazhi.names import printable_name
from fazhi.output.formats import csv_header, format_summary, format_units
from fazhi.output.targets import TagOutputs, Target
from fazhi.pipeline.tag import Engine, Failure, Source, TaggedReport, expand_inputs, local_reports
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB, mb_to_bytes
from fazhi.reading.ocr import OcrMode

__all__ = ["TagResult", "TagInterrupted", "run_tag"]


def _rate(per_second: float) -> str:
    """A rate as a reader wants it: whole numbers, and a decimal below 10 (a slow first report is 0.3/s, not 0/s)."""
    return f"{per_second:.1f}" if round(per_second, 1) < 10 else f"{per_second:.0f}"


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
        parts = [
            f"tagged {self.reports} report{'s' if self.reports != 1 else ''}, {self.sentences} "
            f"sentence{'s' if self.sentences != 1 else ''} in {self.seconds:.1f} s "
            f"({_rate(self.sentences_per_second)} sentences/s)"
        ]
        if self.skipped:
            parts.append(f"{self.skipped} already done (resumed)")
        parts.append(f"{len(self.failures)} failed")
        return "; ".join(parts)


class TagInterrupted(Exception):
    """The run was interrupted; committed reports are kept for --resume."""

    def __init__(self, result: TagResult) -> None:
        super().__init__("interrupted")
        self.result = result


# --- destinations -------------------------------------------------------------
def _same_path(a: str, b: str) -> bool:
    """Two output paths that reach one file: the same path, through a link, or a hard link (two handles on one
    file would overwrite each other)."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist yet
        return False


def _refuse_clashing_outputs(units_output: str | None, summary_output: str | None, sources: Sequence[Source]) -> None:
    """UsageError when the two outputs are one file, or an output is one of the reports being read."""
    if units_output and summary_output and units_output != "-" and _same_path(units_output, summary_output):
        raise UsageError(
            f"--output and --summary-output name the same file ({units_output}); give them different files"
        )
    for flag, out in (("--output", units_output), ("--summary-output", summary_output)):
        onto = next(
            (s for s in sources if out and out != "-" and s.path is not None and _same_path(out, str(s.path))), None
        )
        if onto is not None:  # found in a folder, by a pattern, or through a link: writing it would overwrite it
            raise UsageError(
                f"{flag} {printable_name(str(out))} is the input report {onto.doc}; writing it would "
                "overwrite the report being read: choose another output file"
            )


# --- progress -------------------------------------------------------------------
def _source_bytes(source: Source) -> int:
    try:
        return source.path.stat().st_size if source.path is not None else 0
    except OSError:
        return 0


class _Progress:
    """A bar over the bytes of the report files (one large report moves it as far as its size), or over
    reports when their sizes are unknown (stdin); reports and sentences are counted beside it. Without a bar,
    messages go to the log as lines."""

    def __init__(self, sources: Sequence[Source], enabled: bool, log: IO[str]) -> None:
        self.log = log
        self.sizes = {s.doc: _source_bytes(s) for s in sources} if enabled else {}
        self.total_bytes = sum(self.sizes.values())
        self.bar: Any = None
        if enabled:
            from tqdm import tqdm  # noqa: PLC0415  # only a run that shows progress needs it

            if self.total_bytes > 0:
                self.bar = tqdm(
                    total=self.total_bytes,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    file=log,
                    dynamic_ncols=True,
                    leave=True,
                    smoothing=0.1,
                )
            else:
                self.bar = tqdm(unit="report", file=log, dynamic_ncols=True, leave=True, smoothing=0.1)

    def advance(self, doc: str) -> None:
        if self.bar is not None:
            self.bar.update(self.sizes.get(doc, 0) if self.total_bytes else 1)

    def say(self, message: str) -> None:
        if self.bar is not None:
            self.bar.write(message, file=self.log)
        else:
            print(message, file=self.log, flush=True)

    def counts(self, done: int, total: int, sentences: int, elapsed: float) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(
                f"{done}/{total} reports, {sentences} sentences, "
                f"{_rate(sentences / elapsed if elapsed else 0.0)} sentences/s",
                refresh=False,
            )

    def counting_pages(self, sources: list[Source], local: bool) -> list[Source]:
        """The sources with their page callback where they are read in this process (local) and a bar shows."""
        if not local or self.bar is None:
            return sources  # a callback does not travel to a Ray worker, and without a bar there is nothing to move
        return [dataclasses.replace(s, pages=self.pages(s.doc)) for s in sources]

    def pages(self, doc: str) -> Callable[[int, int], None] | None:
        """What a report read page by page calls after each page: its page count beside the bar, so a 60-page
        scan under OCR shows movement."""
        if self.bar is None:
            return None
        name = printable_name(doc)

        def show(done: int, total: int) -> None:
            if total > 1:
                self.bar.set_postfix_str(f"{name}: page {done}/{total}")

        return show

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


# --- the run --------------------------------------------------------------------
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
    sources, failures = expand_inputs(inputs)
    _refuse_clashing_outputs(units_output if write_units else None, summary_output, sources)
    labels = list(model.labels)
    header = ",".join(csv_header(labels)) + "\n" if units_format == "csv" else ""
    units_target = (
        Target.open("units", units_format, units_output, default_units_stream, header=header) if write_units else None
    )
    summary_target = Target.open("summary", summary_format, summary_output, default_summary_stream)
    outputs = TagOutputs(units_target, summary_target, resume=resume)

    sources = [dataclasses.replace(s, max_bytes=max_bytes, ocr=ocr) for s in sources]
    result = TagResult(failures=list(failures))
    shown = _Progress(sources, progress, log if log is not None else sys.stderr)
    sources = shown.counting_pages(sources, local=engine is None)
    for f in failures:
        shown.say(f"fazhi tag: skipped {f}")
    todo = [s for s in sources if s.doc not in outputs.done]
    result.skipped = len(sources) - len(todo)
    for s in sources:
        if s.doc in outputs.done:
            shown.advance(s.doc)

    def commit(source: Source, report: TaggedReport) -> None:
        if before_commit is not None:  # e.g. fills summary["shared"] from the reports before it
            before_commit(report)
        outputs.commit(
            source.doc,
            format_units(report.units, units_format, labels) if units_target is not None else None,
            format_summary(report.summary, summary_format) if summary_target is not None else None,
        )
        if on_report is not None:
            on_report(report)

    start = time.perf_counter()
    reports = (engine or local_reports)(todo, model, stdin)
    try:
        for source, report in reports:
            if isinstance(report, Failure):
                result.failures.append(report)
                shown.say(f"fazhi tag: skipped {report.reason}")
            else:
                commit(source, report)
                result.reports += 1
                result.sentences += len(report.units)
                shown.counts(
                    result.reports + result.skipped, len(sources), result.sentences, time.perf_counter() - start
                )
            shown.advance(source.doc)
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
        shown.close()
    result.seconds = time.perf_counter() - start
    return result
