"""`fazhi evaluate`: a model's figures on real text and on a split of the label data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fazhi import paths
from fazhi.cli.options import add_threads_option, model_dir, set_threads
from fazhi.errors import UsageError
from fazhi.evaluation.evaluate import evaluate_model
from fazhi.hub import quiet_transformers
from fazhi.model.card import write_model_card


def add_parser(sub) -> None:
    ev = sub.add_parser("evaluate", help="evaluate a model on real text and on a split of the label data",
                        description="Per-class precision/recall/F1, macro-F1, confusion matrix and problem-flag P/R/F1. "
                        "--real FOLDER scores a real-text set (docs/*.txt and units.jsonl with offsets, the format of the "
                        "project's real development set) unit by unit and by tagging each whole document as `fazhi tag` "
                        "does, overall and per part, with 95% bootstrap intervals over documents: the headline figures. "
                        "The test split is reported overall and per part (seed, written, each genre, hard cases, "
                        "context_only). The figures are printed; --output DIR writes them as evaluation.json/.md, and "
                        "--update-model-card writes them into the model directory and rebuilds its card (README.md), "
                        "as `make model` and `make baseline` do for the shipped models. Without either, nothing is written.")
    ev.add_argument("model", nargs="?", default=str(paths.DEFAULT_MODEL_DIR),
                    help="model directory, or 'bert' / 'baseline' for a shipped one (default: the shipped default, %(default)s)")
    add_threads_option(ev)
    ev.add_argument("--data", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)")
    ev.add_argument("--split", default="test", choices=["train", "dev", "test"], help="split to evaluate (default: %(default)s)")
    ev.add_argument("--real", default=None, metavar="FOLDER", help="a real-text folder to score, e.g. ../shared/realdev (default: none)")
    ev.add_argument("--no-test", action="store_true", help="skip the test split of --data")
    ev.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the real-text intervals; 0 for none (default: %(default)s)")
    where = ev.add_mutually_exclusive_group()
    where.add_argument("--output", "-o", default=None, metavar="DIR",
                       help="a folder to write evaluation.json and evaluation.md into (default: none, only printed)")
    where.add_argument("--update-model-card", action="store_true",
                       help="write evaluation.json/.md into the model directory and rebuild its model card from them, "
                       "each file replaced atomically (for the model's own builder: the card then shows these figures)")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    quiet_transformers()
    set_threads(args.threads)
    model = model_dir(args.model) or paths.DEFAULT_MODEL_DIR
    data = None if args.no_test else Path(args.data)
    if data is None and args.real is None:
        raise UsageError("expected something to evaluate on: the test split (drop --no-test) or --real FOLDER")
    out_dir = Path(args.output) if args.output else model if args.update_model_card else None
    test, real = evaluate_model(model, data, split=args.split, out_dir=out_dir,
                                real=Path(args.real) if args.real else None, samples=args.bootstrap)
    for result in (real, test):
        if result is not None:
            print(result.markdown)
    if args.update_model_card:
        card = write_model_card(model)
        print(f"wrote {model}/evaluation.json and evaluation.md and rebuilt the model card {card}", file=sys.stderr)
    elif out_dir is not None:
        print(f"wrote {out_dir}/evaluation.json and evaluation.md", file=sys.stderr)
    return 0
