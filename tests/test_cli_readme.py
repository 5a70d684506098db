"""Every command the README shows in its code blocks at least parses (issue 19, deliverable 5).

A `fazhi` line is parsed by fazhi's own parser (a misspelt option or a missing argument fails as it would for the
reader); a `make` line names a target of the Makefile; a `pip install` line installs into the checkout's .venv an
extra that pyproject.toml declares; a `curl` line sends JSON that parses to a route the service has.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest
import tomllib

from fazhi.cli import build_parser
from fazhi.paths import REPO_DIR

README = REPO_DIR / "README.md"


def readme_commands(text: str) -> list[str]:
    """The shell commands of the README's fenced code blocks, one per line, comments and prompts' output left out."""
    commands: list[str] = []
    fenced = False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if not fenced or not line.strip() or line.lstrip().startswith(("#", "{", '"', "}")):
            continue
        words = shlex.split(line, comments=True)
        if words:
            commands.append(line)
    return commands


def pipeline_parts(line: str) -> list[list[str]]:
    """The commands of one shell line: split at | and && (outside quotes), redirections and VAR=value prefixes
    dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    parts: list[list[str]] = [[]]
    words = list(lexer)
    i = 0
    while i < len(words):
        w = words[i]
        if w in ("|", "&&", ";", "||"):
            parts.append([])
        elif w in (">", ">>", "<", "2>"):
            i += 1  # the file of the redirection
        elif not parts[-1] and re.fullmatch(r"[A-Z_]+=\S*", w):
            pass  # FAZHI_ALLOW_HUB=1 before the command
        else:
            parts[-1].append(w)
        i += 1
    return [p for p in parts if p]


def _optional_brackets(args: list[str]) -> list[str]:
    """`fazhi serve [--port 8000] [--model DIR]`: the README's optional parts, given."""
    return [a.strip("[]") for a in args if a.strip("[]")]


def _fazhi_commands() -> list[list[str]]:
    found = []
    for line in readme_commands(README.read_text(encoding="utf-8")):
        for part in pipeline_parts(line):
            if part[0] == "fazhi" or part[0].endswith("/bin/fazhi"):  # not the layout block's "fazhi/  package: …"
                found.append(_optional_brackets(part[1:]))
    return found


def test_the_readme_shows_commands_of_every_kind_checked_here():
    """The extraction finds the README's commands (so the checks below cannot pass by finding none)."""
    lines = readme_commands(README.read_text(encoding="utf-8"))
    assert lines[:2] == [
        "make example   # builds .venv/ if missing, then tags a bundled report and prints the results",
        "make test      # builds .venv/ if missing, then runs the test suite",
    ]
    firsts = {Path(p[0]).name for line in lines for p in pipeline_parts(line)}
    assert {"fazhi", "make", "curl", "pip"} <= firsts
    assert len(_fazhi_commands()) >= 15


@pytest.mark.parametrize("args", _fazhi_commands(), ids=lambda a: " ".join(a)[:60])
def test_every_fazhi_command_in_the_readme_parses(args):
    parser = build_parser()
    try:
        parsed = parser.parse_args(args)
    except SystemExit as exc:  # argparse said what was wrong on stderr
        pytest.fail(f"README command does not parse (exit {exc.code}): fazhi {' '.join(args)}")
    assert callable(parsed.func)


def test_every_make_target_in_the_readme_exists():
    targets = set(re.findall(r"^([A-Za-z][\w-]*):", (REPO_DIR / "Makefile").read_text(encoding="utf-8"), re.M))
    shown = {
        p[1]
        for line in readme_commands(README.read_text(encoding="utf-8"))
        for p in pipeline_parts(line)
        if p[0] == "make" and len(p) > 1
    }
    assert shown and shown <= targets, shown - targets


def test_every_pip_install_in_the_readme_installs_a_declared_extra_into_the_checkouts_venv():
    extras = set(
        tomllib.loads((REPO_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    )
    for line in readme_commands(README.read_text(encoding="utf-8")):
        for part in pipeline_parts(line):
            if Path(part[0]).name != "pip" or part[1:2] != ["install"]:
                continue
            # In a checkout, the package is the clone itself: pip install -e '.[extra]' with the venv's pip.
            assert part[0] == ".venv/bin/pip", line
            named = [re.fullmatch(r"\.\[([\w,-]+)\]", a) for a in part[2:]]
            wanted = {e for m in named if m for e in m.group(1).split(",")}
            assert wanted and wanted <= extras and "-e" in part, line


def test_every_curl_in_the_readme_sends_json_to_a_route_the_service_has():
    from fazhi.serve.app import create_app

    routes = set(create_app().openapi()["paths"])
    shown = 0
    for line in readme_commands(README.read_text(encoding="utf-8")):
        for part in pipeline_parts(line):
            if part[0] != "curl":
                continue
            url = next(a for a in part[1:] if "localhost" in a or "127.0.0.1" in a)
            path = "/" + url.split("/", 1)[1] if "/" in url else "/"
            assert path in routes, line
            if "-d" in part:
                json.loads(part[part.index("-d") + 1])
            shown += 1
    assert shown >= 2


def test_the_readme_names_every_field_of_a_tagged_unit():
    """The README's field list of `fazhi tag` is the row schema's (is_heading, context and truncated were missing)."""
    from fazhi.schema import UNIT_FIELDS

    text = README.read_text(encoding="utf-8")
    start = text.index("Per sentence:")
    listed = set(re.findall(r"[a-z_]+", text[start : text.index("`", text.index("`", start) + 1)]))
    assert set(UNIT_FIELDS) <= listed, set(UNIT_FIELDS) - listed
