"""Issue 20's targets measured against the hand-written gold in tests/data/review/.

- report type accuracy (outline_gold.jsonl: every written report and seed);
- part present/absent accuracy, over every part judged there;
- planted omissions (omissions_gold.jsonl): a copy of the report with one heading's section cut out
  (the cut is made here, at run time; which part it removes was written by hand) must have that part
  absent; "false missing" is any other part the gold has present that the copy reports absent;
- figures (figures_gold.tsv): precision and recall on (doc, unit index, indicator, value);
- shared text: units of one report copied into a report of another body with a small edit each
  (numbers changed, one word replaced or dropped, at run time with a fixed seed): the share found, and
  the share of reported shared units that were not planted;
- with --timing, the 3,000-report run of benchmarks/shared_text.py.

Seeds are read from ../shared/seeds (or FAZHI_SEEDS_DIR); without them their rows are skipped and said so.

    python benchmarks/review_gold.py [--timing]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from fazhi.pipeline.segment import segment
from fazhi.review.figures import extract_figures
from fazhi.review.outline import check_outline, report_type, without_section
from fazhi.review.shared import find_shared, is_boilerplate

REPO = Path(__file__).resolve().parent.parent
GOLD = REPO / "tests" / "data" / "review"
WRITTEN = REPO / "data" / "reports" / "written"
SEEDS = Path(os.environ.get("FAZHI_SEEDS_DIR", REPO.parent / "shared" / "seeds"))


def report_text(doc: str) -> str | None:
    path = (SEEDS if not doc.startswith("written_") else WRITTEN) / doc
    return path.read_text(encoding="utf-8") if path.exists() else None


def units_of(text: str) -> list[dict]:
    return [asdict(u) for u in segment(text)]


def outline_scores() -> dict:
    rows = [json.loads(line) for line in (GOLD / "outline_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    types = parts_ok = parts_n = skipped = 0
    wrong: list[str] = []
    per_part: Counter = Counter()
    per_part_ok: Counter = Counter()
    for r in rows:
        text = report_text(r["doc"])
        if text is None:
            skipped += 1
            continue
        units = units_of(text)
        rtype = report_type(units)
        types += rtype == r["type"]
        if rtype != r["type"]:
            wrong.append(f"{r['doc']}: type {rtype}, gold {r['type']}")
        got = {e["part"]: e["present"] for e in check_outline(units, r["type"])}
        for part, present in r.get("parts", {}).items():
            parts_n += 1
            per_part[part] += 1
            ok = got.get(part) == present
            parts_ok += ok
            per_part_ok[part] += ok
            if not ok:
                wrong.append(f"{r['doc']}: {part} present {got.get(part)}, gold {present}")
    n = len(rows) - skipped
    return {"reports": n, "skipped_no_seeds": skipped, "type_accuracy": types / n, "parts": parts_n,
            "part_accuracy": parts_ok / parts_n,
            "per_part": {p: f"{per_part_ok[p]}/{per_part[p]}" for p in per_part}, "errors": wrong}


def omission_scores() -> dict:
    gold = {json.loads(line)["doc"]: json.loads(line) for line in (GOLD / "outline_gold.jsonl").read_text(encoding="utf-8").splitlines()}
    rows = [json.loads(line) for line in (GOLD / "omissions_gold.jsonl").read_text(encoding="utf-8").splitlines()]
    found = n = false_missing = others = skipped = 0
    wrong = []
    for r in rows:
        text = report_text(r["doc"])
        if text is None:
            skipped += 1
            continue
        n += 1
        g = gold[r["doc"]]
        cut = without_section(text, units_of(text), r["heading_index"])
        got = {e["part"]: e["present"] for e in check_outline(units_of(cut), g["type"])}
        found += got[r["part"]] is False
        if got[r["part"]]:
            wrong.append(f"{r['doc']} without unit {r['heading_index']}: {r['part']} still present")
        for part, present in g.get("parts", {}).items():
            if part != r["part"] and present:
                others += 1
                if not got.get(part):
                    false_missing += 1
                    wrong.append(f"{r['doc']} without unit {r['heading_index']}: {part} reported missing")
    return {"planted": n, "skipped_no_seeds": skipped, "found": found / n, "false_missing": false_missing / others,
            "errors": wrong}


def figure_scores() -> dict:
    with open(GOLD / "figures_gold.tsv", encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    gold_rows = list(csv.DictReader(lines, delimiter="\t"))
    docs = sorted({r["doc"] for r in gold_rows})
    gold: Counter = Counter()
    got: Counter = Counter()
    skipped = []
    for doc in docs:
        text = report_text(doc)
        if text is None:
            skipped.append(doc)
            continue
        for r in gold_rows:
            if r["doc"] == doc:
                gold[(doc, int(r["index"]), r["indicator"], float(r["value"]))] += 1
        units = units_of(text)
        rtype = report_type(units)
        for fig in extract_figures(units, check_outline(units, rtype), rtype):
            if fig.indicator:
                got[(doc, fig.index, fig.indicator, float(fig.value))] += 1
    tp = sum((gold & got).values())
    return {"reports": len(docs) - len(skipped), "gold": sum(gold.values()), "extracted": sum(got.values()),
            "precision": tp / max(1, sum(got.values())), "recall": tp / max(1, sum(gold.values())),
            "false": sorted(got - gold)[:40], "missed": sorted(gold - got)[:60]}


def _edit(text: str, rng: random.Random) -> str:
    """A small edit: other numbers, and one word of 1-3 characters replaced or dropped."""
    t = re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), text)
    spans = [m.span() for m in re.finditer(r"[\u4e00-\u9fff]{2,}", t)]
    if spans:
        a, b = rng.choice(spans)
        k = rng.randint(1, min(3, b - a))
        s = rng.randint(a, b - k)
        t = t[:s] + ("" if rng.random() < 0.5 else "有关工作"[:k]) + t[s + k:]
    return t


def shared_scores(per_pair: int = 3, pairs: int = 60, seed: int = 7) -> dict:
    rng = random.Random(seed)
    docs = sorted(p.name for p in WRITTEN.glob("*.txt"))
    texts = {d: (WRITTEN / d).read_text(encoding="utf-8") for d in docs}
    units = {d: units_of(texts[d]) for d in docs}
    planted: dict[str, list[tuple[str, str]]] = {}  # target doc -> [(planted text, source doc)]
    for _ in range(pairs):
        src, dst = rng.sample(docs, 2)
        pool = [u for u in units[src][4:] if not is_boilerplate(u) and len(u["text"]) >= 20 and "。" in u["text"]]
        for u in rng.sample(pool, min(per_pair, len(pool))):
            planted.setdefault(dst, []).append((_edit(u["text"], rng), src))
    corpus = {}
    for d in docs:
        extra = planted.get(d, [])
        corpus[d] = units_of(texts[d] + "\n" + "\n".join(t for t, _ in extra) if extra else texts[d])
    bodies = {d: d for d in docs}  # each written report is its own body
    out = find_shared(corpus, bodies)
    hit = total = 0
    planted_units: set[tuple[str, int]] = set()
    for d, extra in planted.items():
        by_text = {u["text"]: u["index"] for u in corpus[d]}
        for t, src in extra:
            total += 1
            i = by_text.get(t.strip())
            if i is None:
                continue
            planted_units.add((d, i))
            hit += any(r["index"] == i and r["doc"] == src for r in out[d])
    reported = {(d, r["index"]) for d, rows in out.items() for r in rows}
    # a source unit reported as shared with its copy is right too
    sources = {(r["doc"], r["other_index"]) for d, rows in out.items() for r in rows if (d, r["index"]) in planted_units}
    false = reported - planted_units - sources
    return {"planted": total, "found": hit / total, "reported_units": len(reported),
            "false_share": len(false) / max(1, len(reported)), "false_examples": sorted(false)[:20]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--timing", action="store_true", help="also run the 3,000-report shared-text timing")
    ap.add_argument("--verbose", action="store_true", help="list every error")
    args = ap.parse_args(argv)
    if not SEEDS.exists():
        print(f"note: no seeds at {SEEDS}; their gold rows are skipped", file=sys.stderr)
    o, m, f, s = outline_scores(), omission_scores(), figure_scores(), shared_scores()
    print(f"report type accuracy {o['type_accuracy']:.3f} over {o['reports']} reports (target >= 0.95)")
    print(f"part present/absent accuracy {o['part_accuracy']:.3f} over {o['parts']} parts (target >= 0.95); "
          f"per part {o['per_part']}")
    print(f"planted omissions found {m['found']:.3f} of {m['planted']} (target >= 0.95), "
          f"false missing {m['false_missing']:.3f} (target <= 0.05)")
    print(f"figures on {f['reports']} reports: precision {f['precision']:.3f} (target >= 0.90), recall {f['recall']:.3f} "
          f"(target >= 0.80); gold {f['gold']}, extracted {f['extracted']}")
    print(f"shared text: planted copies found {s['found']:.3f} of {s['planted']} (target >= 0.95), "
          f"reported units not planted {s['false_share']:.3f} of {s['reported_units']} (target <= 0.02)")
    if args.verbose:
        for name, block in (("outline", o["errors"]), ("omissions", m["errors"]), ("figures false", f["false"]),
                            ("figures missed", f["missed"]), ("shared not planted", s["false_examples"])):
            for e in block:
                print(f"  {name}: {e}")
    if args.timing:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import shared_text

        shared_text.main([])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
