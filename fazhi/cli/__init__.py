"""The `fazhi` command line: one module per command (or group of small commands), each with `add_parser(sub)`
registering its options and a handler that parses nothing itself and calls a typed function.

Options shared by several commands and the bridge from config dataclasses to argparse live in `options.py`.
A new command is a module here with `add_parser`, and one entry in COMMANDS.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fazhi import paths
from fazhi.cli import classify, compare, data, evaluate, segment, serve, suggest, tag, train
from fazhi.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_MODEL, EXIT_OK, EXIT_USAGE, ModelLoadError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_MODEL", "EXIT_INTERRUPTED"]

# In the order `fazhi --help` lists them; train registers train and pretrain.
COMMANDS = [data, segment, train, evaluate, tag, compare, suggest, serve, classify]


def _version_line() -> str:
    try:
        v = version("fazhi")
    except PackageNotFoundError:
        v = "unknown (not installed)"
    default = paths.DEFAULT_MODEL_DIR
    try:
        shown = default.relative_to(paths.REPO_DIR)
    except ValueError:
        shown = default
    return f"fazhi {v}; default model: {Path(shown).name} ({shown})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fazhi",
        description="Tag sentences of Chinese rule-of-law government annual reports "
        "(法治政府建设年度报告) with a framework category and a problem flag.",
    )
    parser.add_argument("--version", action="version", version=_version_line(),
                        help="print fazhi's version and the default model, and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0
    except ModelLoadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # a write refused by the system (read-only, no permission, disk full): one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: cannot write {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
