import json
import subprocess
import sys

from fazhi.model import default_model_dir, load_model
from fazhi.reading import UnreadableFile, decode_text
from fazhi.segment import segment
from fazhi.tag import tag_text

import pytest

from conftest import SEEDS_DIR

SEED = "004_4aea94131e29c9d0.txt"


def test_tag_text_tags_every_unit_with_offsets_and_summary(seed_texts):
    text = seed_texts[SEED]
    report = tag_text(SEED, text, load_model(default_model_dir()))
    units = segment(text)
    assert [r["text"] for r in report.units] == [u.text for u in units]
    for r in report.units:
        assert text[r["start"] : r["end"]] == r["text"]
        assert {"doc", "index", "start", "end", "heading", "text", "category", "scores", "problem", "problem_score"} <= set(r)
    s = report.summary
    assert sum(s["per_category"].values()) == s["sentences"] == len(units)
    assert [p["text"] for p in s["problems"]] == [r["text"] for r in report.units if r["problem"]]
    assert s["areas_not_mentioned"] == [a for a, n in s["per_category"].items() if a != "other" and n == 0]


def test_decode_text_reads_utf8_bom_and_gb18030(seed_texts):
    text = seed_texts[SEED]
    assert decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    assert decode_text(text.encode("gb18030")) == text


@pytest.mark.parametrize("raw, reason", [(b"", "empty"), (b"  \n", "empty"), (b"\x00\x01binary\x00", "binary")])
def test_decode_text_rejects_empty_and_binary(raw, reason):
    with pytest.raises(UnreadableFile, match=reason):
        decode_text(raw, "x.txt")


def test_tag_command_skips_unreadable_file_and_reports_failure(tmp_path, seed_texts):
    good = tmp_path / "good.txt"
    good.write_bytes(seed_texts[SEED].encode("gb18030"))
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = tmp_path / "units.jsonl"
    proc = subprocess.run([sys.executable, "-m", "fazhi", "tag", str(empty), str(good), "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "empty.txt: file is empty" in proc.stderr and "1 failed" in proc.stderr
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()]
    assert rows and {r["doc"] for r in rows} == {"good.txt"}
