"""`fazhi` maps what the user got wrong (a FazhiError) to one line and its exit code; a bug keeps its traceback
(issue 15, item 5), and --debug shows the traceback for ours too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import fazhi.cli.segment
from fazhi.cli import main
from fazhi.paths import REPO_DIR

SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"


def test_a_bug_surfacing_as_a_plain_value_error_keeps_its_traceback(monkeypatch):
    def numpy_like_bug(_text):
        raise ValueError("operands could not be broadcast together with shapes (3,) (4,)")

    monkeypatch.setattr(fazhi.cli.segment, "segment", numpy_like_bug)
    with pytest.raises(ValueError, match="broadcast"):  # not turned into "usage error", exit 2
        main(["segment", str(SEEDLIKE)])


def test_a_bug_run_as_a_command_prints_its_traceback_and_is_no_usage_error():
    # As the console script runs it: Python prints the traceback and exits 1, not the usage error's 2.
    code = (
        "import sys, fazhi.cli.segment as s\n"
        "def bug(_):\n    raise ValueError('a bug, not the user')\n"
        "s.segment = bug\n"
        "from fazhi.cli import main\n"
        f"sys.exit(main(['segment', {str(SEEDLIKE)!r}]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO_DIR)
    assert done.returncode == 1, done.stderr
    assert "Traceback (most recent call last)" in done.stderr and "a bug, not the user" in done.stderr


def test_a_usage_error_is_one_line_and_exit_2(capsys):
    assert main(["evaluate", "--no-test"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: expected something to evaluate on: the test split (drop --no-test) or --real FOLDER"]


@pytest.mark.parametrize("where", ["before", "after"])
def test_debug_shows_the_traceback_of_a_usage_error_as_well(capsys, where):
    argv = ["--debug", "evaluate", "--no-test"] if where == "before" else ["evaluate", "--no-test", "--debug"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "UsageError" in err
    assert err.strip().splitlines()[-1].startswith("error: expected something to evaluate on")


def test_a_bad_line_for_classify_is_one_line_naming_it_and_exit_2(tmp_path, capsys):
    lines = tmp_path / "s.jsonl"
    lines.write_text('{"text": "全面推行行政执法公示制度。"}\n{"text": 3}\n', encoding="utf-8")
    assert main(["classify", str(lines)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{lines}:2" in err[0] and "Traceback" not in err[0]


def test_an_option_its_config_refuses_is_one_line_and_exit_2(capsys):
    assert main(["compare", str(SEEDLIKE), str(SEEDLIKE), "--carried-threshold", "1.5"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--carried-threshold" in err[0] and "1.5" in err[0]


def test_a_folder_as_the_output_file_is_one_line_and_exit_2(tmp_path, capsys):
    assert main(["tag", str(SEEDLIKE), "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"error: expected an output file, found a directory: {tmp_path}"


def test_a_model_that_cannot_be_loaded_exits_3(tmp_path, capsys):
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    assert main(["classify", str(SEEDLIKE), "--model", str(tmp_path)]) == 3
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
