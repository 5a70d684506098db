"""`fazhi tag` over the five seed reports saved in each published format: sentences per second.

Saves the seeds as .txt (UTF-8, UTF-8 with BOM, GB18030), .html (UTF-8 and
GBK pages with menus and footers), .docx and .pdf in a temporary folder, then
for each format runs the same code as `fazhi tag` (fazhi.output.run.run_tag, output
to a JSON Lines file and JSON summaries) with one loaded model, and prints
sentences per second end to end and the time spent reading alone. The median
of --repeat runs is reported.

    .venv/bin/python benchmarks/tag_formats.py [--model DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
# The writers of the sample formats live with the tests (they need dev-only packages).
sys.path.insert(0, str(REPO / "tests"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs per format; the median is reported (default: %(default)s)"
    )
    args = ap.parse_args(argv)

    from sample_formats import FORMATS, save_report_as

    from fazhi.model import load_model
    from fazhi.output.run import run_tag
    from fazhi.reading import read_report

    seeds = sorted(SEEDS.glob("*.txt"))
    if len(seeds) != 5:
        raise SystemExit(f"expected the five seed reports in {SEEDS}, found {len(seeds)}")
    model = load_model(args.model)
    print(
        f"model: {model.name}; {len(seeds)} seed reports, {sum(f.stat().st_size for f in seeds) / 1024:.0f} KiB of "
        f"text; cores: {os.cpu_count()}; median of {args.repeat} runs"
    )
    print(f"{'format':<14} {'files':>5} {'sentences':>9} {'seconds':>8} {'sent/s':>8} {'read s':>7} {'read share':>10}")
    with tempfile.TemporaryDirectory(prefix="fazhi-bench-") as tmp:
        root = Path(tmp)
        for fmt, suffix in FORMATS.items():
            folder = root / fmt
            folder.mkdir()
            for f in seeds:
                save_report_as(f.read_text(encoding="utf-8"), folder / (f.stem + suffix), fmt)
            files = sorted(str(p) for p in folder.iterdir())
            totals, reads, sentences = [], [], 0
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                for p in files:
                    read_report(Path(p))
                reads.append(time.perf_counter() - t0)
                out = root / f"{fmt}.jsonl"
                t0 = time.perf_counter()
                result = run_tag(
                    files,
                    model,
                    units_output=str(out),
                    summary_output=str(root / f"{fmt}.summary.jsonl"),
                    log=open(os.devnull, "w"),
                )
                totals.append(time.perf_counter() - t0)
                sentences = result.sentences
                if result.failures:
                    raise SystemExit(f"{fmt}: {len(result.failures)} files failed: {result.failures[0]}")
            total, read = statistics.median(totals), statistics.median(reads)
            print(
                f"{fmt:<14} {len(files):>5} {sentences:>9} {total:>8.3f} {sentences / total:>8.0f} {read:>7.3f} "
                f"{read / total:>9.0%}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
