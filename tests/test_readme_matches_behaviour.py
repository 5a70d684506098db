"""What the README says of behaviour, checked against the behaviour (issue 19: the README matches behaviour).

Each test reads the README's own words or example and compares them with what the code does today, so an example
that goes stale or a number that changes in one place only fails here.
"""

from __future__ import annotations

import io
import json
import re

import pytest

from fazhi.cli import build_parser
from fazhi.cli.options import default_threads
from fazhi.hub import HUB_TIMEOUT_S
from fazhi.paths import REPO_DIR
from fazhi.pipeline import context
from fazhi.pipeline.classify import classify_lines

README = (REPO_DIR / "README.md").read_text(encoding="utf-8")


def test_the_classify_example_shows_the_scores_the_default_model_gives_today(shipped_model):
    block = re.search(r'echo "([^"]+)" \| \.venv/bin/fazhi classify\n(\{.*?\})\n```', README, re.S)
    assert block, "expected the README's classify example: an echo line, then its output"
    sentence, shown = block.group(1), block.group(2)
    out = io.StringIO()
    classify_lines(io.StringIO(sentence + "\n"), out, model=shipped_model)
    got = json.loads(out.getvalue())
    numbers = dict(re.findall(r'"(\w+)": ([0-9.]+)', shown))
    assert numbers, "expected scores in the README's example output"
    for name, value in numbers.items():
        actual = got["problem_score"] if name == "problem_score" else got["scores"][name]
        assert round(actual, 3) == float(value), f"README shows {name} {value}, classify gives {actual}"
    assert f'"category": "{got["category"]}"' in shown and f'"problem": {str(got["problem"]).lower()}' in shown


def test_the_context_cuts_the_readme_states_are_the_ones_the_tagger_makes():
    stated = re.search(
        r"the report's title, cut to its last (\d+)\s+characters, and the (\w+) nearest headings above, each cut to "
        r"its first (\d+)",
        README,
    )
    assert stated, "expected the README to say how the context is cut"
    words = {"one": 1, "two": 2, "three": 3}
    assert int(stated.group(1)) == context.TITLE_CHARS
    assert words[stated.group(2)] == context.HEADINGS_KEPT
    assert int(stated.group(3)) == context.HEADING_CHARS
    title, heading = "某" * 40 + "报告", "二、" + "推进" * 20
    built = context.context_string(title, [heading])
    assert built == title[-context.TITLE_CHARS :] + context.SEPARATOR + heading[: context.HEADING_CHARS]


def test_the_readme_documents_classify_items_with_their_context():
    serve = README[README.index("### `fazhi serve`") : README.index("### `fazhi compare")]
    assert 'each sentence is a string or `{"text", "context"}`' in serve.replace("\n", " ")


def test_the_hub_timeout_default_is_the_one_the_readme_and_help_state():
    args = build_parser().parse_args(["train", "--output", "x"])
    assert args.hub_timeout == HUB_TIMEOUT_S
    stated = re.search(r"`--hub-timeout` \((\d+) s\)", README.replace("\n", " "))
    assert stated and float(stated.group(1)) == HUB_TIMEOUT_S


@pytest.mark.parametrize("env, expected", [(None, 1), ("3", 3), ("0", 1), ("many", 1)])
def test_threads_follow_omp_num_threads_when_it_is_set(monkeypatch, env, expected):
    if env is None:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OMP_NUM_THREADS", env)
    assert default_threads() == expected
    assert "`OMP_NUM_THREADS` if set, else 1" in README.replace("\n", " ")
