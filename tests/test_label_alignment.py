"""The labelled units of every report must be exactly what the segmenter produces today."""

import json
from collections import defaultdict

from fazhi.segment import segment

from conftest import LABELS_DIR, SEEDS_DIR, WRITTEN_DIR


def _report_rows():
    docs = defaultdict(list)
    for f in sorted(LABELS_DIR.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["doc"].endswith(".txt"):
                    docs[row["doc"]].append(row)
    return docs


def test_every_labelled_report_matches_its_segmentation():
    docs = _report_rows()
    assert len(docs) >= 35  # five seeds and at least thirty written reports
    for doc, rows in docs.items():
        path = SEEDS_DIR / doc if (SEEDS_DIR / doc).exists() else WRITTEN_DIR / doc
        assert path.exists(), f"labels name {doc} but no such report file exists"
        units = [u.text for u in segment(path.read_text(encoding="utf-8-sig"))]
        assert [r["text"] for r in rows] == units, f"{doc}: labelled units differ from the segmenter's"


def test_all_five_seeds_are_fully_labelled():
    docs = _report_rows()
    for seed in SEEDS_DIR.glob("*.txt"):
        assert seed.name in docs, f"seed {seed.name} has no labels"
