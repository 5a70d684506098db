"""`fazhi data check`: validate label files and print their counts."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fazhi import paths
from fazhi.label_check import check_path, format_counts
from fazhi.labels import shown_issues


def add_parser(sub) -> None:
    data = sub.add_parser("data", help="work with the labelled data")
    data_sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    data_sub.required = True
    check = data_sub.add_parser(
        "check",
        help="validate label files and print counts",
        description="Validate every *.jsonl label file: schema, label values, unique ids, one split per "
        "document, exact and near duplicates (character-trigram Jaccard >= 0.8), and the corpus minimums. "
        "Prints counts per category x problem x split and per source. Exits 1 on any error.",
    )
    check.add_argument(
        "path", nargs="?", default=str(paths.LABELS_DIR), help="label folder or file (default: %(default)s)"
    )
    check.add_argument(
        "--no-minimums",
        action="store_true",
        help="skip the corpus-size minimums (for checking a user's own small label set)",
    )
    check.add_argument("--warnings", action="store_true", help="also list warnings (repeats among real seed text)")
    check.set_defaults(func=run_check)


def run_check(args: argparse.Namespace) -> int:
    report = check_path(Path(args.path), minimums=not args.no_minimums)
    listed = [i for i in report.issues if i.severity == "error" or args.warnings]
    for line in shown_issues(listed):  # repeats folded, 50 lines then "... and N more", as train and evaluate print
        print(line, file=sys.stderr)
    warnings = len(report.issues) - len(report.errors)
    print(format_counts(report.rows))
    print()
    for name, ok, detail in report.minimums:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    print()
    verdict = "passed" if report.ok else "FAILED"
    print(
        f"data check {verdict}: {len(report.rows)} rows, {len(report.errors)} errors, {warnings} warnings"
        + ("" if args.warnings or not warnings else " (--warnings to list them)")
    )
    return 0 if report.ok else 1
