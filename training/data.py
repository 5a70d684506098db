"""Reading training data, stopping before training on any bad row."""

from __future__ import annotations

from pathlib import Path

from fazhi.labels import SPLITS, Row, load_rows


class TrainingDataError(ValueError):
    """Raised with every bad row's file, line and reason."""


def load_training_rows(data: Path) -> dict[str, list[Row]]:
    """Rows of a label folder or file grouped by split; raises TrainingDataError on any bad row."""
    if not data.exists():
        raise FileNotFoundError(f"expected a label file or folder, found nothing at {data}")
    rows, issues = load_rows(data)
    errors = [i for i in issues if i.severity == "error"]
    if errors:
        shown = "\n".join(str(e) for e in errors[:50])
        more = f"\n... and {len(errors) - 50} more" if len(errors) > 50 else ""
        raise TrainingDataError(f"{len(errors)} bad row(s) in {data}; nothing was trained:\n{shown}{more}")
    splits = {s: [r for r in rows if r.split == s] for s in SPLITS}
    for needed in ("train", "dev"):
        if not splits[needed]:
            raise TrainingDataError(f"expected rows with split {needed!r} in {data}, found none (dev chooses the model and the problem threshold)")
    return splits
