"""Reading reports printed the harder ways: text PDF with and without indents, and scans read by OCR.

For each report (the seeds where they are beside the clone, and the written reports named), prints the share
of the .txt units found again (character similarity >= 0.9, half/full-width forms alike), of its headings,
the units read against the units of the .txt, and for scans the character error rate and seconds per page.
Then, over all reports, each category's unit count as the default model tags each format against the .txt.

    .venv/bin/python benchmarks/reading.py [--written written_c02.txt ...] [--no-seeds] [--dpi 150] [--scan-pages N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the printers live with the tests


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--written", nargs="*", default=["written_a03.txt", "written_b03.txt", "written_c02.txt"],
                    help="written reports (data/reports/written/) to print (default: %(default)s)")
    ap.add_argument("--no-seeds", action="store_true", help="leave the seed reports out")
    ap.add_argument("--dpi", type=int, default=150, help="resolution of the scans (default: %(default)s)")
    ap.add_argument("--scan-pages", type=int, default=None, help="scan at most this many pages of each report")
    ap.add_argument("--model", default=None, help="model that tags the units for the category counts (default: the shipped model)")
    args = ap.parse_args(argv)
    from collections import Counter

    from fazhi.model import load_model
    from fazhi.pipeline.tag import tag_text

    model = load_model(args.model)

    def categories(name: str, text: str) -> Counter:
        return Counter(row["category"] for row in tag_text(name, text, model).units)

    from render_formats import char_error_rate, match_units, save_flat_pdf, save_scanned_pdf
    from sample_formats import save_report_as

    from fazhi.paths import SEEDS_DIR, WRITTEN_REPORTS_DIR
    from fazhi.reading import read_report

    files = [WRITTEN_REPORTS_DIR / w for w in args.written]
    if not args.no_seeds and SEEDS_DIR.is_dir():
        files += sorted(SEEDS_DIR.glob("*.txt"))
    print("| report | format | units .txt | units read | units found | headings found | CER | s/page |")
    print("|---|---|---|---|---|---|---|---|")
    totals: dict[str, list[float]] = {}
    counts: dict[str, Counter] = {"txt": Counter()}
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            text = f.read_text(encoding="utf-8")
            printed_txt = {}
            for fmt in ("pdf-indented", "pdf-no-indent", "scan"):
                path = Path(tmp) / f"{f.stem}-{fmt}.pdf"
                printed = text
                if fmt == "pdf-indented":
                    save_report_as(text, path, "pdf")
                elif fmt == "pdf-no-indent":
                    save_flat_pdf(text, path)
                else:
                    if args.scan_pages:
                        printed = _first_pages(text, args.dpi, args.scan_pages)
                    save_scanned_pdf(printed, path, dpi=args.dpi)
                pages = []
                t0 = time.perf_counter()
                got = read_report(path, progress=lambda d, _total, pages=pages: pages.append(d))
                secs = time.perf_counter() - t0
                m = match_units(printed, got)
                if printed not in printed_txt:  # the .txt of what was printed (a scan may hold its first pages)
                    printed_txt[printed] = categories(f.name, printed)
                    counts["txt"] += printed_txt[printed]
                counts.setdefault(fmt, Counter()).update(categories(f.name, got))
                counts.setdefault(f"txt-for-{fmt}", Counter()).update(printed_txt[printed])
                cer = char_error_rate(printed, got) if fmt == "scan" else None
                per_page = secs / max(1, len(pages))
                t = totals.setdefault(fmt, [0, 0, 0, 0, 0.0, 0.0, 0])
                t[0] += m.units
                t[1] += m.found
                t[2] += m.headings
                t[3] += m.headings_found
                if fmt == "scan":
                    t[4] += (cer or 0) * len("".join(printed.split()))
                    t[5] += secs
                    t[6] += len(pages)
                print(f"| {f.name} | {fmt} | {m.units} | {m.got} | {m.found} ({m.unit_share:.1%}) | "
                      f"{m.headings_found}/{m.headings} | {'' if cer is None else f'{cer:.2%}'} | "
                      f"{per_page:.2f} |", flush=True)
    for fmt, t in totals.items():
        line = f"{fmt}: units found {t[1]}/{t[0]} ({t[1] / max(1, t[0]):.1%}), headings {t[3]}/{t[2]} ({t[3] / max(1, t[2]):.1%})"
        if fmt == "scan":
            line += (f"; character error rate {t[4] / max(1, sum(len(''.join(_read(f).split())) for f in files)):.2%}" if not args.scan_pages else "")
            line += f"; {t[6]} pages at {args.dpi} dpi, {t[5] / max(1, t[6]):.2f} s/page on {os.cpu_count()} cores"
        print(line)
    print()
    print("| category | " + " | ".join(f"{fmt} (.txt)" for fmt in totals) + " |")
    print("|---|" + "---|" * len(totals))
    for cat in sorted(counts["txt"]):
        cells = []
        for fmt in totals:
            want, got_n = counts[f"txt-for-{fmt}"][cat], counts[fmt][cat]
            cells.append(f"{got_n} ({want}, {(got_n - want) / max(1, want):+.0%})")
        print(f"| {cat} | " + " | ".join(cells) + " |")
    return 0


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _first_pages(text: str, dpi: int, pages: int) -> str:
    """The paragraphs of text that fit on the first pages, so a scan of them holds whole paragraphs."""
    from render_formats import render_pages

    lines = [l for l in text.splitlines() if l.strip()]
    lo, hi = 1, len(lines)
    while lo < hi:  # the most paragraphs that still print on `pages` pages
        mid = (lo + hi + 1) // 2
        if len(render_pages("\n".join(lines[:mid]), dpi)) <= pages:
            lo = mid
        else:
            hi = mid - 1
    return "\n".join(lines[:lo]) + "\n"


if __name__ == "__main__":
    sys.exit(main())
