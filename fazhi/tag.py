"""`fazhi tag`: report files in, per-sentence results and per-report summaries out."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fazhi.aggregate import summarize, summary_markdown
from fazhi.classify import result_dicts
from fazhi.model import Predictor
from fazhi.reading import UnreadableFile, read_report
from fazhi.segment import segment


@dataclass
class TaggedReport:
    doc: str
    units: list[dict]
    summary: dict


@dataclass
class TagOutcome:
    reports: list[TaggedReport] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)


def tag_text(doc: str, text: str, model: Predictor, batch_size: int = 64) -> TaggedReport:
    """Segment one report, classify every unit, and summarise."""
    units = segment(text)
    rows: list[dict] = []
    for i in range(0, len(units), batch_size):
        batch = units[i : i + batch_size]
        texts = [u.text for u in batch]
        for u, res in zip(batch, result_dicts(texts, model.predict(texts))):
            rows.append({"doc": doc, "index": u.index, "start": u.start, "end": u.end, "heading": u.heading, **res})
    return TaggedReport(doc, rows, summarize(doc, rows))


def tag_files(paths: list[Path], model: Predictor, out: IO[str], summary: str = "json", summary_out: IO[str] | None = None) -> TagOutcome:
    """Tag each file, writing units as JSON Lines to out; an unreadable file is recorded and skipped."""
    outcome = TagOutcome()
    for path in paths:
        try:
            report = tag_text(path.name, read_report(path), model)
        except (UnreadableFile, OSError) as exc:
            outcome.failures.append((str(path), str(exc)))
            continue
        for row in report.units:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        if summary_out is not None:
            summary_out.write(summary_markdown(report.summary) if summary == "md" else json.dumps(report.summary, ensure_ascii=False) + "\n")
        outcome.reports.append(report)
    return outcome
