"""Label a report unit by unit: show its units, then turn one label line per unit into label rows.

The annotator writes a report, reads its units as the segmenter cuts them, and
decides every unit's labels by hand in a plain text file, one line per unit:

    IDX CATEGORY [problem] [context]   # optional note, e.g. the first words of the unit

``problem`` marks a problem statement; ``context`` marks a unit whose area
comes only from its heading or report (TAXONOMY rule 11: ``context_only``).
The indices must run 0, 1, 2 … over every unit, so a label can never slide
onto the wrong unit.

    .venv/bin/python tools/annotate.py show REPORT.txt
    .venv/bin/python tools/annotate.py build REPORT.txt LABELS.txt --split train >> data/labels/FILE.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fazhi.labels import CATEGORIES, SPLITS
from fazhi.pipeline.segment import segment


def units_of(report: Path) -> list[str]:
    return [u.text for u in segment(report.read_text(encoding="utf-8-sig"))]


def parse_label_lines(lines: list[str], n_units: int, where: str) -> list[tuple[str, bool, bool]]:
    """(category, problem, context_only) per unit; raises ValueError naming the first bad line."""
    out: list[tuple[str, bool, bool]] = []
    for lineno, raw in enumerate(lines, start=1):
        body = raw.split("#", 1)[0].split()
        if not body:
            continue
        if len(body) < 2 or not body[0].isdigit():
            raise ValueError(f"{where}:{lineno}: expected 'IDX CATEGORY [problem] [context]', found {raw.strip()!r}")
        idx, category, flags = int(body[0]), body[1], set(body[2:])
        if idx != len(out):
            raise ValueError(f"{where}:{lineno}: expected unit index {len(out)}, found {idx}")
        if category not in CATEGORIES:
            raise ValueError(f"{where}:{lineno}: expected a category among {', '.join(CATEGORIES)}, found {category!r}")
        unknown = flags - {"problem", "context"}
        if unknown:
            raise ValueError(
                f"{where}:{lineno}: expected flags 'problem' or 'context', found {', '.join(sorted(unknown))}"
            )
        out.append((category, "problem" in flags, "context" in flags))
    if len(out) != n_units:
        raise ValueError(f"{where}: expected labels for {n_units} units, found {len(out)}")
    return out


def build_rows(report: Path, labels: list[tuple[str, bool, bool]], split: str) -> list[dict]:
    doc = report.name
    rows = []
    for i, (text, (category, problem, context_only)) in enumerate(zip(units_of(report), labels, strict=True)):
        row = {
            "id": f"{report.stem}-{i:04d}",
            "doc": doc,
            "source": "written",
            "split": split,
            "text": text,
            "category": category,
            "problem": problem,
        }
        if context_only:
            row["context_only"] = True
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("show", help="print each unit with its index and heading flag")
    show.add_argument("report", type=Path)
    build = sub.add_parser("build", help="write JSON Lines label rows from a label file")
    build.add_argument("report", type=Path)
    build.add_argument("labels", type=Path)
    build.add_argument("--split", required=True, choices=SPLITS)
    args = parser.parse_args(argv)
    if args.command == "show":
        for u in segment(args.report.read_text(encoding="utf-8-sig")):
            print(f"{u.index}\t{'H' if u.is_heading else ' '}\t{u.text}")
        return 0
    try:
        labels = parse_label_lines(
            args.labels.read_text(encoding="utf-8").splitlines(), len(units_of(args.report)), str(args.labels)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for row in build_rows(args.report, labels, args.split):
        print(json.dumps(row, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
