"""`fazhi classify`: sentences, one per line, to JSON Lines."""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field

from fazhi.cli.inputs import read_input
from fazhi.cli.options import (
    add_command,
    check_at_least,
    check_threads,
    model_dir,
    model_field,
    set_threads,
    threads_field,
)
from fazhi.model import load_model
from fazhi.model.prediction import BATCH_SIZE
from fazhi.pipeline.classify import classify_lines


@dataclass(frozen=True)
class ClassifyOptions:
    """The options of `fazhi classify`."""

    file: str = field(
        default="-",
        metadata={
            "positional": "?",
            "help": "file of sentences, one per line, read as `fazhi tag` reads text (any encoding it reads), "
            "or - for stdin (default: -)",
        },
    )
    model: str | None = model_field()
    threads: int | None = threads_field()
    batch_size: int = field(default=BATCH_SIZE, metadata={"help": "sentences per model call"})
    int8: bool = field(
        default=False,
        metadata={
            "switch": True,
            "help": "dynamic int8 quantisation of a BERT model: about 2.4x faster, but scores shift slightly "
            "with batch-mates",
        },
    )

    def validate(self) -> None:
        check_threads(self.threads)
        check_at_least("--batch-size", self.batch_size, 1)


def add_parser(sub) -> None:
    add_command(
        sub,
        "classify",
        ClassifyOptions,
        classify,
        help="classify sentences, one per line, to JSON Lines",
        description="Read one sentence per line (blank lines skipped), as plain text or as a JSON object "
        "{\"text\": ..., \"context\": ...} whose context is the report title and headings above the sentence "
        "(what `fazhi tag` gives the model), and write one JSON object per sentence: text, context, category, "
        "scores (six labels -> probability), problem, problem_score, truncated.",
    )


def classify(options: ClassifyOptions) -> int:
    text = read_input(options.file, lines=True)  # before the model loads: a file that cannot be read fails at once
    model = load_model(model_dir(options.model), quantize=True if options.int8 else None)
    set_threads(options.threads)
    name = options.file if options.file != "-" else "<stdin>"
    classify_lines(io.StringIO(text), sys.stdout, batch_size=options.batch_size, model=model, name=name)
    return 0
