"""Where the project's files live, in one place."""

import importlib.util
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
LABELS_DIR = REPO_DIR / "data" / "labels"
REPORTS_DIR = REPO_DIR / "data" / "reports"
BUILD_DIR = REPO_DIR / "build"
# The installed fazhi.model package (model/ in a checkout) holds the shipped
# model directories; found without importing it, so the CLI stays light.
MODEL_DIR = Path(importlib.util.find_spec("fazhi.model").submodule_search_locations[0]).resolve()
DEFAULT_BASELINE_DIR = MODEL_DIR / "baseline"
DEFAULT_BERT_DIR = MODEL_DIR / "bert"
