"""The text of `fazhi tag`'s outputs, one report at a time.

- per-sentence units as JSON Lines (one object per unit) or CSV (one column per field; ``scores`` becomes one
  ``scores.<label>`` column per label);
- per-report summaries as JSON Lines (one object per report) or Markdown;
- when some inputs were not tagged, the summary output ends with them and their reasons (JSON: one
  ``{"skipped": name, "reason": why}`` line each; Markdown: a closing ``# Skipped files`` section). A resumed run
  lists the inputs skipped this time, at the end again.

fazhi.output.readback reads these formats back for --resume.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence

from fazhi.output.review_markdown import review_markdown
from fazhi.pipeline.aggregate import md_text, summary_markdown
from fazhi.schema import BOOL_FIELDS, UNIT_FIELDS

__all__ = [
    "UNIT_FORMATS",
    "SUMMARY_FORMATS",
    "SKIPPED_HEADING",
    "csv_header",
    "format_units",
    "format_summary",
    "format_skipped",
]

UNIT_FORMATS = ("jsonl", "csv")
SUMMARY_FORMATS = ("json", "md", "short")
SKIPPED_HEADING = "# Skipped files"


def csv_header(labels: Iterable[str]) -> list[str]:
    cols: list[str] = []
    for f in UNIT_FIELDS:
        cols.extend(f"scores.{label}" for label in labels) if f == "scores" else cols.append(f)
    return cols


def _csv_line(values: list) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def _csv_values(row: Mapping, labels: list[str]) -> list:
    values: list = []
    for f in UNIT_FIELDS:
        if f == "scores":
            values.extend(row["scores"][label] for label in labels)
        elif f in BOOL_FIELDS:
            values.append("true" if row[f] else "false")
        else:
            values.append(row[f])
    return values


def format_units(rows: Sequence[Mapping], fmt: str, labels: Iterable[str]) -> str:
    """The text for a report's unit rows in fmt ('jsonl' or 'csv', no header)."""
    if fmt == "jsonl":
        return "".join(json.dumps({k: row[k] for k in UNIT_FIELDS}, ensure_ascii=False) + "\n" for row in rows)
    if fmt == "csv":
        labels = list(labels)
        return "".join(_csv_line(_csv_values(row, labels)) for row in rows)
    raise ValueError(f"expected a unit format among {', '.join(UNIT_FORMATS)}, found {fmt!r}")


def format_summary(summary: dict, fmt: str) -> str:
    """The text for one report summary in fmt ('json': one line; 'md': a Markdown section; 'short': a few Markdown
    lines)."""
    if fmt == "json":
        return json.dumps(summary, ensure_ascii=False) + "\n"
    if fmt in ("md", "short"):
        review = [] if fmt == "short" else review_markdown(summary)  # issue 20's outline, figures, shared text
        return summary_markdown(summary, short=fmt == "short") + ("\n".join(review) + "\n" if review else "") + "\n"
    raise ValueError(f"expected a summary format among {', '.join(SUMMARY_FORMATS)}, found {fmt!r}")


def format_skipped(skipped: Sequence[tuple[str, str]], fmt: str) -> str:
    """The closing part of the summary output: each input that was not tagged, as (name, reason), in fmt."""

    def reason(doc: str, why: str) -> str:
        return why[len(doc) + 2 :] if why.startswith(doc + ": ") else why

    if fmt == "json":
        return "".join(
            json.dumps({"skipped": doc, "reason": reason(doc, why)}, ensure_ascii=False) + "\n" for doc, why in skipped
        )
    if fmt in ("md", "short"):
        lines = [
            SKIPPED_HEADING,
            "",
            f"{len(skipped)} input{'s were' if len(skipped) != 1 else ' was'} not tagged:",
            "",
        ]
        lines += [f"- `{md_text(doc)}`: {reason(doc, why)}" for doc, why in skipped]
        return "\n".join(lines) + "\n\n"
    raise ValueError(f"expected a summary format among {', '.join(SUMMARY_FORMATS)}, found {fmt!r}")
