"""The options several commands share, and the bridge from a typed config dataclass to argparse options and back.

A command's options are the fields of its config dataclass (help string, default, choices in the field's metadata);
`add_config_options` turns them into flags and `config_from_args` builds the config from what was given.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from dataclasses import MISSING, fields, replace
from pathlib import Path
from typing import Any

from fazhi import paths
from fazhi.errors import UsageError

MODEL_HELP = "model directory, or 'bert' / 'baseline' for a shipped model from any folder (default: the shipped default model)"


def add_config_options(parser, cls, skip: tuple[str, ...] = ()) -> None:
    """One option per field of a config dataclass, with the field's help string and default.

    Options default to None, so that a config built from the arguments keeps
    the dataclass's own default (or a preset's) for every option not given.
    """
    for f in fields(cls):
        if f.name in skip:
            continue
        flag = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not MISSING else None
        help_text = f.metadata.get("help", "")
        if "(default" not in help_text:  # a help string that names its default says it once
            help_text += f" (default: {default})"
        kwargs: dict = {"dest": f.name, "default": None, "help": help_text}
        if "choices" in f.metadata:
            kwargs["choices"] = f.metadata["choices"]
        if isinstance(default, bool) or f.metadata.get("boolean"):  # "boolean": an on/off switch whose default is None
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, **kwargs)
        elif isinstance(default, tuple):
            parser.add_argument(flag, nargs="+", type=type(default[0]), metavar=f.name.upper(), **kwargs)
        else:
            kind = f.metadata.get("type") or (type(default) if default is not None else str)
            parser.add_argument(flag, type=kind, **kwargs)


def config_from_args(cls, args: argparse.Namespace, base=None) -> Any:
    """A config of cls: base (a preset, or the defaults) with every option given on the command line applied, and
    checked by the config's own validate(): a value it refuses is a usage error, said in its one line."""
    given = {f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None}
    given = {k: tuple(v) if isinstance(v, list) else v for k, v in given.items()}
    try:
        config = replace(base, **given) if base is not None else cls(**given)
        if callable(getattr(config, "validate", None)):
            config.validate()
    except ValueError as exc:  # the dataclass's own checks of option values; a FazhiError passes unchanged
        if isinstance(exc, UsageError):
            raise
        raise UsageError(str(exc)) from exc
    return config


def model_dir(name: str | None) -> Path | None:
    """--model: a directory, or the name of a shipped model ('bert', 'baseline') from any working directory."""
    if name is None:
        return None
    path = Path(name)
    if not path.exists():
        shipped = {"bert": paths.DEFAULT_BERT_DIR, "baseline": paths.DEFAULT_BASELINE_DIR}
        if name in shipped:
            return Path(shipped[name])
        # model/bert as the README writes it, from outside the repository
        if not path.is_absolute() and (paths.REPO_DIR / path).is_dir():
            return paths.REPO_DIR / path
    return path


def default_threads() -> int:
    """Threads for the model's arithmetic: OMP_NUM_THREADS when set, else 1. One thread keeps its speed when other work
    shares the cores (measured: the BERT fell from 87 to 20 sentences/s with 2 threads beside another process)."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
    except ValueError:
        return 1


def set_threads(n: int | None) -> None:
    if n is not None and n < 1:
        raise UsageError(f"expected --threads of at least 1, found {n}")
    if importlib.util.find_spec("torch") is None:
        return
    import torch

    torch.set_num_threads(n or default_threads())


def add_threads_option(parser) -> None:
    parser.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for the model's arithmetic (default: OMP_NUM_THREADS if set, else 1, which stays fast "
                        "when other work shares the machine; raise it on an idle machine with a BERT model)")
