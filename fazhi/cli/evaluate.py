"""`fazhi evaluate`: a model's figures on real text and on a split of the label data."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from fazhi import paths
from fazhi.cli.options import add_command, check_at_least, check_threads, model_dir, set_threads, threads_field
from fazhi.errors import UsageError
from fazhi.evaluation.evaluate import evaluate_model
from fazhi.evaluation.real_text import BOOTSTRAP_SAMPLES
from fazhi.hub import quiet_transformers
from fazhi.model.card import write_model_card


@dataclass(frozen=True)
class EvaluateOptions:
    """The options of `fazhi evaluate`."""

    model: str = field(
        default=str(paths.DEFAULT_MODEL_DIR),
        metadata={
            "positional": "?",
            "help": "model directory, or 'bert' / 'baseline' for a shipped one "
            f"(default: the shipped default, {paths.DEFAULT_MODEL_DIR})",
        },
    )
    threads: int | None = threads_field()
    data: str = field(default=str(paths.LABELS_DIR), metadata={"help": "label folder or file"})
    split: str = field(default="test", metadata={"help": "split to evaluate", "choices": ["train", "dev", "test"]})
    real: str | None = field(
        default=None,
        metadata={"metavar": "FOLDER", "help": "a real-text folder to score, e.g. ../shared/realdev (default: none)"},
    )
    no_test: bool = field(default=False, metadata={"switch": True, "help": "skip the test split of --data"})
    bootstrap: int = field(
        default=BOOTSTRAP_SAMPLES, metadata={"help": "bootstrap samples for the real-text intervals; 0 for none"}
    )
    output: str | None = field(
        default=None,
        metadata={
            "flags": ("-o",),
            "metavar": "DIR",
            "help": "a folder to write evaluation.json and evaluation.md into (default: none, only printed)",
        },
    )
    update_model_card: bool = field(
        default=False,
        metadata={
            "switch": True,
            "help": "write evaluation.json/.md into the model directory and rebuild its model card from them, "
            "each file replaced atomically (for the model's own builder: the card then shows these figures)",
        },
    )

    def validate(self) -> None:
        check_threads(self.threads)
        if self.no_test and self.real is None:
            raise UsageError("expected something to evaluate on: the test split (drop --no-test) or --real FOLDER")
        check_at_least("--bootstrap", self.bootstrap, 0)
        if self.output is not None and self.update_model_card:
            raise UsageError("expected --output DIR or --update-model-card, found both: the figures go to one place")


def add_parser(sub) -> None:
    add_command(
        sub,
        "evaluate",
        EvaluateOptions,
        evaluate,
        help="evaluate a model on real text and on a split of the label data",
        description="Per-class precision/recall/F1, macro-F1, confusion matrix and problem-flag P/R/F1. "
        "--real FOLDER scores a real-text set (docs/*.txt and units.jsonl with offsets, the format of the "
        "project's real development set) unit by unit and by tagging each whole document as `fazhi tag` "
        "does, overall and per part, with 95% bootstrap intervals over documents: the headline figures. "
        "The test split is reported overall and per part (seed, written, each genre, hard cases, "
        "context_only). The figures are printed; --output DIR writes them as evaluation.json/.md, and "
        "--update-model-card writes them into the model directory and rebuilds its card (README.md), "
        "as `make model` and `make baseline` do for the shipped models. Without either, nothing is written.",
    )


def evaluate(options: EvaluateOptions) -> int:
    quiet_transformers()
    set_threads(options.threads)
    model = model_dir(options.model) or paths.DEFAULT_MODEL_DIR
    data = None if options.no_test else Path(options.data)
    out_dir = Path(options.output) if options.output else model if options.update_model_card else None
    test, real = evaluate_model(
        model,
        data,
        split=options.split,
        out_dir=out_dir,
        real=Path(options.real) if options.real else None,
        samples=options.bootstrap,
    )
    for result in (real, test):
        if result is not None:
            print(result.markdown)
    if options.update_model_card:
        card = write_model_card(model)
        print(f"wrote {model}/evaluation.json and evaluation.md and rebuilt the model card {card}", file=sys.stderr)
    elif out_dir is not None:
        print(f"wrote {out_dir}/evaluation.json and evaluation.md", file=sys.stderr)
    return 0
