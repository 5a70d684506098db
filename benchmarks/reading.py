"""Reading reports printed the harder ways: text PDF with and without indents, and scans read by OCR (issue 18).

For each report (the seeds where they are beside the clone, and the written reports named), prints the share
of the .txt units found again (character similarity >= 0.9, half/full-width forms alike), of its headings, the
units read against the units of the .txt, and for scans the character error rate and seconds per page. Then,
over all reports, each category's unit count as the model tags each format against the .txt, and on the seeds
(labelled in data/labels/seed_*.jsonl) the macro-F1 of the categories by gold unit, each gold unit scored by
the read unit aligned to it (a unit not found again counts as wrong).

    .venv/bin/python benchmarks/reading.py [--written all | written_c02.txt ...] [--no-seeds]
        [--formats pdf-indented pdf-no-indent scan] [--dpi 150] [--scan-pages N] [--model DIR]
    .venv/bin/python benchmarks/reading.py --tables
    .venv/bin/python benchmarks/reading.py --doc [--written all]

--tables: the written disclosure reports (title or opening naming 政府信息公开…年度报告) with the rows of their
statistics, printed there as text ("行政许可 本年处理决定 2738件"), made into real tables (tests/render_formats.py
tables_in), saved as .docx, .html, text-layer .pdf and (with LibreOffice) .doc: the share of table rows read back
as one unit marked "table": true with every figure after its column header.
--doc: the seeds and written reports saved as .docx, then as .doc by LibreOffice (one soffice call): the .doc's
units against the .docx's (text and heading alike).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the printers live with the tests
FORMATS = ("pdf-indented", "pdf-no-indent", "scan", "scan-degraded")
CATEGORIES = ("decision", "enforcement", "dispute", "disclosure", "supervision", "other")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--written",
        nargs="*",
        default=["written_a03.txt", "written_b03.txt", "written_c02.txt"],
        help="written reports (data/reports/written/) to print, or 'all' (default: %(default)s)",
    )
    ap.add_argument("--no-seeds", action="store_true", help="leave the seed reports out")
    ap.add_argument(
        "--formats",
        nargs="*",
        default=list(FORMATS[:3]),
        choices=FORMATS,
        help="printed forms; scan-degraded: turned 0.6°, blurred, speckled, JPEG 50 (default: %(default)s)",
    )
    ap.add_argument("--dpi", type=int, default=150, help="resolution of the scans (default: %(default)s)")
    ap.add_argument("--scan-pages", type=int, default=None, help="scan at most this many pages of each report")
    ap.add_argument("--model", default=None, help="model that tags the units (default: the shipped model)")
    ap.add_argument("--tables", action="store_true", help="measure table rows instead (see above)")
    ap.add_argument("--doc", action="store_true", help="measure .doc against .docx instead (see above)")
    args = ap.parse_args(argv)
    if args.tables:
        return _tables()
    if args.doc:
        return _doc(args.written, args.no_seeds)

    from render_formats import align_texts, char_error_rate, match_units, save_flat_pdf, save_scanned_pdf
    from sample_formats import save_report_as
    from sklearn.metrics import f1_score

    from fazhi.model import load_model
    from fazhi.paths import LABELS_DIR, SEEDS_DIR, WRITTEN_REPORTS_DIR
    from fazhi.pipeline.tag import tag_text
    from fazhi.reading import read_report

    model = load_model(args.model)
    written = (
        sorted(WRITTEN_REPORTS_DIR.glob("*.txt"))
        if args.written == ["all"]
        else [WRITTEN_REPORTS_DIR / w for w in args.written]
    )
    seeds = sorted(SEEDS_DIR.glob("*.txt")) if not args.no_seeds and SEEDS_DIR.is_dir() else []
    print("| report | format | units .txt | units read | units found | headings found | CER | s/page |")
    print("|---|---|---|---|---|---|---|---|")
    totals: dict[str, Counter[str]] = {fmt: Counter() for fmt in args.formats}
    # (as read, the .txt of what was printed)
    counts: dict[str, tuple[Counter[str], Counter[str]]] = {fmt: (Counter(), Counter()) for fmt in args.formats}
    gold: list[str] = []
    pred: dict[str, list[str]] = {fmt: [] for fmt in ["txt", *args.formats]}
    with tempfile.TemporaryDirectory() as tmp:
        for f in written + seeds:
            text = f.read_text(encoding="utf-8")
            labels = _seed_labels(LABELS_DIR, f.name) if f in seeds else None
            if labels:
                gold += [r["category"] for r in labels]
                pred["txt"] += _predicted(labels, tag_text(f.name, text, model).units, align_texts)
            for fmt in args.formats:
                path = Path(tmp) / f"{f.stem}-{fmt}.pdf"
                printed = text
                if fmt == "pdf-indented":
                    save_report_as(text, path, "pdf")
                elif fmt == "pdf-no-indent":
                    save_flat_pdf(text, path)
                else:
                    if args.scan_pages:
                        printed = _first_pages(text, args.dpi, args.scan_pages)
                    save_scanned_pdf(printed, path, dpi=args.dpi, degraded=fmt == "scan-degraded")
                pages: list[int] = []

                def on_page(done: int, _total: int, pages: list[int] = pages) -> None:
                    pages.append(done)

                t0 = time.perf_counter()
                got = read_report(path, progress=on_page)
                secs = time.perf_counter() - t0
                m = match_units(printed, got)
                rows = tag_text(f.name, got, model).units
                counts[fmt][0].update(r["category"] for r in rows)
                counts[fmt][1].update(r["category"] for r in tag_text(f.name, printed, model).units)
                if labels:
                    if printed == text:
                        pred[fmt] += _predicted(labels, rows, align_texts)
                    else:
                        pred.pop(fmt, None)  # a part of the report was printed: no score for it
                cer = char_error_rate(printed, got) if fmt.startswith("scan") else None
                t = totals[fmt]
                t.update(
                    units=m.units, found=m.found, headings=m.headings, headings_found=m.headings_found, pages=len(pages)
                )
                if cer is not None:
                    chars = len("".join(printed.split()))
                    t.update(errors=round(cer * chars), chars=chars)
                    t["secs"] += secs  # type: ignore[assignment]
                print(
                    f"| {f.name} | {fmt} | {m.units} | {m.got} | {m.found} ({m.unit_share:.1%}) | "
                    f"{m.headings_found}/{m.headings} | {'' if cer is None else f'{cer:.2%}'} | "
                    f"{secs / max(1, len(pages)):.2f} |",
                    flush=True,
                )
    print()
    for fmt, t in totals.items():
        line = (
            f"{fmt}: units found {t['found']}/{t['units']} ({t['found'] / max(1, t['units']):.1%}), "
            f"headings {t['headings_found']}/{t['headings']} ({t['headings_found'] / max(1, t['headings']):.1%})"
        )
        if t["chars"]:
            line += (
                f"; character error rate {t['errors'] / t['chars']:.2%}; {t['pages']} pages at {args.dpi} dpi, "
                f"{t['secs'] / max(1, t['pages']):.2f} s/page on {os.cpu_count()} cores"
            )
        print(line)
    print()
    print("| category | " + " | ".join(f"{fmt} (.txt)" for fmt in args.formats) + " |")
    print("|---|" + "---|" * len(args.formats))
    for cat in CATEGORIES:
        cells = [
            f"{counts[fmt][0][cat]} ({counts[fmt][1][cat]}, "
            f"{(counts[fmt][0][cat] - counts[fmt][1][cat]) / max(1, counts[fmt][1][cat]):+.0%})"
            for fmt in args.formats
        ]
        print(f"| {cat} | " + " | ".join(cells) + " |")
    if gold:
        print()
        for fmt, p in pred.items():
            score = f1_score(gold, p, labels=list(CATEGORIES), average="macro", zero_division=0)
            print(f"seeds, macro-F1 by gold unit ({len(gold)} units), {fmt}: {score:.3f}")
    return 0


def _tables() -> int:
    import shutil
    import subprocess

    from render_formats import Table, save_with_tables, tables_in

    from fazhi.paths import WRITTEN_REPORTS_DIR
    from fazhi.pipeline.segment import segment
    from fazhi.reading import read_report

    soffice = shutil.which("soffice")
    fmts = ["docx", "html", "pdf"] + (["doc"] if soffice else [])
    print("| report | tables | rows | " + " | ".join(f"{f} rows read as one unit" for f in fmts) + " |")
    print("|---|---|---|" + "---|" * len(fmts))
    total: Counter = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for f in sorted(WRITTEN_REPORTS_DIR.glob("*.txt")):
            text = f.read_text(encoding="utf-8")
            if "政府信息公开" not in text[:300] or "年度报告" not in text[:300]:
                continue
            blocks = tables_in(text)
            tables = [b for b in blocks if isinstance(b, Table)]
            want = [line for t in tables for line in t.expected_lines()]
            if not want:
                print(f"| {f.name} | 0 | 0 |" + " |" * len(fmts))
                continue
            cells = []
            for fmt in fmts:
                path = Path(tmp) / f"{f.stem}.{fmt}"
                if fmt == "doc":
                    save_with_tables(blocks, path.with_suffix(".docx"), "docx")
                    subprocess.run(
                        [
                            str(soffice),
                            "--headless",
                            "--convert-to",
                            "doc",
                            "--outdir",
                            tmp,
                            str(path.with_suffix(".docx")),
                        ],
                        capture_output=True,
                        timeout=300,
                        check=True,
                    )
                else:
                    save_with_tables(blocks, path, fmt)
                rows = {u.text for u in segment(read_report(path)) if u.table}
                found = sum(w in rows for w in want)
                total[fmt] += found
                cells.append(f"{found}/{len(want)}")
            total["rows"] += len(want)
            print(f"| {f.name} | {len(tables)} | {len(want)} | " + " | ".join(cells) + " |", flush=True)
    print()
    for fmt in fmts:
        print(
            f"{fmt}: {total[fmt]}/{total['rows']} table rows read as one unit with their headers "
            f"({total[fmt] / max(1, total['rows']):.1%})"
        )
    return 0


def _doc(written_names: list[str], no_seeds: bool) -> int:
    import shutil
    import subprocess

    from sample_formats import save_report_as

    from fazhi.paths import SEEDS_DIR, WRITTEN_REPORTS_DIR
    from fazhi.pipeline.segment import segment
    from fazhi.reading import read_report

    soffice = shutil.which("soffice")
    if soffice is None:
        print("--doc needs LibreOffice (soffice) to make the .doc files")
        return 1
    written = (
        sorted(WRITTEN_REPORTS_DIR.glob("*.txt"))
        if written_names == ["all"]
        else [WRITTEN_REPORTS_DIR / w for w in written_names]
    )
    seeds = sorted(SEEDS_DIR.glob("*.txt")) if not no_seeds and SEEDS_DIR.is_dir() else []
    same = units = found = 0
    with tempfile.TemporaryDirectory() as tmp:
        docx = [
            save_report_as(f.read_text(encoding="utf-8"), Path(tmp) / f"{f.stem}.docx", "docx") for f in written + seeds
        ]
        subprocess.run(
            [soffice, "--headless", "--convert-to", "doc", "--outdir", tmp, *map(str, docx)],
            capture_output=True,
            timeout=1800,
            check=True,
        )
        for d in docx:
            want = [(u.text, u.is_heading) for u in segment(read_report(d))]
            got = [(u.text, u.is_heading) for u in segment(read_report(d.with_suffix(".doc")))]
            units += len(want)
            found += sum((Counter(want) & Counter(got)).values())
            same += want == got
            if want != got:
                print(
                    f"{d.stem}: .docx {len(want)} units, .doc {len(got)}, "
                    f"{sum((Counter(want) & Counter(got)).values())} alike"
                )
    print(
        f".doc against .docx: {same}/{len(docx)} reports with the same units; {found}/{units} units alike "
        f"({found / max(1, units):.1%})"
    )
    return 0


def _seed_labels(labels_dir: Path, doc: str) -> list[dict]:
    path = labels_dir / f"seed_{doc[:3]}.jsonl"
    if not path.is_file():
        return []
    rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    return [r for r in rows if r.get("doc") == doc]


def _predicted(labels: list[dict], rows, align) -> list[str]:
    """The category of the read unit aligned to each gold unit; 'missing' where none is."""
    pairs = align([r["text"] for r in labels], [r["text"] for r in rows])
    return [rows[j]["category"] if j is not None else "missing" for j in pairs]


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
