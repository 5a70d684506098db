"""`fazhi tag`: batch tagging of report files in every format, failures, outputs and --resume."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sample_formats import FORMATS, save_report_as

from fazhi.labels import AREAS, CATEGORIES
from fazhi.output.run import TagInterrupted, run_tag
from fazhi.pipeline.aggregate import summarize
from fazhi.pipeline.classify import classify_lines
from fazhi.pipeline.context import unit_contexts
from fazhi.pipeline.problems import opens_problem_section, states_problem
from fazhi.pipeline.results import UNIT_FIELDS
from fazhi.pipeline.segment import segment
from fazhi.pipeline.tag import expand_inputs, tag_text

SEED = "004_4aea94131e29c9d0.txt"
UNIT_KEYS = list(UNIT_FIELDS)


@pytest.fixture(scope="module")
def model(shipped_model):
    return shipped_model


@pytest.fixture(scope="module")
def short_texts(seed_texts):
    """The seed reports cut to their first ~2,500 characters (whole lines): tests stay quick with a BERT model too."""
    out = {}
    for name, text in seed_texts.items():
        cut = text.rfind("\n", 0, 2500)
        out[name] = text[: cut + 1] if cut > 0 else text
    return out


def fazhi(*args, stdin=None, check_rc=None, cwd=None):
    proc = subprocess.run([sys.executable, "-m", "fazhi", *map(str, args)], input=stdin, capture_output=True, cwd=cwd)
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr.decode("utf-8", "replace")
    return proc


def read_jsonl(path):
    return [json.loads(l) for l in Path(path).read_text(encoding="utf-8").splitlines() if l.strip()]


def test_tag_text_tags_every_unit_with_offsets_context_and_summary(seed_texts, model):
    text = seed_texts[SEED]
    report = tag_text(SEED, text, model)
    units = segment(text)
    assert [r["text"] for r in report.units] == [u.text for u in units]
    assert [r["context"] for r in report.units] == unit_contexts(units)
    assert all(units[0].text[-10:] in r["context"] for r in report.units[1:])  # the title leads every context
    for r in report.units:
        assert text[r["start"] : r["end"]] == r["text"]
        assert list(r) == UNIT_KEYS
    # The summary counts problem statements by the one rule (fazhi.pipeline.problems), never section openers.
    assert [p["text"] for p in report.summary["problems"]] == [r["text"] for r in report.units if states_problem(r)]
    assert [p["index"] for p in report.summary["problem_sections"]] == [
        r["index"] for r in report.units if opens_problem_section(r)
    ]
    assert report.summary["problem_sections"], "the seed's problems section is opened by a flagged heading or lead-in"


def test_summary_counts_a_real_report_by_its_labels(label_rows):
    """The aggregation itself, on the hand-labelled units of a real seed report."""
    rows = [r for r in label_rows if r.doc == SEED]
    results = [
        {"index": i, "text": r.text, "category": r.category, "problem": r.problem, "heading": "", "problem_score": 1.0}
        for i, r in enumerate(rows)
    ]
    s = summarize(SEED, results)
    expected = {c: sum(r.category == c for r in rows) for c in CATEGORIES}
    assert s["per_category"] == expected and s["sentences"] == len(rows) == 128
    counted = [r for r, res in zip(rows, results, strict=True) if states_problem(res)]
    assert s["problems_per_category"] == {c: sum(r.category == c for r in counted) for c in CATEGORIES}
    assert [p["text"] for p in s["problems"]] == [r.text for r in counted]
    assert (
        0 < len(counted) < sum(r.problem for r in rows)
    )  # the seed's section heading and lead-in are labelled problem
    assert s["areas_not_mentioned"] == [a for a in AREAS if expected[a] == 0]
    # one area dropped: it must be reported missing
    no_dispute = summarize(SEED, [r for r in results if r["category"] != "dispute"])
    assert "dispute" in no_dispute["areas_not_mentioned"]


def test_a_unit_tagged_in_its_report_equals_classify_given_the_same_context(seed_texts, tiny_bert, tmp_path):
    """`fazhi tag` and `fazhi classify` with {"text", "context"} give one unit the same result."""
    import io

    from fazhi.model import load_model
    from fazhi.training.bert import save_model_dir
    from fazhi.training.configs import BertTrainConfig

    model, tokenizer = tiny_bert
    model.config.fazhi_context = True
    saved = load_model(
        save_model_dir(
            model.eval(),
            tokenizer,
            tmp_path / "m",
            BertTrainConfig(save_float16=False),
            None,
            log=lambda _message: None,
        )
    )
    report = tag_text(SEED, seed_texts[SEED], saved)
    picked = [r for r in report.units if r["context"]][:8]
    lines = "".join(json.dumps({"text": r["text"], "context": r["context"]}, ensure_ascii=False) + "\n" for r in picked)
    out = io.StringIO()
    classify_lines(io.StringIO(lines), out, model=saved)
    got = [json.loads(line) for line in out.getvalue().splitlines()]
    for row, one in zip(picked, got, strict=True):
        fields: dict[str, object] = dict(row)  # classify's keys come from JSON, so index the row as a plain dict
        assert one == {k: fields[k] for k in one}
    alone = io.StringIO()
    classify_lines(io.StringIO("".join(r["text"] + "\n" for r in picked)), alone, model=saved)
    assert [json.loads(line)["scores"] for line in alone.getvalue().splitlines()] != [g["scores"] for g in got]


REAL_TEST_SEEDS = ["001_5198beffa2de79c3.txt", "004_4aea94131e29c9d0.txt"]


@pytest.mark.slow
def test_seed_reports_in_every_format_get_the_same_units_and_labels(tmp_path, seed_texts):
    """The command over txt (UTF-8, BOM, GB18030), html (UTF-8, GBK), docx and pdf versions of the seeds.

    The two real-text test seeds go through the whole command; test_reading checks that all five
    seeds read into the same units in every format.
    """
    seed_texts = {name: seed_texts[name] for name in REAL_TEST_SEEDS}
    folder = tmp_path / "reports"
    folder.mkdir()
    for name, text in seed_texts.items():
        for fmt, suffix in FORMATS.items():
            save_report_as(text, folder / f"{name[:-4]}__{fmt}{suffix}", fmt)
    out = tmp_path / "units.jsonl"
    fazhi("tag", folder, "-o", out, "--summary-output", tmp_path / "summaries.jsonl", check_rc=0)
    by_file: dict[str, list] = {}
    for row in read_jsonl(out):
        assert list(row) == UNIT_KEYS
        by_file.setdefault(row["doc"], []).append(row)
    assert len(by_file) == len(seed_texts) * len(FORMATS)

    def ws(s):  # HTML collapses whitespace runs
        return re.sub(r"\s+", " ", s)

    for name, text in seed_texts.items():
        expected = [(ws(u.text), ws(u.heading)) for u in segment(text)]
        labels = None
        for fmt, suffix in FORMATS.items():
            rows = by_file[str(folder / f"{name[:-4]}__{fmt}{suffix}")]
            assert [(ws(r["text"]), ws(r["heading"])) for r in rows] == expected, f"{name} as {fmt}"
            got = [(r["category"], r["problem"]) for r in rows]
            labels = labels or got
            assert got == labels, f"{name} as {fmt}: labels differ from the other formats"
    summaries = read_jsonl(tmp_path / "summaries.jsonl")
    assert sorted(s["doc"] for s in summaries) == sorted(by_file)


@pytest.mark.slow
def test_unreadable_files_in_the_middle_of_a_batch_are_reported_and_skipped(tmp_path, short_texts):
    from reportlab.pdfgen import canvas

    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "a_good.txt").write_text(short_texts[SEED], encoding="utf-8")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    c = canvas.Canvas(str(folder / "d_scanned.pdf"))
    c.rect(40, 40, 500, 700, fill=1)
    c.save()
    save_report_as(short_texts["001_5198beffa2de79c3.txt"], folder / "e_good.docx", "docx")
    out = tmp_path / "units.jsonl"
    proc = fazhi("tag", folder, tmp_path / "missing.txt", "-o", out)
    err = proc.stderr.decode("utf-8")
    assert proc.returncode == 1
    assert "b_empty.txt: file is empty" in err
    assert "c_binary.txt: looks binary" in err
    assert "d_scanned.pdf: the PDF has no text layer" in err
    assert "missing.txt: no such file or directory" in err
    last = err.strip().splitlines()[-1]
    assert "tagged 2 reports" in last and "4 failed" in last
    docs = [r["doc"] for r in read_jsonl(out)]
    assert sorted(set(docs)) == [str(folder / "a_good.txt"), str(folder / "e_good.docx")]


def _batch_with_unreadable_files(folder: Path, text: str) -> None:
    folder.mkdir()
    (folder / "a_good.txt").write_text(text, encoding="utf-8")
    (folder / "b_empty.txt").write_bytes(b"")
    (folder / "c_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_skipped_inputs_are_listed_with_their_reasons_at_the_end_of_the_summary_output(
    tmp_path, short_texts, model, fmt
):
    folder = tmp_path / "batch"
    _batch_with_unreadable_files(folder, short_texts[SEED])
    summary = tmp_path / f"summary.{fmt}"
    result = run_tag(
        [str(folder), str(tmp_path / "missing.txt")],
        model,
        summary_output=str(summary),
        summary_format=fmt,
        write_units=False,
        log=open(os.devnull, "w"),
    )
    assert result.reports == 1 and len(result.failures) == 3
    expected = [
        (str(tmp_path / "missing.txt"), "no such file or directory"),
        (str(folder / "b_empty.txt"), "file is empty"),
        (str(folder / "c_binary.txt"), "looks binary"),
    ]
    text = summary.read_text(encoding="utf-8")
    if fmt == "json":
        lines = read_jsonl(summary)
        assert lines[0]["doc"] == str(folder / "a_good.txt")
        assert [
            (x["skipped"], x["reason"][: len(why)]) for x, (_, why) in zip(lines[1:], expected, strict=True)
        ] == expected
    else:
        assert text.startswith(f"# {folder / 'a_good.txt'}\n")
        closing = text[text.index("# Skipped files\n") :]
        assert "3 inputs were not tagged:" in closing
        for doc, why in expected:
            assert f"- `{doc}`: {why}" in closing


def test_a_resumed_run_lists_its_own_skipped_inputs_once_at_the_end(tmp_path, short_texts, model):
    folder = tmp_path / "batch"
    _batch_with_unreadable_files(folder, short_texts[SEED])
    summary = tmp_path / "summary.jsonl"
    quiet = open(os.devnull, "w")
    run_tag([str(folder)], model, summary_output=str(summary), write_units=False, log=quiet)
    (folder / "d_good.txt").write_text(short_texts["001_5198beffa2de79c3.txt"], encoding="utf-8")
    (folder / "b_empty.txt").write_text(short_texts["001_5198beffa2de79c3.txt"][:400], encoding="utf-8")  # mended
    result = run_tag([str(folder)], model, summary_output=str(summary), write_units=False, resume=True, log=quiet)
    assert result.skipped == 1 and result.reports == 2  # the mended file is tagged, not taken as done
    lines = read_jsonl(summary)
    assert [x.get("doc") for x in lines[:3]] == [str(folder / n) for n in ("a_good.txt", "b_empty.txt", "d_good.txt")]
    assert [x.get("skipped") for x in lines[3:]] == [str(folder / "c_binary.txt")]


def test_a_folder_that_cannot_be_listed_is_a_permission_error_not_an_empty_folder(tmp_path, short_texts, monkeypatch):
    (tmp_path / "locked" / "inner").mkdir(parents=True)
    (tmp_path / "locked" / "r.txt").write_text(short_texts[SEED], encoding="utf-8")
    (tmp_path / "open").mkdir()
    (tmp_path / "open" / "r.txt").write_text(short_texts[SEED], encoding="utf-8")
    (tmp_path / "open" / "locked").mkdir()
    locked = {str(tmp_path / "locked"), str(tmp_path / "open" / "locked")}
    if os.geteuid() == 0:  # root reads any folder: let listing these two fail as it does for other users
        real_scandir = os.scandir

        def scandir(path="."):
            if os.fspath(path) in locked:
                raise PermissionError(13, "Permission denied", os.fspath(path))
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
    else:
        for folder in locked:
            os.chmod(folder, 0)
    try:
        sources, failures = expand_inputs([str(tmp_path / "locked"), str(tmp_path / "open")])
    finally:
        for folder in locked:
            os.chmod(folder, 0o755)
    assert [s.doc for s in sources] == [str(tmp_path / "open" / "r.txt")]
    assert [f.reason for f in failures] == [
        f"{folder}: cannot list this folder (permission denied)" for folder in sorted(locked)
    ]


@pytest.mark.slow
def test_files_directories_globs_and_stdin_are_all_inputs(tmp_path, short_texts):
    seed_texts = short_texts
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "x.txt").write_text(seed_texts[SEED], encoding="utf-8")
    (tmp_path / "sub" / "notes.md").write_text("not a report", encoding="utf-8")
    (tmp_path / "sub" / ".hidden.txt").write_text(seed_texts[SEED], encoding="utf-8")
    (tmp_path / "y.txt").write_text(seed_texts[SEED], encoding="utf-8")
    (tmp_path / "z.html").write_text("<p>全面推行行政执法公示制度。</p>", encoding="utf-8")
    sources, failures = expand_inputs(
        [str(tmp_path / "sub"), str(tmp_path / "*.txt"), str(tmp_path / "y.txt"), str(tmp_path / "*.nothing"), "-"]
    )
    assert [s.doc for s in sources] == [str(tmp_path / "sub" / "deeper" / "x.txt"), str(tmp_path / "y.txt"), "<stdin>"]
    assert [f.reason for f in failures] == [f"{tmp_path / '*.nothing'}: no files match this pattern"]

    proc = fazhi("tag", "-", stdin=seed_texts[SEED].encode("gb18030"), check_rc=0)
    rows = [json.loads(l) for l in proc.stdout.decode("utf-8").splitlines()]
    assert {r["doc"] for r in rows} == {"<stdin>"} and len(rows) == len(segment(seed_texts[SEED]))
    assert json.loads(proc.stderr.decode("utf-8").splitlines()[0])["doc"] == "<stdin>"  # the summary, on stderr


@pytest.mark.slow
def test_csv_output_has_the_same_rows_as_json_lines(tmp_path, short_texts, model):
    seed_texts = short_texts
    report = tmp_path / "r.txt"
    report.write_text(seed_texts[SEED], encoding="utf-8")
    fazhi("tag", report, "-o", tmp_path / "u.csv", "--no-units", check_rc=0)
    assert not (tmp_path / "u.csv").exists()  # --no-units writes no unit file
    fazhi("tag", report, "-o", tmp_path / "u.csv", check_rc=0)
    fazhi("tag", report, "-o", tmp_path / "u.jsonl", check_rc=0)
    raw = (tmp_path / "u.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # so that spreadsheet programs read the Chinese text as UTF-8
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines(keepends=True)))
    labels = list(model.labels)
    scores = UNIT_KEYS.index("scores")
    assert list(rows[0]) == UNIT_KEYS[:scores] + [f"scores.{l}" for l in labels] + UNIT_KEYS[scores + 1 :]
    expected = read_jsonl(tmp_path / "u.jsonl")
    assert len(rows) == len(expected)
    for row, exp in zip(rows, expected, strict=True):
        assert row["text"] == exp["text"] and row["heading"] == exp["heading"] and row["category"] == exp["category"]
        assert int(row["start"]) == exp["start"] and (row["problem"] == "true") == exp["problem"]
        assert {l: float(row[f"scores.{l}"]) for l in labels} == exp["scores"]


@pytest.mark.slow
def test_markdown_summary_lists_counts_problems_and_missing_areas(tmp_path, short_texts, model):
    seed_texts = short_texts
    report = tmp_path / "r.txt"
    report.write_text(seed_texts[SEED], encoding="utf-8")
    partial = tmp_path / "only_enforcement.txt"
    partial.write_text(
        "一、行政执法\n全面推行行政执法公示制度。\n二、存在的问题\n行政执法人员力量不足，执法水平有待提高。\n",
        encoding="utf-8",
    )
    proc = fazhi("tag", report, partial, "--summary", "md", "--summary-output", "-", "--no-units", check_rc=0)
    md = proc.stdout.decode("utf-8")
    assert md.count("\n# ") + md.startswith("# ") == 2
    assert f"# {report}" in md and "| enforcement | 行政执法 |" in md and "## Problem statements" in md
    expected = tag_text(str(partial), partial.read_text(encoding="utf-8"), model).summary
    section = md[md.index(f"# {partial}") :]
    for area in expected["areas_not_mentioned"]:
        assert area in section.split("**Areas never mentioned:**")[1].splitlines()[0]
    for p in expected["problems"]:
        assert f"**{p['category']}**: {p['text']}" in section


@pytest.mark.slow
def test_progress_bar_only_when_asked_or_on_a_terminal(tmp_path, short_texts):
    seed_texts = short_texts
    report = tmp_path / "r.txt"
    report.write_text(seed_texts[SEED], encoding="utf-8")
    quiet = fazhi("tag", report, "-o", tmp_path / "a.jsonl", "--summary-output", tmp_path / "s.jsonl", check_rc=0)
    assert quiet.stderr.decode("utf-8").count("\n") == 1 and b"\r" not in quiet.stderr  # only the final line
    loud = fazhi(
        "tag", report, "-o", tmp_path / "b.jsonl", "--summary-output", tmp_path / "t.jsonl", "--progress", check_rc=0
    )
    err = loud.stderr.decode("utf-8")
    assert "report" in err and "sentences/s" in err and "1/1" in err


# --- atomic output and --resume ------------------------------------------------------------------
def _copies(folder: Path, seed_texts, n: int) -> list[str]:
    folder.mkdir()
    names = sorted(seed_texts)
    for i in range(n):
        name = names[i % len(names)]
        (folder / f"{i:03d}_{name}").write_text(seed_texts[name], encoding="utf-8")
    return [str(folder)]


class InterruptAfter:
    """The real model, interrupted (as by Ctrl-C) once it has classified more than n sentences."""

    def __init__(self, model, n):
        self.model, self.n, self.seen = model, n, 0
        self.name, self.labels, self.threshold, self.max_chars = (
            model.name,
            model.labels,
            model.threshold,
            model.max_chars,
        )
        self.int8, self.reads_context = model.int8, model.reads_context

    def predict(self, texts, contexts=None):
        self.seen += len(texts)
        if self.seen > self.n:
            raise KeyboardInterrupt
        return self.model.predict(texts, contexts)


def test_interrupted_run_resumes_with_nothing_lost_or_repeated(tmp_path, short_texts, model):
    inputs = _copies(tmp_path / "in", short_texts, 7)
    clean_u, clean_s = tmp_path / "clean.jsonl", tmp_path / "clean.md"
    run_tag(inputs, model, units_output=str(clean_u), summary_output=str(clean_s), summary_format="md")

    out_u, out_s = tmp_path / "out.jsonl", tmp_path / "out.md"
    first_three = sum(len(segment(p.read_text(encoding="utf-8"))) for p in sorted((tmp_path / "in").iterdir())[:3])
    with pytest.raises(TagInterrupted) as info:  # Ctrl-C while the fourth report is being classified
        run_tag(
            inputs,
            InterruptAfter(model, first_three),
            units_output=str(out_u),
            summary_output=str(out_s),
            summary_format="md",
        )
    assert info.value.result.reports == 3
    assert not out_u.exists() and not out_s.exists()  # nothing half-written under the final names
    partial = Path(str(out_u) + ".partial")
    assert len({r["doc"] for r in read_jsonl(partial)}) == 3
    with open(partial, "a", encoding="utf-8") as f:
        f.write('{"doc": "torn line of a report that was being writ')  # a crash mid-write

    result = run_tag(
        inputs, model, units_output=str(out_u), summary_output=str(out_s), summary_format="md", resume=True
    )
    assert (result.skipped, result.reports) == (3, 4)
    assert out_u.read_bytes() == clean_u.read_bytes()
    assert out_s.read_bytes() == clean_s.read_bytes()
    assert not partial.exists() and not Path(str(out_u) + ".progress").exists()


@pytest.mark.slow
def test_killed_command_resumes_to_the_same_output_as_an_uninterrupted_run(tmp_path, short_texts):
    """SIGKILL (no clean-up at all, as in a crash) while the command waits on its fourth report, then --resume."""
    inputs = [str(tmp_path / "in" / f) for f in sorted(os.listdir(_copies(tmp_path / "in", short_texts, 7)[0]))]
    fazhi("tag", *inputs, "-o", tmp_path / "clean.csv", "--summary-output", tmp_path / "clean.sum", check_rc=0)

    # The fourth input becomes a named pipe that nobody writes: the run finishes three reports and waits.
    stalled = Path(inputs[3])
    content = stalled.read_bytes()
    stalled.unlink()
    os.mkfifo(stalled)
    out, summary = tmp_path / "out.csv", tmp_path / "out.sum"
    progress = Path(str(out) + ".progress")
    proc = subprocess.Popen(
        [sys.executable, "-m", "fazhi", "tag", *inputs, "-o", str(out), "--summary-output", str(summary)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not (progress.exists() and progress.read_text(encoding="utf-8").count("\n") >= 4):  # header + 3 reports
        assert proc.poll() is None and time.monotonic() < deadline, "the run stopped before its fourth report"
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists() and not summary.exists()
    stalled.unlink()
    stalled.write_bytes(content)

    proc = fazhi("tag", *inputs, "-o", out, "--summary-output", summary, "--resume", check_rc=0)
    assert "tagged 4 reports" in proc.stderr.decode("utf-8") and "3 already done" in proc.stderr.decode("utf-8")
    assert out.read_bytes() == (tmp_path / "clean.csv").read_bytes()
    assert summary.read_bytes() == (tmp_path / "clean.sum").read_bytes()


@pytest.mark.slow
def test_resume_after_a_finished_run_tags_only_new_reports(tmp_path, short_texts):
    seed_texts = short_texts
    folder = tmp_path / "in"
    folder.mkdir()
    names = sorted(seed_texts)
    for name in names[:2]:
        (folder / name).write_text(seed_texts[name], encoding="utf-8")
    out = tmp_path / "out.jsonl"
    fazhi("tag", folder, "-o", out, "--summary-output", tmp_path / "s.jsonl", check_rc=0)
    before = out.read_bytes()
    (folder / names[2]).write_text(seed_texts[names[2]], encoding="utf-8")
    proc = fazhi("tag", folder, "-o", out, "--summary-output", tmp_path / "s.jsonl", "--resume", check_rc=0)
    assert "tagged 1 report" in proc.stderr.decode("utf-8") and "2 already done" in proc.stderr.decode("utf-8")
    after = out.read_bytes()
    assert after.startswith(before)
    docs = [r["doc"] for r in read_jsonl(out)]
    assert sorted(set(docs)) == sorted(str(folder / n) for n in names[:3])
    assert len(docs) == sum(len(segment(seed_texts[n])) for n in names[:3])
    assert [s["doc"] for s in read_jsonl(tmp_path / "s.jsonl")] == [str(folder / n) for n in names[:3]]


@pytest.mark.slow
def test_resume_refuses_an_output_in_another_format(tmp_path, short_texts):
    seed_texts = short_texts
    report = tmp_path / "r.txt"
    report.write_text(seed_texts[SEED], encoding="utf-8")
    out = tmp_path / "out.dat"
    fazhi("tag", report, "-o", out, "--format", "jsonl", check_rc=0)
    proc = fazhi("tag", report, "-o", out, "--format", "csv", "--resume")
    assert proc.returncode == 2
    assert "holds jsonl units, but this run writes csv" in proc.stderr.decode("utf-8")
    assert fazhi("tag", report, "--resume").returncode == 2  # stdout cannot be resumed


# --- outputs that must never be renamed over -------------------------------------------------------
def test_an_output_path_that_is_a_link_is_written_through_and_stays_a_link(tmp_path, short_texts, model):
    """`make example > out.txt` once replaced /dev/stdout: a link to a regular file was renamed over."""
    real_units, real_summary = tmp_path / "real.jsonl", tmp_path / "real.md"
    real_units.write_text("old content\n", encoding="utf-8")
    units_link, summary_link = tmp_path / "units-link", tmp_path / "summary-link"
    units_link.symlink_to(real_units)
    summary_link.symlink_to(real_summary)  # dangling until written through
    report = tmp_path / "r.txt"
    report.write_text(short_texts[SEED], encoding="utf-8")

    run_tag([str(report)], model, units_output=str(units_link), summary_output=str(summary_link), summary_format="md")

    assert units_link.is_symlink() and summary_link.is_symlink()
    assert os.readlink(units_link) == str(real_units) and os.readlink(summary_link) == str(real_summary)
    rows = read_jsonl(real_units)
    assert [r["text"] for r in rows] == [u.text for u in segment(short_texts[SEED])]
    assert real_summary.read_text(encoding="utf-8").startswith(f"# {report}")
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob("*.progress"))


@pytest.mark.slow
def test_summary_through_a_link_to_redirected_stdout_keeps_the_link(tmp_path, short_texts):
    """The command as `make example` ran it (--summary-output /dev/stdout, stdout redirected to a
    file), with a link of our own to /proc/self/fd/1 so that a regression cannot harm /dev/stdout."""
    report = tmp_path / "r.txt"
    report.write_text(short_texts[SEED], encoding="utf-8")
    stdout_link = tmp_path / "stdout"
    stdout_link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "out.txt"
    with open(out, "wb") as f:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "fazhi",
                "tag",
                str(report),
                "--summary",
                "md",
                "--summary-output",
                str(stdout_link),
                "--no-units",
            ],
            stdout=f,
            stderr=subprocess.PIPE,
        )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert stdout_link.is_symlink() and os.readlink(stdout_link) == "/proc/self/fd/1"
    assert out.read_text(encoding="utf-8").startswith(f"# {report}")
    assert not list(tmp_path.glob("*.partial"))


def test_the_closing_line_gives_a_slow_rate_a_decimal_instead_of_zero():
    from fazhi.output.run import TagResult

    slow = TagResult(reports=1, sentences=1, seconds=2.9)
    assert "(0.3 sentences/s)" in slow.summary_line() and "1 report, 1 sentence in 2.9 s" in slow.summary_line()
    assert "(1500 sentences/s)" in TagResult(reports=2, sentences=3000, seconds=2.0).summary_line()
    assert "(10 sentences/s)" in TagResult(reports=1, sentences=9997, seconds=1000.0).summary_line()  # 9.997: not 10.0
