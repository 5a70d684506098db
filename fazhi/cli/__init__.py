"""The `fazhi` command line: one module per command (or group of small commands), each with `add_parser(sub)`
registering its options and a handler that parses nothing itself and calls a typed function.

Options shared by several commands and the bridge from config dataclasses to argparse live in `options.py`;
`add_command` there registers a command whose options are one dataclass and whose handler is its typed function.
A new command is a module here with `add_parser`, and one entry in COMMANDS.

Errors: a `FazhiError` (fazhi/errors.py) is what the user gave fazhi; `main` prints it as one line and exits with its
`exit_code`. An OSError is the system refusing a path the user named (no such file, no permission, a full disk) and
is one line with exit 2 as well. Anything else is a bug in fazhi and keeps its traceback; `--debug` shows the
traceback for ours too.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from fazhi import paths
from fazhi.cli import classify, compare, data, evaluate, segment, serve, suggest, tag, text, train
from fazhi.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_MODEL, EXIT_OK, EXIT_USAGE, FazhiError

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_MODEL", "EXIT_INTERRUPTED"]

# In the order `fazhi --help` lists them; train registers train and pretrain.
COMMANDS = [data, segment, text, train, evaluate, tag, compare, suggest, serve, classify]


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


DEBUG_HELP = "on an error, show the traceback as well as the one-line message (for reporting a bug)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fazhi",
        description="Tag sentences of Chinese rule-of-law government annual reports "
        "(法治政府建设年度报告) with a framework category and a problem flag. "
        "Exit status: 0 done, 1 some inputs failed (the rest were done), 2 usage error (bad arguments, no usable "
        "input or output), 3 the model cannot be loaded, 130 interrupted.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=_version_line(),
        help="print fazhi's version and the default model, and exit",
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for command in COMMANDS:
        command.add_parser(sub)
    _add_debug_everywhere(sub)
    return parser


def _add_debug_everywhere(sub: argparse._SubParsersAction) -> None:
    """`fazhi tag … --debug` as well as `fazhi --debug tag …`; SUPPRESS keeps a subcommand from resetting the flag."""
    for parser in sub.choices.values():
        parser.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
        if parser._subparsers is not None:  # noqa: SLF001  (argparse has no public walk of nested subcommands)
            for action in parser._subparsers._group_actions:  # noqa: SLF001
                if isinstance(action, argparse._SubParsersAction):
                    _add_debug_everywhere(action)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    try:
        return args.func(args)
    except BrokenPipeError:  # `fazhi tag … | head`: the reader has what it wanted
        return EXIT_OK
    except KeyboardInterrupt:
        print("fazhi: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except FazhiError as exc:
        return _one_line(str(exc), exc.exit_code, debug)
    except OSError as exc:  # the system refused a path the user named: one line naming the file
        where = f"{exc.filename}: " if exc.filename else ""
        return _one_line(f"{where}{exc.strerror or exc}", EXIT_USAGE, debug)


def _one_line(message: str, code: int, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    print(f"error: {message}", file=sys.stderr)
    return code
