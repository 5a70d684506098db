"""`fazhi text`: the text fazhi extracted from a report, which unit offsets index; --units marks the units."""

from __future__ import annotations

import argparse
import sys

from fazhi.pipeline.segment import segment
from fazhi.reading import OCR_MODES
from fazhi.reading.extract import extracted_text


def add_parser(sub) -> None:
    p = sub.add_parser(
        "text",
        help="print the text extracted from a report (what unit offsets index)",
        description="Print the text fazhi reads from a report (.txt, .html, .docx, .pdf, scans and page "
        "images by OCR), exactly as the segmenter sees it: the start/end offsets of `fazhi segment` and "
        "`fazhi tag` index this text. With --units, one unit per line instead: its offsets, H for a "
        "heading, and its text.",
    )
    p.add_argument("file", help="report file, or - for stdin")
    p.add_argument(
        "--units", action="store_true", help="show the unit boundaries and headings instead of the plain text"
    )
    p.add_argument(
        "--ocr",
        choices=OCR_MODES,
        default="auto",
        help="auto: OCR pages without a text layer; never: refuse them; always: OCR every page (default: %(default)s)",
    )
    p.set_defaults(func=run)


def format_units(text: str) -> str:
    """One line per unit: 'start-end', 'H' for a heading or '-', the unit's text (tab-separated)."""
    return "".join(f"{u.start}-{u.end}\t{'H' if u.is_heading else '-'}\t{u.text}\n" for u in segment(text))


def _progress(done: int, total: int) -> None:
    if total > 1 and sys.stderr.isatty():
        print(f"\rpage {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    stdin = sys.stdin.buffer.read() if args.file == "-" else None
    text = extracted_text(args.file, ocr=args.ocr, progress=_progress, stdin=stdin)
    sys.stdout.write(format_units(text) if args.units else text)
    return 0
