"""`fazhi tag`: report files to per-sentence results, per-report summaries and, when asked, the corpus view."""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fazhi.cli.options import (
    add_command,
    check_at_least,
    check_threads,
    model_dir,
    model_field,
    set_threads,
    threads_field,
)
from fazhi.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, UsageError, WriteError
from fazhi.model import default_model_dir, load_model
from fazhi.output.atomic import write_output
from fazhi.output.formats import SUMMARY_FORMATS, UNIT_FORMATS
from fazhi.output.run import TagInterrupted, run_tag
from fazhi.pipeline.engines import RAY_WORKERS, ray_engine
from fazhi.reading.limits import DEFAULT_MAX_FILE_MB
from fazhi.reading.ocr import OCR_MODES, OcrMode
from fazhi.review.corpus_view import CorpusView, read_unit_rows
from fazhi.review.report import ReviewRun
from fazhi.review.shared import SharedIndex

_DESCRIPTION = (
    "Read each report (.txt in UTF-8/UTF-8 with BOM/GB18030/GBK; .html/.htm saved pages, "
    "main text only; .docx; .pdf with a text layer), segment it, classify every sentence unit, and write "
    "per-sentence results (doc, index, start, end, heading, text, category, scores, problem, "
    "problem_score) as JSON Lines or CSV, plus a per-report summary (sentences per category, problem "
    "statements with their categories, areas never mentioned; and the review: report type, the outline "
    "checked against the parts its type must have, with what is missing, the key figures, and the units "
    "shared with reports of other bodies in the same run, leaving out headings, table rows, the "
    "statutory stock lines and lines found in many reports) as JSON Lines or Markdown. "
    "A file that cannot be read, or a folder that cannot be listed, is reported with its reason and "
    "skipped; the run goes on. Output files "
    "are written to FILE.partial and renamed when the run completes; --resume continues an "
    "interrupted run. Exit status: 0 all reports tagged, 1 some failed (each named on stderr and at the end of the "
    "summary output), 2 usage error "
    "(bad arguments, no usable input or output), 3 the model cannot be loaded, 130 interrupted."
)

ENGINE = "engine"
VIEW = "corpus view"


