"""Hostile writes (issue 17 items 12 and 13): every write error is one line naming the output the user gave,
exit 2, and output names that are not UTF-8 are written and resumed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from fazhi.cli import main

SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"


def last_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert not any("Traceback" in line for line in err)
    return err[-1]


def test_output_files_whose_names_are_not_utf8_are_written_and_resumed(tmp_path, capsys):
    units = os.fsdecode(bytes(tmp_path) + b"/u\xff.jsonl")
    summary = os.fsdecode(bytes(tmp_path) + b"/s\xfe.md")
    args = ["tag", str(SEEDLIKE), "-o", units, "--summary-output", summary, "--summary", "md"]
    assert main(args) == 0, capsys.readouterr().err
    assert Path(units).read_text(encoding="utf-8").count("\n") == 26
    assert Path(summary).read_text(encoding="utf-8").startswith(f"# {SEEDLIKE}")
    assert main(args + ["--resume"]) == 0
    assert "1 already done" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == sorted([os.path.basename(units), os.path.basename(summary)])


def test_an_interrupted_run_into_a_non_utf8_name_resumes(tmp_path, capsys, monkeypatch):
    import fazhi.output.targets as targets

    other = tmp_path / "b.txt"
    other.write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    units = os.fsdecode(bytes(tmp_path) + b"/u\xff.jsonl")
    commit = targets.TagOutputs.commit
    calls = []

    def interrupt_second(self, *a, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return commit(self, *a, **kw)

    monkeypatch.setattr(targets.TagOutputs, "commit", interrupt_second)
    assert main(["tag", str(SEEDLIKE), str(other), "-o", units]) == 130
    monkeypatch.setattr(targets.TagOutputs, "commit", commit)
    assert main(["tag", str(SEEDLIKE), str(other), "-o", units, "--resume"]) == 0
    assert "1 already done" in capsys.readouterr().err
    docs = [json.loads(line)["doc"] for line in Path(units).read_text(encoding="utf-8").splitlines()]
    assert docs == [str(SEEDLIKE)] * 26 + [str(other)] * 26


def test_a_folder_that_refuses_new_files_is_one_line_naming_the_output_not_its_partial_file(capsys):
    # /proc refuses new files even to root, where a chmod'ed folder would not.
    assert main(["tag", str(SEEDLIKE), "-o", "/proc/fazhi-out.jsonl"]) == 2
    assert last_error_line(capsys) in (
        "error: cannot write units to /proc/fazhi-out.jsonl: No such file or directory",
        "error: cannot write units to /proc/fazhi-out.jsonl: Permission denied",
    )


@pytest.mark.parametrize("flag", ["--report", "--figures", "--summary-output"])
def test_a_full_device_for_any_output_is_one_line_naming_it_and_exit_2(tmp_path, capsys, flag):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    units = tmp_path / "u.jsonl"
    assert main(["tag", str(SEEDLIKE), "-o", str(units), flag, "/dev/full"]) == 2
    line = last_error_line(capsys)
    assert line.startswith("error: cannot write ") and line.endswith("/dev/full: No space left on device")
    if flag != "--summary-output":
        assert units.read_text(encoding="utf-8").count("\n") == 26  # the units written before are kept


def test_a_report_page_in_a_folder_that_refuses_it_is_one_line(tmp_path, capsys):
    assert main(["tag", str(SEEDLIKE), "-o", str(tmp_path / "u.jsonl"), "--report", "/proc/fazhi-view.html"]) == 2
    line = last_error_line(capsys)
    assert line.startswith("error: cannot write /proc/fazhi-view.html: ")


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
def test_a_summary_output_that_reaches_the_units_file_through_a_link_is_refused(tmp_path, capsys, how):
    units = tmp_path / "u.jsonl"
    units.write_text("", encoding="utf-8")
    summary = tmp_path / "s.jsonl"
    (os.symlink if how == "symlink" else os.link)(units, summary)
    assert main(["tag", str(SEEDLIKE), "-o", str(units), "--summary-output", str(summary)]) == 2
    assert "--output and --summary-output name the same file" in last_error_line(capsys)


@pytest.mark.parametrize("how", ["in-the-folder", "hardlink"])
def test_an_output_that_is_an_input_found_in_a_folder_or_through_a_hard_link_is_refused(tmp_path, capsys, how):
    folder = tmp_path / "in"
    folder.mkdir()
    report = folder / "r.txt"
    report.write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    if how == "hardlink":
        out = tmp_path / "out.txt"
        os.link(report, out)
        args = ["tag", str(report), "-o", str(out)]
    else:
        out = report
        args = ["tag", str(folder), "--no-units", "--summary-output", str(out)]
    assert main(args) == 2
    assert f"is the input report {report}; writing it would overwrite the report being read" in last_error_line(capsys)
    assert report.read_text(encoding="utf-8") == SEEDLIKE.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["in", "r.txt"] + (["out.txt"] if how == "hardlink" else [])
    )
