"""The corpus view of `fazhi tag DIR --report`: its figures, the CSV, the self-contained page and the PNG."""

from __future__ import annotations

import base64
import csv
import gzip
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from fazhi.cli import main
from fazhi.labels import AREAS, CATEGORIES
from fazhi.model import load_model
from fazhi.output.run import run_tag
from fazhi.paths import REPO_DIR
from fazhi.pipeline.problems import states_problem
from fazhi.review.corpus_view import CorpusView, csv_columns, heatmap_png, report_csv, report_html

WRITTEN = REPO_DIR / "data" / "reports" / "written"
# Four reports of different shapes; g06 never mentions decision, j10 neither decision nor disclosure (with the
# baseline).
NAMES = ("written_a03.txt", "written_g06.txt", "written_j10.txt", "written_k02.txt")
BASELINE = REPO_DIR / "model" / "baseline"


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus")
    for name in NAMES:
        shutil.copyfile(WRITTEN / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def tagged(corpus_dir):
    """(view, reports) for the four reports, tagged with the baseline."""
    view, reports = CorpusView(), []

    def keep(report):
        reports.append(report)
        view.add(report)

    run_tag([str(corpus_dir)], load_model(BASELINE), write_units=False, on_report=keep, log=io.StringIO())
    return view, reports


def test_figures_are_each_reports_summary_and_the_corpus_totals(tagged):
    view, reports = tagged
    assert [f["doc"] for f in view.figures] == [r.doc for r in reports]
    for f, r in zip(view.figures, reports, strict=True):
        assert f["per_category"] == r.summary["per_category"] and f["sentences"] == len(r.units)
        assert f["problems"] == sum(states_problem(u) for u in r.units)
        assert f["shares"]["enforcement"] == pytest.approx(r.summary["per_category"]["enforcement"] / len(r.units))
        assert sum(f["shares"].values()) == pytest.approx(1.0)
    corpus = view.corpus()
    for a in AREAS:
        assert corpus["problems_per_area"][a] == sum(
            states_problem(u) and u["category"] == a for r in reports for u in r.units
        )
        assert corpus["reports_not_mentioning"][a] == [r.doc for r in reports if a in r.summary["areas_not_mentioned"]]
    assert any(corpus["reports_not_mentioning"][a] for a in AREAS)  # the set has reports that skip an area


def test_csv_has_one_row_per_report_with_every_category(tagged):
    view, _ = tagged
    rows = list(csv.DictReader(io.StringIO(report_csv(view.figures))))
    assert list(rows[0]) == csv_columns()
    assert [r["doc"] for r in rows] == [f["doc"] for f in view.figures]
    for r, f in zip(rows, view.figures, strict=True):
        assert int(r["sentences"]) == sum(int(r[f"{c}.sentences"]) for c in CATEGORIES) == f["sentences"]
        assert r["areas_not_mentioned"].split(";") == (f["areas_not_mentioned"] or [""])


def test_page_is_self_contained_and_carries_every_sentence(tagged):
    view, reports = tagged
    page = report_html(view, "baseline")
    # Nothing is fetched: no links, no sources, no URL but SVG's namespace name.
    assert "<link" not in page and " src=" not in page and "@import" not in page
    assert set(re.findall(r"https?://[^\s\"'<>)]+", page)) == {"http://www.w3.org/2000/svg"}
    figures_script = re.search(r'<script id="figures" type="application/json">(.*?)</script>', page, re.S)
    assert figures_script, "no figures script in the page"
    figures = json.loads(figures_script.group(1))
    names = {f["doc"]: r["doc"] for f, r in zip(view.figures, figures["reports"], strict=True)}
    assert [{**r, "doc": f["doc"]} for r, f in zip(figures["reports"], view.figures, strict=True)] == view.figures
    corpus = view.corpus()
    corpus["reports_not_mentioning"] = {a: [names[d] for d in ds] for a, ds in corpus["reports_not_mentioning"].items()}
    assert figures["corpus"] == corpus
    sentences_script = re.search(r'<script id="sentences" type="text/plain">(.*?)</script>', page, re.S)
    assert sentences_script, "no sentences script in the page"
    packed = sentences_script.group(1).strip()
    sentences = json.loads(gzip.decompress(base64.b64decode(packed)))
    assert [[s[2] for s in units] for units in sentences] == [[u["text"] for u in r.units] for r in reports]
    assert [[CATEGORIES[s[0]] for s in units] for units in sentences] == [
        [u["category"] for u in r.units] for r in reports
    ]
    # The problem mark is the count rule's: a flagged heading or lead-in that only opens the section is not marked.
    assert [[bool(s[1] & 1) for s in units] for units in sentences] == [
        [states_problem(u) for u in r.units] for r in reports
    ]


def test_page_names_reports_below_their_shared_folder_and_carries_no_path_of_the_machine(tagged, corpus_dir):
    view, reports = tagged
    page = report_html(view, "baseline")
    # The reports were read from an absolute temporary folder; a page passed on carries none of it, not even in its
    # data (the hover text, the shared-text links and the "never mentions" lists are built from it).
    assert str(corpus_dir) not in page and str(corpus_dir.parent) not in page
    script = re.search(r'<script id="figures" type="application/json">(.*?)</script>', page, re.S)
    assert script, "no figures script in the page"
    data = json.loads(script.group(1))
    assert [r["doc"] for r in data["reports"]] == [Path(r.doc).name for r in reports]
    assert data["corpus"]["reports_not_mentioning"]["decision"] == [
        Path(r.doc).name for r in reports if "decision" in r.summary["areas_not_mentioned"]
    ]
    # The view itself keeps the names it was given: the CSV and the units file name reports as fazhi tag did.
    assert [f["doc"] for f in view.figures] == [r.doc for r in reports]


def test_png_heatmap_has_a_row_per_report(tagged):
    pytest.importorskip("matplotlib")
    from matplotlib import image

    view, _ = tagged
    png = heatmap_png(view.figures)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    four = image.imread(io.BytesIO(png))
    taller = image.imread(io.BytesIO(heatmap_png(view.figures * 10)))
    assert taller.shape[0] > four.shape[0] and four.shape[1] == taller.shape[1]


def test_cli_writes_page_csv_and_png_and_rebuilds_them_on_resume(corpus_dir, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    units, page, table, png = (tmp_path / n for n in ("units.jsonl", "report.html", "report.csv", "heatmap.png"))
    args = [
        "tag",
        str(corpus_dir),
        "--model",
        str(BASELINE),
        "-o",
        str(units),
        "--summary-output",
        str(tmp_path / "s.jsonl"),
        "--report",
        str(page),
        "--report-csv",
        str(table),
    ]
    assert main(args + ["--report-png", str(png)]) == 0
    assert "wrote " + str(page) in capsys.readouterr().err
    first = list(csv.DictReader(table.open(encoding="utf-8")))
    assert len(first) == len(NAMES) and png.read_bytes()[:4] == b"\x89PNG"
    # A resumed run skips every report; the view is rebuilt from the units file and loses none.
    page.unlink()
    table.unlink()
    assert main(args + ["--resume"]) == 0
    assert list(csv.DictReader(table.open(encoding="utf-8"))) == first
    assert page.is_file()


def test_cli_refuses_report_on_resume_without_a_units_file(corpus_dir, tmp_path, capsys):
    code = main(
        [
            "tag",
            str(corpus_dir),
            "--model",
            str(BASELINE),
            "--no-units",
            "--summary-output",
            str(tmp_path / "s.jsonl"),
            "--resume",
            "--report",
            str(tmp_path / "r.html"),
        ]
    )
    assert code == 2
    assert "--report with --resume needs the units in a file" in capsys.readouterr().err
    assert (
        main(["tag", str(corpus_dir), "--model", str(BASELINE), "--report", str(tmp_path / "nowhere" / "r.html")]) == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_reports_of_the_same_name_in_different_folders_keep_apart_in_the_heatmap_labels():
    from fazhi.review.corpus_view import _short_names

    assert _short_names(["archive/2022/report.txt", "archive/2023/report.txt"]) == [
        "2022/report.txt",
        "2023/report.txt",
    ]
    assert _short_names(["archive/a.txt", "archive/b.txt"]) == ["a.txt", "b.txt"]


def test_a_run_of_relative_and_absolute_paths_shows_neither_whole_path(tmp_path, monkeypatch):
    from fazhi.review.corpus_view import _short_names

    monkeypatch.chdir(tmp_path)
    names = _short_names(["2022/a.txt", str(tmp_path / "2023" / "b.txt")])
    assert names == ["2022/a.txt", "2023/b.txt"]