@dataclass(frozen=True)
class TagOptions:
    """The options of `fazhi tag`."""

    OPTION_GROUPS: ClassVar[dict[str, str]] = {
        ENGINE: "where the reports are read and tagged; the output is the same byte for byte",
        VIEW: "figures across all the reports tagged, for reviewers and researchers",
    }

    paths: tuple[str, ...] = field(
        metadata={
            "positional": "+",
            "metavar": "PATH",
            "help": "report files, folders (searched recursively), glob patterns (quoted), or - for stdin",
        }
    )
    model: str | None = model_field()
    threads: int | None = threads_field()
    output: str | None = field(
        default=None,
        metadata={"flags": ("-o",), "metavar": "FILE", "help": "file for per-sentence results (default: stdout)"},
    )
    format: str | None = field(
        default=None,
        metadata={
            "choices": list(UNIT_FORMATS),
            "help": "per-sentence format (default: csv when --output ends in .csv, else jsonl); CSV has one "
            "scores.<label> column per label",
        },
    )
    summary: str | None = field(
        default=None,
        metadata={
            "choices": list(SUMMARY_FORMATS),
            "help": "summary format: JSON Lines, a Markdown report, or a few Markdown lines per report "
            "(default: short on a terminal, else json)",
        },
    )
    summary_output: str | None = field(
        default=None,
        metadata={
            "metavar": "FILE",
            "help": "file for summaries, - for stdout (default: stdout with --no-units, else stderr)",
        },
    )
    no_units: bool = field(
        default=False,
        metadata={
            "switch": True,
            "flags": ("--quiet-units",),
            "help": "write only the summaries, not the per-sentence results",
        },
    )
    resume: bool = field(
        default=False,
        metadata={
            "switch": True,
            "help": "skip reports already finished in the output files (after an interruption, or to add reports "
            "to a finished run)",
        },
    )
    max_file_mb: float = field(
        default=DEFAULT_MAX_FILE_MB,
        metadata={
            "metavar": "MB",
            "help": "the largest report file read, what a .docx or a PDF page may expand to, and (1,024 "
            "sentences and 5,120 HTML tags per MB) what one report may hold; a larger one is skipped with its reason",
        },
    )
    ocr: OcrMode = field(
        default="auto",
        metadata={
            "choices": list(OCR_MODES),
            "help": "auto: read PDF pages without a text layer and page images by OCR (Tesseract with chi_sim: "
            "apt-get install tesseract-ocr tesseract-ocr-chi-sim); never: skip such reports with the reason; "
            "always: OCR every page",
        },
    )
    progress: bool | None = field(
        default=None,
        metadata={"boolean": True, "help": "show the progress bar, or never (default: only when stderr is a terminal)"},
    )
    engine: str = field(
        default="local",
        metadata={
            "group": ENGINE,
            "choices": ["local", "ray"],
            "help": "local: in this process; ray: Ray Data over a pool of workers on this machine or a cluster "
            "(the scale extra: .venv/bin/pip install -e '.[scale]' in a checkout; see fazhi/pipeline/engines.py "
            "for a cluster)",
        },
    )
    workers: int = field(
        default=RAY_WORKERS, metadata={"group": ENGINE, "help": "Ray workers, one CPU and one model copy each"}
    )
    ray_address: str | None = field(
        default=None,
        metadata={
            "group": ENGINE,
            "metavar": "HOST:PORT",
            "help": "a running Ray cluster to use (default: RAY_ADDRESS if set, else a Ray started on this machine)",
        },
    )
    report: str | None = field(
        default=None,
        metadata={
            "group": VIEW,
            "metavar": "FILE.html",
            "help": "a self-contained HTML page (no network needed to view it): a reports x areas heatmap of sentence "
            "shares, problem statements per area, the reports that never mention an area, a sortable table of "
            "every report, and a click from any cell to its sentences",
        },
    )
    report_csv: str | None = field(
        default=None,
        metadata={
            "group": VIEW,
            "metavar": "FILE.csv",
            "help": "the same figures as CSV, one row per report: sentences, problems, and per category its "
            "sentences, share and problems",
        },
    )
    report_png: str | None = field(
        default=None,
        metadata={
            "group": VIEW,
            "metavar": "FILE.png",
            "help": "the heatmap as a PNG for papers (needs matplotlib: .venv/bin/pip install -e '.[figures]')",
        },
    )
    figures: str | None = field(
        default=None,
        metadata={
            "group": VIEW,
            "metavar": "FILE.csv",
            "help": "the key figures of every report as CSV, one row per figure: doc, indicator "
            "(reconsideration_cases, court_appearance_rate, proactive_disclosures...; empty when a number fits "
            "none), value, unit, noun, "
            "category, index and text",
        },
    )

    def validate(self) -> None:
        check_threads(self.threads)
        check_at_least("--workers", self.workers, 1)


def add_parser(sub) -> None:
    add_command(
        sub,
        "tag",
        TagOptions,
        tag,
        help="tag report files: per-sentence results and per-report summaries",
        description=_DESCRIPTION,
    )


def tag(options: TagOptions) -> int:
    """Tag the reports as the options say; the exit status."""
    # Model loading bars (transformers) would clutter stderr; the run has its own progress bar.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    units_format = options.format or ("csv" if options.output and options.output.lower().endswith(".csv") else "jsonl")
    wants_view = bool(options.report or options.report_csv or options.report_png)
    # A corpus view without -o is what the run is for: the units are not poured onto the terminal.
    write_units = not options.no_units and not (wants_view and options.output is None)
    units_to_stdout = write_units and (options.output is None or options.output == "-")
    progress = sys.stderr.isatty() if options.progress is None else options.progress
    view = _corpus_view_for(options, write_units, units_format)
    review = ReviewRun(figures=bool(options.figures))  # issue 20: shared text across the run, the figures CSV
    _refuse_output_onto_input(options)
    # Summaries: to --summary-output when asked; else to stdout only when they are the whole output (--no-units),
    # otherwise to stderr, never interleaved with units; on a terminal as a few lines of Markdown.
    summary_stream = sys.stdout if not write_units and not wants_view and options.summary_output is None else sys.stderr
    summary_format = options.summary or (
        "short" if options.summary_output is None and summary_stream.isatty() else "json"
    )
    model = load_model(model_dir(options.model))
    set_threads(options.threads)
    engine = None
    if options.engine == "ray":
        engine = ray_engine(
            model_dir(options.model) or default_model_dir(), workers=options.workers, address=options.ray_address
        )
    try:
        result = run_tag(
            list(options.paths),
            model,
            units_output=options.output if write_units else None,
            units_format=units_format,
            summary_output=options.summary_output,
            summary_format=summary_format,
            write_units=write_units,
            default_units_stream=sys.stdout,
            # Summaries share no stream with the units (one handle per destination).
            default_summary_stream=sys.stderr if units_to_stdout else summary_stream,
            resume=options.resume,
            progress=progress,
            stdin=sys.stdin.buffer,
            log=sys.stderr,
            # After --resume the reports done earlier are read back from the units file instead.
            on_report=review.chain(view.add if view is not None and not options.resume else None),
            before_commit=review.before_commit,
            engine=engine,
            max_file_mb=options.max_file_mb,
            ocr=options.ocr,
        )
    except TagInterrupted as exc:
        print(
            f"fazhi tag: interrupted; {exc.result.summary_line()}. "
            "Finished reports are kept: rerun the same command with --resume to continue.",
            file=sys.stderr,
        )
        return EXIT_INTERRUPTED
    print(f"fazhi tag: {result.summary_line()}", file=sys.stderr)
    if options.figures:
        write_output(options.figures, review.figures_csv())
        print(f"fazhi tag: wrote {options.figures} ({len(review.figure_rows)} figures)", file=sys.stderr)
    if view is not None:
        _write_view(options, view, review, model.name)
    if result.failures and not result.reports and not result.skipped:
        return EXIT_USAGE  # no usable input at all: a missing file, an empty folder, a pattern matching nothing
    return EXIT_FAILED if result.failures else EXIT_OK


