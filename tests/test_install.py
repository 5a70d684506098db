"""A plain (non-editable) install carries what the defaults need: shipped models, encoder, labels, page, template."""

import json
import subprocess
import sys

import pytest

from fazhi.paths import REPO_DIR

pytestmark = pytest.mark.slow


def test_a_plain_install_finds_its_models_labels_page_and_template_inside_the_package(tmp_path):
    target = tmp_path / "site"
    # No network and no isolated build: the venv's setuptools builds the wheel from this checkout.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-compile",
            "--target",
            str(target),
            str(REPO_DIR),
        ],
        check=True,
        cwd=tmp_path,
        capture_output=True,
        timeout=600,
    )
    probe = """
import json, fazhi, fazhi.paths as p
from fazhi.model import load_model
from fazhi.labels import load_splits
splits = load_splits(p.LABELS_DIR)
print(json.dumps({"package": fazhi.__file__, "labels": str(p.LABELS_DIR), "rows": sum(len(v) for v in splits.values()),
                  "model": load_model().name, "encoder": (p.DEFAULT_ENCODER_DIR / "config.json").is_file(),
                  "page": (p.MODEL_DIR.parent / "serve" / "static" / "index.html").is_file(),
                  "template": (p.PACKAGE_DIR / "review" / "templates" / "corpus_view.html").is_file()}))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    found = json.loads(out.stdout)
    assert found["package"].startswith(str(target)) and found["labels"].startswith(str(target))
    assert found["rows"] > 5000 and found["model"] and found["encoder"] and found["page"] and found["template"]
