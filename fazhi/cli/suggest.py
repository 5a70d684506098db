"""`fazhi suggest`: the units whose labels would teach the model most, as Label Studio tasks."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from fazhi.cli.options import MODEL_HELP, add_config_options, config_from_args, model_dir
from fazhi.model import load_model
from fazhi.output.atomic import write_output
from fazhi.review.suggest import SuggestConfig, label_config, spread, suggest_files, tasks_json


def add_parser(sub) -> None:
    sg = sub.add_parser(
        "suggest",
        help="pick the units whose labels would teach the model most (Label Studio tasks)",
        description="Tag the reports and pick the units the model is least sure of (category margin, or "
        "problem score near the threshold), spread over reports and predicted areas, without near-duplicates "
        "of each other or of the label set. Writes a Label Studio import file with the model's labels as "
        "pre-annotations, and a matching labelling config; Label Studio's JSON export of the labelled tasks "
        "goes straight to `fazhi train --data EXPORT.json` (with your other label files in one folder).",
    )
    sg.add_argument(
        "paths", nargs="+", metavar="PATH", help="report files, folders (searched recursively) or glob patterns"
    )
    sg.add_argument("--model", default=None, help=MODEL_HELP)
    sg.add_argument("--output", "-o", required=True, metavar="TASKS.json", help="the Label Studio import file to write")
    sg.add_argument(
        "--label-config",
        default=None,
        metavar="FILE.xml",
        help="where to write the labelling config (default: beside --output, TASKS.label_config.xml)",
    )
    n_field = next(
        f for f in fields(SuggestConfig) if f.name == "n"
    )  # -n as well as --n, with the field's help and default
    sg.add_argument(
        "-n", "--n", dest="n", type=int, default=None, help=f"{n_field.metadata['help']} (default: {n_field.default})"
    )
    add_config_options(sg, SuggestConfig, skip=("n",))
    sg.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(SuggestConfig, args)
    config_path = args.label_config or str(Path(args.output).with_suffix("")) + ".label_config.xml"
    model = load_model(model_dir(args.model))
    picks, _ = suggest_files(args.paths, model, config, log=lambda m: print(m, file=sys.stderr))
    write_output(args.output, tasks_json(picks, model.name))
    write_output(config_path, label_config())
    print(
        f"fazhi suggest: wrote {len(picks)} tasks to {args.output} and the labelling config to {config_path} "
        f"({spread(picks)})",
        file=sys.stderr,
    )
    return 0