def _write_view(options: TagOptions, view: CorpusView, review: ReviewRun, model_name: str) -> None:
    if options.resume and options.output is not None:  # _corpus_view_for refused --resume without --output
        # Reports done before the resume were never indexed in this run: the shared text of the whole
        # corpus is found again from the units file, in the order the reports were tagged.
        index = SharedIndex()
        for doc, rows in read_unit_rows(Path(options.output)).items():
            view.add_rows(doc, rows)
            index.add(doc, rows)
        view.set_shared(index.matches())
    else:
        view.set_shared(review.shared())
    if not view.figures:  # nothing was tagged: a page, CSV or heatmap of no reports would only mislead
        print("fazhi tag: no report was tagged, so no corpus view was written", file=sys.stderr)
        return
    for path in view.write(options.report, options.report_csv, options.report_png, model_name=model_name):
        print(
            f"fazhi tag: wrote {path} ({len(view.figures)} report{'s' if len(view.figures) != 1 else ''})",
            file=sys.stderr,
        )


def _refuse_output_onto_input(options: TagOptions) -> None:
    """-o (or --summary-output, --report…) naming one of the input files would overwrite the report being read."""
    inputs = set()
    for p in options.paths:
        if p != "-" and Path(p).is_file():
            inputs.add(os.path.realpath(p))
    for flag, out in (
        ("--output", options.output),
        ("--summary-output", options.summary_output),
        ("--report", options.report),
        ("--report-csv", options.report_csv),
        ("--report-png", options.report_png),
    ):
        if out and out != "-" and os.path.realpath(out) in inputs:
            raise UsageError(
                f"{flag} {out} is one of the input reports; writing it would overwrite the report being read: "
                "choose another output file"
            )


def _corpus_view_for(options: TagOptions, write_units: bool, units_format: str) -> CorpusView | None:
    """The collector of the corpus view when --report, --report-csv or --report-png is given, else None."""
    if not (options.report or options.report_csv or options.report_png):
        return None
    if options.resume and not (write_units and options.output not in (None, "-") and units_format in ("jsonl", "csv")):
        raise UsageError(
            "--report with --resume needs the units in a file (--output FILE): the reports finished "
            "earlier are read back from it"
        )
    for flag, path, suffix in (
        ("--report", options.report, ".html"),
        ("--report-csv", options.report_csv, ".csv"),
        ("--report-png", options.report_png, ".png"),
    ):
        if path and path != "-" and not Path(path).parent.resolve().is_dir():
            raise WriteError(f"{flag}: the folder for {path} does not exist")
        if path and path != "-" and not path.lower().endswith(suffix):
            print(
                f"fazhi tag: note: {flag} {path} is written as {suffix[1:].upper()} whatever its name", file=sys.stderr
            )
    if options.report_png and importlib.util.find_spec("matplotlib") is None:
        raise UsageError(
            "--report-png needs matplotlib, which is not installed: .venv/bin/pip install -e '.[figures]' "
            "in a checkout, or pip install matplotlib"
        )
    return CorpusView()
