"""`fazhi compare`: two reports of one body, area by area."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fazhi.cli.options import MODEL_HELP, add_config_options, config_from_args, model_dir
from fazhi.model import load_model
from fazhi.output.atomic import write_output
from fazhi.review.compare import CompareConfig, compare_files, compare_markdown


def add_parser(sub) -> None:
    cmp = sub.add_parser(
        "compare",
        help="compare two reports of one body (say 2022 and 2023)",
        description="Tag two reports of one body and compare them: per area the sentence and problem "
        "counts of each year and the change; the areas dropped and added; the problem statements of NEW "
        "that restate one of OLD (carried over, matched on normalised characters, TF-IDF cosine); and the "
        "new measures, NEW's units in each area with no close match in OLD. Reads the formats `fazhi tag` "
        "reads. Markdown by default, or JSON.",
    )
    cmp.add_argument("old", metavar="OLD", help="the earlier report")
    cmp.add_argument("new", metavar="NEW", help="the later report")
    cmp.add_argument("--model", default=None, help=MODEL_HELP)
    cmp.add_argument("--format", choices=["md", "json"], default="md", help="output format (default: %(default)s)")
    cmp.add_argument(
        "--output", "-o", default="-", metavar="FILE", help="output file, - for stdout (default: %(default)s)"
    )
    add_config_options(cmp, CompareConfig)
    cmp.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(CompareConfig, args)
    model = load_model(model_dir(args.model))
    result = compare_files(Path(args.old), Path(args.new), model, config)
    text = (
        json.dumps(result, ensure_ascii=False, indent=2) + "\n" if args.format == "json" else compare_markdown(result)
    )
    write_output(args.output, text)
    return 0
