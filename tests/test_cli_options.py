"""Every option of `tag`, `evaluate` and `classify` comes from a typed options dataclass through the one bridge,
with its help string and validation, and each shared default is one named constant (issue 15, item 4)."""

from __future__ import annotations

import argparse
import ast
from dataclasses import fields
from pathlib import Path

import pytest

from fazhi.cli import build_parser, main
from fazhi.cli.classify import ClassifyOptions
from fazhi.cli.evaluate import EvaluateOptions
from fazhi.cli.tag import TagOptions
from fazhi.evaluation.real_text import BOOTSTRAP_SAMPLES
from fazhi.model.config import DEFAULT_MAX_LENGTH
from fazhi.model.prediction import BATCH_SIZE
from fazhi.paths import REPO_DIR
from fazhi.pipeline.engines import RAY_WORKERS

SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"


def _subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))  # noqa: SLF001
    return action.choices[name]


@pytest.mark.parametrize(
    "command, options", [("tag", TagOptions), ("evaluate", EvaluateOptions), ("classify", ClassifyOptions)]
)
def test_every_option_of_the_command_is_a_field_of_its_dataclass_with_help(command, options):
    parser = _subparser(command)
    dests = {a.dest for a in parser._actions if a.dest not in ("help", "debug")}  # noqa: SLF001
    assert dests == {f.name for f in fields(options)}
    for f in fields(options):
        assert f.metadata.get("help"), f.name


def test_the_dataclass_defaults_are_the_named_constants():
    assert ClassifyOptions().batch_size == BATCH_SIZE
    assert EvaluateOptions().bootstrap == BOOTSTRAP_SAMPLES
    assert TagOptions(paths=("x",)).workers == RAY_WORKERS
    assert f"(default: {BOOTSTRAP_SAMPLES})" in _subparser("evaluate").format_help()


SHARED = {
    "batch_size": BATCH_SIZE,
    "max_batch": BATCH_SIZE,
    "max_length": DEFAULT_MAX_LENGTH,
    "samples": BOOTSTRAP_SAMPLES,
    "bootstrap": BOOTSTRAP_SAMPLES,
    "workers": RAY_WORKERS,
}


def _literal_defaults(tree: ast.AST):
    """(name, value, line) for each keyword default, dataclass field default and --option default that is a number
    literal."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            positional = args.posonlyargs + args.args
            for arg, default in [
                *zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True),
                *zip(args.kwonlyargs, args.kw_defaults, strict=True),
            ]:
                if isinstance(default, ast.Constant) and type(default.value) is int:
                    yield arg.arg, default.value, node.lineno
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(node.value, ast.Call):
            for kw in node.value.keywords:
                if kw.arg == "default" and isinstance(kw.value, ast.Constant) and type(kw.value.value) is int:
                    yield node.target.id, kw.value.value, node.lineno
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_argument" and node.args:
            flag = node.args[0]
            for kw in node.keywords:
                if (
                    kw.arg == "default"
                    and isinstance(flag, ast.Constant)
                    and isinstance(kw.value, ast.Constant)
                    and type(kw.value.value) is int
                ):
                    yield str(flag.value).lstrip("-").replace("-", "_"), kw.value.value, node.lineno


def test_shared_defaults_are_written_once_as_named_constants():
    found = []
    for folder in ("fazhi", "model", "training", "serve"):
        for path in sorted((REPO_DIR / folder).rglob("*.py")):
            for name, value, line in _literal_defaults(ast.parse(path.read_text(encoding="utf-8"))):
                if name in SHARED and value == SHARED[name]:
                    found.append(f"{path.relative_to(REPO_DIR)}:{line}: {name}={value}")
    assert found == []


@pytest.mark.parametrize(
    "argv, said",
    [
        (["tag", str(SEEDLIKE), "--workers", "0"], "expected --workers of at least 1, found 0"),
        (["tag", str(SEEDLIKE), "--threads", "0"], "expected --threads of at least 1, found 0"),
        (["classify", str(SEEDLIKE), "--batch-size", "0"], "expected --batch-size of at least 1, found 0"),
        (["evaluate", "--bootstrap", "-1"], "expected --bootstrap of at least 0, found -1"),
    ],
)
def test_an_option_value_out_of_range_is_refused_in_one_line_before_any_work(argv, said, capsys):
    assert main(argv) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {said}"]
