"""`fazhi segment`: a report's sentence units as JSON Lines."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from fazhi.cli.inputs import read_input
from fazhi.pipeline.segment import segment


def add_parser(sub) -> None:
    seg = sub.add_parser(
        "segment",
        help="split a report into sentence units (JSON Lines)",
        description="Print the sentence units of a report with offsets and headings. The report is read "
        "as `fazhi tag` reads it (.txt in any encoding tag reads, .html, .docx, .pdf).",
    )
    seg.add_argument("file", help="report file, or - for stdin")
    seg.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = read_input(args.file)
    for unit in segment(text):
        print(json.dumps(asdict(unit), ensure_ascii=False))
    return 0
