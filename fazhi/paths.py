"""Where the project's files live, in one place.

Shipped with the package (found through the import system, so a non-editable install has them): the models
(fazhi.model: baseline, bert, encoder), the labels (fazhi.labels_data), the page and templates. Only in a checkout:
the written reports, build/, and the seed reports beside it.
"""

import importlib.util
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent


def _package_dir(name: str) -> Path | None:
    """Where an installed subpackage's files are (a checkout's folder in an editable install), without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0]).resolve()


# The project's labels (data/labels in a checkout) are installed with the package as fazhi.labels_data, so the
# defaults of `fazhi train`, `data check` and `suggest` work from a plain `pip install .` too.
LABELS_DIR = _package_dir("fazhi.labels_data") or REPO_DIR / "data" / "labels"
BUILD_DIR = REPO_DIR / "build"
# The project's own written reports (data/reports/written): labelled, shipped with every clone.
WRITTEN_REPORTS_DIR = REPO_DIR / "data" / "reports" / "written"
# The five real seed reports live beside the clone (../shared/seeds), not in it: a lone clone has none, CI has them.
# FAZHI_SEEDS_DIR points elsewhere (or at an empty folder, to try what a lone clone sees).
SEEDS_DIR = Path(os.environ.get("FAZHI_SEEDS_DIR") or REPO_DIR.parent / "shared" / "seeds")
SEED_REPORT_COUNT = 5
# The installed fazhi.model package (model/ in a checkout) holds the shipped
# model directories; found without importing it, so the CLI stays light.
_model_dir = _package_dir("fazhi.model")
if _model_dir is None:
    raise ImportError("fazhi is not installed: expected the package fazhi.model (run `make venv`)")
MODEL_DIR = _model_dir
DEFAULT_BASELINE_DIR = MODEL_DIR / "baseline"
DEFAULT_BERT_DIR = MODEL_DIR / "bert"
# The model fazhi uses when no --model is given: the variant that scores best on
# real published reports (docs/ablation.md). Today that is the baseline with its
# context features; the fine-tuned BERT (model/bert) is behind it there.
DEFAULT_MODEL_DIR = DEFAULT_BASELINE_DIR
# The pretrained encoder (`make pretrained`) that `fazhi train` fine-tunes by default.
DEFAULT_ENCODER_DIR = MODEL_DIR / "encoder"
