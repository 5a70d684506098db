"""`fazhi classify`: sentences, one per line, to JSON Lines."""

from __future__ import annotations

import argparse
import io
import sys

from fazhi.cli.inputs import read_input
from fazhi.cli.options import MODEL_HELP, add_threads_option, model_dir, set_threads
from fazhi.model import load_model
from fazhi.pipeline.classify import classify_lines


def add_parser(sub) -> None:
    cl = sub.add_parser("classify", help="classify sentences, one per line, to JSON Lines",
                        description="Read one sentence per line (blank lines skipped), as plain text or as a JSON object "
                        "{\"text\": ..., \"context\": ...} whose context is the report title and headings above the sentence "
                        "(what `fazhi tag` gives the model), and write one JSON object per sentence: text, context, category, "
                        "scores (six labels -> probability), problem, problem_score, truncated.")
    cl.add_argument("file", nargs="?", default="-",
                    help="file of sentences, one per line, read as `fazhi tag` reads text (any encoding it reads), or - for stdin (default: -)")
    cl.add_argument("--model", default=None, help=MODEL_HELP)
    add_threads_option(cl)
    cl.add_argument("--batch-size", type=int, default=64, help="sentences per model call (default: %(default)s)")
    cl.add_argument("--int8", action="store_true",
                    help="dynamic int8 quantisation of a BERT model: about 2.4x faster, but scores shift slightly with batch-mates")
    cl.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    text = read_input(args.file, lines=True)  # before the model loads: a file that cannot be read fails at once
    model = load_model(model_dir(args.model), quantize=True if args.int8 else None)
    set_threads(args.threads)
    classify_lines(io.StringIO(text), sys.stdout, batch_size=args.batch_size, model=model, name=args.file if args.file != "-" else "<stdin>")
    return 0
