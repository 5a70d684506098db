"""The real-text scorer on a tiny folder written here in the format of the real development set."""

import json
import re

import numpy as np
import pytest

from fazhi.evaluation.evaluate import evaluate_real
from fazhi.evaluation.real_text import predict_by_document, predict_by_unit, read_real_set, score_real
from fazhi.labels import CATEGORIES
from fazhi.model.prediction import Scores

DOCS = {
    "x1": "某县2023年政府信息公开工作年度报告\n一、总体情况\n主动公开政府信息120条。\n三、依申请公开\n"
    "无法提供 2件\n存在的问题是公开不够及时。\n",
    "x2": "某区2023年法治政府建设情况报告\n阅读次数：15\n全年办理行政复议案件5件。\n区政府常务会议学法6次。\n",
}
# (doc, text, category, problem, part)
UNITS = [
    ("x1", "主动公开政府信息120条。", "disclosure", False, "area_reports"),
    ("x1", "无法提供 2件", "disclosure", False, "area_reports"),
    ("x1", "存在的问题是公开不够及时。", "disclosure", True, "area_reports"),
    ("x2", "阅读次数：15", "other", False, "report_openings"),  # page furniture: no project unit covers it
    ("x2", "全年办理行政复议案件5件。", "dispute", False, "report_openings"),
    ("x2", "区政府常务会议学法6次。", "other", False, "report_openings"),
]


class KeywordModel:
    """A model whose answers are known: 公开 → disclosure, 复议 → dispute, else the context's area or other."""

    name, labels, threshold, max_chars = "keywords", CATEGORIES, 0.5, None
    int8, reads_context = False, True

    def predict(self, texts, contexts=None):
        contexts = contexts or [""] * len(texts)
        cats = []
        for t, c in zip(texts, contexts, strict=True):
            cats.append(
                "disclosure"
                if "公开" in t
                else "dispute"
                if "复议" in t
                else "disclosure"
                if "信息公开" in c
                else "other"
            )
        probs = np.array([[1.0 if l == c else 0.0 for l in CATEGORIES] for c in cats])
        return Scores(
            CATEGORIES, probs.reshape(len(texts), len(CATEGORIES)), np.array([float("问题" in t) for t in texts]), 0.5
        )


@pytest.fixture
def real_folder(tmp_path):
    (tmp_path / "docs").mkdir()
    lines = []
    for doc, text in DOCS.items():
        (tmp_path / "docs" / f"{doc}.txt").write_text(text, encoding="utf-8")
    for i, (doc, text, cat, problem, part) in enumerate(UNITS):
        start = DOCS[doc].index(text)
        lines.append(
            json.dumps(
                {
                    "id": f"u{i}",
                    "doc": doc,
                    "start": start,
                    "end": start + len(text),
                    "text": text,
                    "category": cat,
                    "problem": problem,
                    "part": part,
                },
                ensure_ascii=False,
            )
        )
    (tmp_path / "units.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_by_unit_scoring_gives_the_figures_worked_out_by_hand(real_folder):
    real = read_real_set(real_folder)
    result = score_real(real, predict_by_unit(KeywordModel(), real), samples=0)
    # 无法提供 2件 alone is read as other: disclosure F1 0.8, dispute 1.0, other 0.8.
    assert result["all"]["macro_f1"] == pytest.approx((0.8 + 1.0 + 0.8) / 3)
    assert result["all"]["problem"]["f1"] == 1.0
    assert result["area_reports"]["n"] == 3 and result["area_reports"]["accuracy"] == pytest.approx(2 / 3)
    assert result["report_openings"]["macro_f1"] == 1.0


def test_by_document_scoring_reads_units_in_their_report_and_counts_uncovered_units(real_folder):
    real = read_real_set(real_folder)
    pred = predict_by_document(KeywordModel(), real)
    assert pred.uncovered == 1  # the furniture line
    result = score_real(real, pred, samples=50)
    assert result["all"]["macro_f1"] == 1.0 and result["all"]["uncovered"] == 1
    assert result["all"]["ci"]["macro_f1"] == [1.0, 1.0] and result["all"]["documents"] == 2


def test_evaluate_real_reports_both_ways_with_intervals(real_folder):
    out = evaluate_real(KeywordModel(), real_folder, "keywords", samples=50)
    assert set(out.metrics) == {"by unit", "by document"}
    lo, hi = out.metrics["by unit"]["all"]["ci"]["macro_f1"]
    assert lo <= out.metrics["by unit"]["all"]["macro_f1"] <= hi
    assert "| area_reports | 1 | 3 |" in out.markdown


def test_a_unit_that_does_not_match_its_document_is_refused(real_folder):
    units = re.sub(
        r'"start": (\d+)',
        lambda m: f'"start": {int(m.group(1)) + 1}',
        (real_folder / "units.jsonl").read_text(encoding="utf-8"),
        count=1,
    )
    (real_folder / "units.jsonl").write_text(units, encoding="utf-8")
    with pytest.raises(ValueError, match="text differs from"):
        read_real_set(real_folder)
