"""Where the project's files live, resolved from the package location."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
LABELS_DIR = REPO_DIR / "data" / "labels"
REPORTS_DIR = REPO_DIR / "data" / "reports"
MODEL_DIR = REPO_DIR / "model"
DEFAULT_BASELINE_DIR = MODEL_DIR / "baseline"
EXAMPLE_REPORT = REPORTS_DIR / "example.txt"
DEFAULT_BERT_DIR = MODEL_DIR / "bert"
