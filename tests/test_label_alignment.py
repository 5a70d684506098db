"""The labelled units of every report must be exactly what the segmenter produces today."""

import json
from collections import defaultdict

from fazhi.labels import read_documents
from fazhi.paths import LABELS_DIR, REPO_DIR
from fazhi.pipeline.segment import segment

WRITTEN_DIR = REPO_DIR / "data" / "reports" / "written"


def _report_rows():
    docs = defaultdict(list)
    for f in sorted(LABELS_DIR.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row["doc"].endswith(".txt"):
                    docs[row["doc"]].append(row)
    return docs


def test_every_labelled_report_matches_its_segmentation(seeds_dir):
    docs = _report_rows()
    assert len(docs) >= 80  # five seeds and the written reports
    for doc, rows in docs.items():
        path = seeds_dir / doc if (seeds_dir / doc).exists() else WRITTEN_DIR / doc
        assert path.exists(), f"labels name {doc} but no such report file exists"
        units = [u.text for u in segment(path.read_text(encoding="utf-8-sig"))]
        assert [r["text"] for r in rows] == units, f"{doc}: labelled units differ from the segmenter's"


def test_all_five_seeds_are_fully_labelled(seeds_dir):
    docs = _report_rows()
    seeds = sorted(seeds_dir.glob("*.txt"))
    assert len(seeds) == 5
    for seed in seeds:
        assert seed.name in docs, f"seed {seed.name} has no labels"


def test_every_labelled_report_has_a_genre_and_every_genre_is_in_train_and_test():
    docs = _report_rows()
    genres = read_documents(LABELS_DIR)
    assert set(docs) <= set(genres), sorted(set(docs) - set(genres))[:5]
    splits = defaultdict(set)
    for doc, rows in docs.items():
        splits[genres[doc]].add(rows[0]["split"])
    assert len(splits) >= 13
    assert all({"train", "test"} <= s for s in splits.values()), dict(splits)
