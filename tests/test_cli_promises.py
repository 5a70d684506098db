"""The command line keeps the promises its --help and the README make (issue 19), and every write error is one line."""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from fazhi.cli import build_parser, main
from fazhi.paths import REPO_DIR

SEEDLIKE = Path(__file__).parent / "data" / "seedlike_report.txt"
FAZHI = [sys.executable, "-m", "fazhi"]


def run(args, **kw):
    return subprocess.run(FAZHI + args, capture_output=True, text=True, timeout=120, cwd=kw.pop("cwd", REPO_DIR), **kw)


# --- exit codes -------------------------------------------------------------------------
@pytest.mark.parametrize("given", ["missing.txt", "EMPTY", "EMPTY/*.txt"])
def test_tag_with_no_usable_input_exits_2(tmp_path, given):
    (tmp_path / "EMPTY").mkdir()
    assert main(["tag", str(tmp_path / given)]) == 2


def test_tag_with_no_usable_input_and_a_corpus_view_exits_2_and_writes_no_view(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    (tmp_path / "EMPTY").mkdir()
    out = [tmp_path / "r.html", tmp_path / "r.png"]
    assert main(["tag", str(tmp_path / "EMPTY"), "--report", str(out[0]), "--report-png", str(out[1])]) == 2
    assert "no corpus view was written" in capsys.readouterr().err  # was a ValueError's traceback from the heatmap
    assert not any(p.exists() for p in out)


def test_tag_with_one_bad_input_among_good_ones_exits_1(tmp_path):
    assert main(["tag", str(SEEDLIKE), str(tmp_path / "missing.txt"), "-o", str(tmp_path / "u.jsonl")]) == 1


def test_serve_on_a_busy_port_exits_2_without_a_serving_line():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        done = run(["serve", "--port", str(port)])
    assert done.returncode == 2, done.stderr
    assert "fazhi serve: model" not in done.stdout and "serving" not in done.stdout
    assert len(done.stderr.strip().splitlines()) == 1 and str(port) in done.stderr


@pytest.mark.parametrize("base", ["./typo", "hfl/chinese-roberta-wwm-ext"])
def test_a_base_model_that_is_no_directory_is_one_line_and_exit_2(base, capsys):
    assert main(["train", "--base-model", base, "--epochs", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and base in err[0] and "Traceback" not in err[0]


def _hub_env(endpoint: str) -> dict[str, str]:
    """A child's environment that may ask the hub at endpoint. HF_HUB_OFFLINE goes: importing fazhi here set it to 1,
    and the child would inherit it and never try the network at all."""
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    return {**env, "FAZHI_ALLOW_HUB": "1", "HF_ENDPOINT": endpoint}


def test_an_unreachable_hub_is_refused_at_once_saying_so():
    env = _hub_env("http://127.0.0.1:9")  # nothing listens: refused at once
    done = run(["train", "--base-model", "hfl/chinese-roberta-wwm-ext", "--hub-timeout", "2"], env=env)
    assert done.returncode == 2
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and "hub could not be reached" in err[0] and "within" not in err[0]  # it did not wait 2 s


def test_a_hub_that_never_answers_is_given_up_after_the_timeout():
    import time

    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        # A fresh process: huggingface_hub reads HF_ENDPOINT once, when it is first imported.
        env = _hub_env(f"http://127.0.0.1:{silent.getsockname()[1]}")
        start = time.monotonic()
        done = run(["train", "--base-model", "hfl/chinese-roberta-wwm-ext", "--hub-timeout", "1"], env=env)
        waited = time.monotonic() - start
    assert done.returncode == 2
    err = done.stderr.strip().splitlines()
    assert len(err) == 1 and "did not answer for it within 1 s" in err[0], err
    # One try within the bound, not the hub client's retries, which ran past 2 minutes; the margin is for starting
    # Python and transformers on a loaded machine (26 s seen with the load average at 6 on 2 cores).
    assert waited < 60


# --- readers ----------------------------------------------------------------------------
def test_segment_and_classify_read_a_gbk_file_as_tag_does(tmp_path, capsys):
    path = tmp_path / "gbk.txt"
    path.write_bytes("二、存在的问题\n行政执法监督力量不足。\n".encode("gbk"))
    assert main(["segment", str(path)]) == 0
    units = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [u["text"] for u in units] == ["二、存在的问题", "行政执法监督力量不足。"]
    assert main(["classify", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["text"] for r in rows] == ["二、存在的问题", "行政执法监督力量不足。"]


def test_segment_reads_a_docx_report(tmp_path, capsys):
    from sample_formats import save_report_as

    docx = save_report_as(SEEDLIKE.read_text(encoding="utf-8"), tmp_path / "r.docx", "docx")
    assert main(["segment", str(docx)]) == 0
    assert any("但也存在一些不足" in line for line in capsys.readouterr().out.splitlines())


# --- threads, models, version ------------------------------------------------------------
def test_threads_default_to_one_and_follow_the_flag(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    before = torch.get_num_threads()
    try:
        (tmp_path / "s.txt").write_text("全面推行行政执法公示制度。\n", encoding="utf-8")
        assert main(["classify", str(tmp_path / "s.txt"), "--model", "bert"]) == 0
        assert torch.get_num_threads() == 1
        assert main(["classify", str(tmp_path / "s.txt"), "--model", "bert", "--threads", "2"]) == 0
        assert torch.get_num_threads() == 2
        for cmd in (["tag", "x"], ["classify"], ["evaluate"]):
            assert hasattr(build_parser().parse_args(cmd), "threads")
    finally:
        torch.set_num_threads(before)


def _fresh_python(code: str) -> str:
    """The last line code prints to stderr in a new interpreter with OMP_NUM_THREADS unset (what torch has loaded
    and how many threads it took depend on the process, so these checks cannot run in pytest's own)."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stderr.strip().splitlines()[-1]


def test_commands_with_the_ngram_default_never_load_torch(tmp_path):
    # --threads used to import torch to set its threads, for every model: 180 MB and a second of start-up that the
    # n-gram default never uses. A BERT still gets its threads (the test above).
    (tmp_path / "r.txt").write_text("全面推行行政执法公示制度。\n部分执法人员业务能力不强。\n", encoding="utf-8")
    code = (
        "import sys; from fazhi.cli import main; "
        f"codes = [main(['classify', {str(tmp_path / 'r.txt')!r}, '--threads', '2']), "
        f"main(['tag', {str(tmp_path / 'r.txt')!r}, '-o', {str(tmp_path / 'u.jsonl')!r}, '--no-progress']), "
        "main(['data', 'check'])]; "
        "print(codes, sorted(m for m in ('torch', 'transformers', 'sklearn') if m in sys.modules), file=sys.stderr)"
    )
    assert _fresh_python(code) == "[0, 0, 0] []"


def test_a_bert_loaded_after_the_threads_are_set_still_gets_them(tmp_path):
    # evaluate sets the threads before its model is loaded, when torch is not yet imported: they reach torch through
    # OMP_NUM_THREADS, which torch reads when the BERT imports it (and caps at the cores, so 1 is what tells).
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: torch's default thread count is already 1")
    (tmp_path / "t.csv").write_text(
        "text,category,problem,split\n全面推行行政执法公示制度。,enforcement,false,test\n"
        "部分执法人员业务能力不强。,enforcement,true,test\n",
        encoding="utf-8",
    )
    code = (
        "import sys; from fazhi.cli import main; "
        f"rc = main(['evaluate', 'bert', '--data', {str(tmp_path / 't.csv')!r}, '--threads', '1', '--bootstrap', "
        "'0']); "
        "import torch; print(rc, torch.get_num_threads(), file=sys.stderr)"
    )
    assert _fresh_python(code) == "0 1"  # torch's own default is every core


@pytest.mark.parametrize("name", ["bert", "baseline", "model/bert", "model/baseline"])
def test_shipped_models_are_named_from_any_folder(tmp_path, monkeypatch, capsys, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.txt").write_text("全面推行行政执法公示制度。\n", encoding="utf-8")
    assert main(["classify", "s.txt", "--model", name]) == 0
    assert json.loads(capsys.readouterr().out)["category"] == "enforcement"


def test_version_prints_the_version_and_the_default_model():
    done = run(["--version"])
    assert done.returncode == 0
    assert done.stdout.startswith("fazhi ") and "default model: baseline" in done.stdout


def _help_texts(parser: argparse.ArgumentParser, name: str = "fazhi") -> Iterator[tuple[str, str]]:
    """(command, its --help) for the parser and every subcommand under it, at any depth."""
    yield name, parser.format_help()
    for action in parser._actions:  # noqa: SLF001  (argparse has no public walk)
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            for sub_name, sub in action.choices.items():
                yield from _help_texts(sub, f"{name} {sub_name}")


def test_help_texts_are_clean():
    import re

    for name, text in _help_texts(build_parser()):
        flat = re.sub(r"\s+", " ", text)
        assert "%%" not in text, name
        # One "(default: …)" per option: split the help into option entries and count.
        for entry in re.split(r"\n\s{2}(?=-)", text):
            assert entry.count("(default") <= 1, (name, entry)
        assert not re.search(r"\b1 (report|sentence|problem statement)s\b", flat), name


# --- terminal output ----------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_with_an_output_file_summaries_go_to_stderr_as_short_markdown_on_a_terminal(tmp_path, monkeypatch, capsys):
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["tag", str(SEEDLIKE), "-o", str(tmp_path / "u.jsonl"), "--no-progress"]) == 0
    assert capsys.readouterr().out == ""  # nothing on stdout to interleave with
    shown = term.getvalue()
    assert f"# {SEEDLIKE}" in shown and "26 sentence units, 3 problem statements." in shown
    assert "依法决策 5" in shown and "## Problem statements" not in shown  # short: no problem list
    assert len(shown.splitlines()) < 12


def test_summaries_go_to_a_file_when_asked(tmp_path, capsys):
    assert (
        main(
            [
                "tag",
                str(SEEDLIKE),
                "-o",
                str(tmp_path / "u.jsonl"),
                "--summary-output",
                str(tmp_path / "s.md"),
                "--summary",
                "md",
            ]
        )
        == 0
    )
    assert (tmp_path / "s.md").read_text(encoding="utf-8").startswith(f"# {SEEDLIKE}\n")
    assert capsys.readouterr().out == ""


def test_report_without_output_does_not_pour_units_onto_the_terminal(tmp_path, capsys):
    assert main(["tag", str(SEEDLIKE), "--report", str(tmp_path / "r.html")]) == 0
    out = capsys.readouterr().out
    assert out == "" and (tmp_path / "r.html").is_file()


def test_progress_counts_bytes_sentences_and_reports():
    from fazhi.model import load_model
    from fazhi.output.run import run_tag

    log = io.StringIO()
    run_tag([str(SEEDLIKE)], load_model(REPO_DIR / "model" / "baseline"), write_units=False, progress=True, log=log)
    shown = log.getvalue()
    assert "1/1 reports, 26 sentences" in shown
    size = f"{SEEDLIKE.stat().st_size / 1024:.2f}k"
    assert f"0.00/{size}" in shown and f"{size}/{size}" in shown  # the bar runs over the report's bytes


# --- writes (issue 17, items 12 and 13) ---------------------------------------------------
def test_a_file_name_that_is_not_utf8_is_escaped_written_and_resumed(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    bad = os.fsdecode(bytes(folder) + b"/r\xff.txt")
    Path(bad).write_text("二、存在的问题\n行政执法监督力量不足。\n", encoding="utf-8")
    out = tmp_path / "u.jsonl"
    assert main(["tag", str(folder), "-o", str(out)]) == 0
    docs = {json.loads(line)["doc"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert docs == {str(folder / "r\\xff.txt")}
    assert main(["tag", str(folder), "-o", str(out), "--resume"]) == 0
    assert "1 already done" in capsys.readouterr().err


def test_a_newline_in_a_file_name_injects_no_heading_and_is_not_tagged_twice(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a\n# injected.txt").write_text("全面推行行政执法公示制度。\n", encoding="utf-8")
    summary = tmp_path / "s.md"
    args = ["tag", str(folder), "-o", str(tmp_path / "u.jsonl"), "--summary-output", str(summary), "--summary", "md"]
    assert main(args) == 0
    lines = summary.read_text(encoding="utf-8").splitlines()
    assert "# injected.txt" not in lines and [line for line in lines if line.startswith("# ")] == [
        f"# {folder}/a\\n# injected.txt"
    ]
    assert main(args + ["--resume"]) == 0
    assert "1 already done" in capsys.readouterr().err
    assert summary.read_text(encoding="utf-8").count("a\\n# injected.txt") == 1


def test_a_full_device_is_one_line_naming_it_and_exit_2(capsys):
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    assert main(["tag", str(SEEDLIKE), "-o", "/dev/full"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: cannot write units to /dev/full: No space left on device"
    assert not any("Traceback" in line for line in err)


def test_an_unwritable_folder_is_one_line_naming_the_file_and_exit_2():
    # /proc refuses new files even to root, where a chmod'ed folder would not.
    done = run(["tag", str(SEEDLIKE), "-o", "/proc/fazhi-out.jsonl"])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "/proc/fazhi-out.jsonl" in done.stderr.strip().splitlines()[-1]


def test_output_to_dev_stdout_redirected_to_a_file_loses_no_line(tmp_path):
    from fazhi.model import load_model
    from fazhi.pipeline.tag import tag_text

    n = len(tag_text("x", SEEDLIKE.read_text(encoding="utf-8"), load_model(REPO_DIR / "model" / "baseline")).units)
    copies = []
    for k in range(20):  # enough reports that two handles on one file would overwrite each other
        copies.append(tmp_path / f"r{k:02d}.txt")
        copies[-1].write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    with open(out, "w") as f:
        done = subprocess.run(
            FAZHI + ["tag", *map(str, copies), "-o", "/dev/stdout"],
            stdout=f,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            cwd=REPO_DIR,
        )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]  # every line whole
    assert len(rows) == 20 * n and all("index" in r for r in rows)  # units only: the summaries went to stderr
    assert done.stderr.count('"sentences": 26') == 20


def test_output_onto_an_input_is_refused_and_the_input_kept(tmp_path, capsys):
    report = tmp_path / "r.txt"
    report.write_text(SEEDLIKE.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["tag", str(report), "-o", str(report)]) == 2
    assert report.read_text(encoding="utf-8") == SEEDLIKE.read_text(encoding="utf-8")
    assert "is one of the input reports" in capsys.readouterr().err


def test_a_fifo_with_no_reader_gets_a_message_and_a_timeout(tmp_path, monkeypatch, capsys):
    import fazhi.output.atomic as atomic

    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    monkeypatch.setattr(atomic, "FIFO_WAIT_S", 0.5)
    assert main(["tag", str(SEEDLIKE), "-o", str(fifo)]) == 2
    err = capsys.readouterr().err
    assert f"waiting up to 0.5 s for a reader on the FIFO {fifo}" in err and "a FIFO with no reader for 0.5 s" in err
