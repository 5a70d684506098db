"""Speed of the shared-text index (fazhi.review.shared) on a corpus of thousands of reports.

The corpus is built at run time, never stored: units of the written reports in data/reports/written are
cut into clauses and recombined at random into new sentences (so that most units are new text and some
share clauses, as real reports do), ~150 units a report; each report is given its own body name.

    python benchmarks/shared_text.py               # 3,000 reports of ~150 units
    python benchmarks/shared_text.py --reports 300 # a quick run

Target (issue 20): 3,000 reports in under 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
from pathlib import Path

from fazhi.pipeline.segment import segment
from fazhi.review.shared import SharedIndex

WRITTEN = Path(__file__).resolve().parent.parent / "data" / "reports" / "written"


def clauses_of_written() -> list[str]:
    out = []
    for p in sorted(WRITTEN.glob("*.txt")):
        for u in segment(p.read_text(encoding="utf-8")):
            if not u.is_heading:
                out += [c for c in re.split(r"[，；。]", u.text) if len(c) >= 4]
    return out


def synthetic_reports(n: int, units: int, seed: int = 0) -> list[tuple[str, list[dict]]]:
    """n reports of about `units` units each, every unit 1-3 random clauses of the written reports."""
    rng = random.Random(seed)
    clauses = clauses_of_written()
    reports = []
    for r in range(n):
        k = max(10, int(rng.gauss(units, units / 10)))
        rows = [{"index": 0, "text": f"第{r}号单位{r}年度工作报告", "is_heading": False}]
        for i in range(1, k):
            text = "，".join(rng.choice(clauses) for _ in range(rng.randint(1, 3))) + "。"
            rows.append({"index": i, "text": text, "is_heading": False})
        reports.append((f"synthetic_{r:05d}.txt", rows))
    return reports


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=3000, help="reports in the corpus (default 3000)")
    ap.add_argument("--units", type=int, default=150, help="mean units per report (default 150)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    reports = synthetic_reports(args.reports, args.units, args.seed)
    built = time.perf_counter() - t0
    n_units = sum(len(rows) for _, rows in reports)
    print(f"built {len(reports)} reports, {n_units} units in {built:.1f} s", file=sys.stderr)
    index = SharedIndex()
    t1 = time.perf_counter()
    for i, (doc, rows) in enumerate(reports, 1):
        index.add(doc, rows, body=doc)
        if i % 500 == 0:
            print(f"  indexed {i} reports, {time.perf_counter() - t1:.1f} s", file=sys.stderr)
    matches = index.matches()
    seconds = time.perf_counter() - t1
    shared = sum(len(v) for v in matches.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"shared text: {len(reports)} reports, {n_units} units: {seconds:.1f} s "
        f"({n_units / seconds:.0f} units/s), {shared} shared-unit entries, peak RSS {peak:.0f} MiB; "
        f"target under 600 s: {'met' if seconds < 600 else 'MISSED'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
