"""The options several commands share, and the bridge from a typed config dataclass to argparse options and back.

A command's options are the fields of its config dataclass (help string, default, choices in the field's metadata);
`add_config_options` turns them into flags and `config_from_args` builds the config from what was given.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import MISSING, field, fields, replace
from pathlib import Path
from typing import Any

from fazhi import paths
from fazhi.errors import UsageError

MODEL_HELP = (
    "model directory, or 'bert' / 'baseline' for a shipped model from any folder (default: the shipped default model)"
)


def add_config_options(parser, cls, skip: tuple[str, ...] = ()) -> None:
    """One option per field of a config dataclass, with the field's help string and default.

    Options default to None, so that a config built from the arguments keeps
    the dataclass's own default (or a preset's) for every option not given.

    A field's metadata says how it is spelt: "help"; "choices"; "type" (when the default does not tell);
    "boolean" (an on/off switch --x/--no-x whose default is None); "switch" (a flag that only turns a False default
    on, spelt as the field's name: --no-units, --resume); "flags" (more spellings, e.g. ("-o",)); "metavar";
    "positional" (an argument without a flag: its nargs, e.g. "?" or "+"); "group" (the title of an argument group,
    described by the class's OPTION_GROUPS).
    """
    groups: dict[str, Any] = {}
    for f in fields(cls):
        if f.name in skip:
            continue
        meta = f.metadata
        target = parser
        if "group" in meta:
            title = meta["group"]
            if title not in groups:
                groups[title] = parser.add_argument_group(title, getattr(cls, "OPTION_GROUPS", {}).get(title))
            target = groups[title]
        default = f.default if f.default is not MISSING else None
        help_text = meta.get("help", "")
        if "(default" not in help_text and not meta.get("switch") and default is not None:
            help_text += (
                f" (default: {default})"  # a help string that names its default says it once; None says nothing
            )
        kwargs: dict = {"default": None, "help": help_text}
        for key in ("choices", "metavar"):
            if key in meta:
                kwargs[key] = meta[key]
        if "positional" in meta:
            nargs = meta["positional"]
            kind = meta.get("type") or (
                type(default) if default is not None and not isinstance(default, tuple) else str
            )
            target.add_argument(f.name, nargs=nargs, type=kind, **{"metavar": f.name.upper(), **kwargs})
            continue
        flags = ["--" + f.name.replace("_", "-"), *meta.get("flags", ())]
        kwargs["dest"] = f.name
        if meta.get("switch"):
            target.add_argument(*flags, action="store_true", **kwargs)
        elif isinstance(default, bool) or meta.get("boolean"):
            target.add_argument(*flags, action=argparse.BooleanOptionalAction, **kwargs)
        elif isinstance(default, tuple):
            target.add_argument(*flags, nargs="+", type=type(default[0]), **{"metavar": f.name.upper(), **kwargs})
        else:
            kind = meta.get("type") or (type(default) if default is not None else str)
            target.add_argument(*flags, type=kind, **kwargs)


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


def add_command(sub, name: str, cls, command: Callable[[Any], int], **parser_kwargs: Any) -> argparse.ArgumentParser:
    """A subcommand whose options are the fields of cls: its arguments build a cls and command(config) runs it.

    parser_kwargs go to add_parser (help, description); the handler parses nothing itself.
    """
    parser = sub.add_parser(name, **parser_kwargs)
    add_config_options(parser, cls)
    parser.set_defaults(func=lambda args: command(config_from_args(cls, args)))
    return parser


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
    """The model's threads, without importing torch for a model that has no use for it (the n-gram default).

    torch, once loaded, is told directly; otherwise OMP_NUM_THREADS is set, which torch reads when a BERT model
    imports it, and which worker processes started later inherit.
    """
    check_threads(n)
    threads = n or default_threads()
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)
    else:
        os.environ["OMP_NUM_THREADS"] = str(threads)


THREADS_HELP = (
    "threads for the model's arithmetic (default: OMP_NUM_THREADS if set, else 1, which stays fast when other "
    "work shares the machine; raise it on an idle machine with a BERT model)"
)


def threads_field() -> Any:
    """The --threads option of a command's options dataclass."""
    return field(default=None, metadata={"help": THREADS_HELP, "type": int, "metavar": "N"})


def model_field(help_text: str = MODEL_HELP) -> Any:
    """The --model option of a command's options dataclass."""
    return field(default=None, metadata={"help": help_text, "type": str})


def check_threads(n: int | None) -> None:
    check_at_least("--threads", n, 1)


def check_at_least(flag: str, value: float | None, low: float) -> None:
    """A usage error for a count option given below its least value (None: not given)."""
    if value is not None and value < low:
        raise UsageError(f"expected {flag} of at least {low}, found {value}")
