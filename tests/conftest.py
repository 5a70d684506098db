from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO.parent / "shared" / "seeds"
LABELS_DIR = REPO / "data" / "labels"
WRITTEN_DIR = REPO / "data" / "reports" / "written"


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    files = sorted(SEEDS_DIR.glob("*.txt"))
    if len(files) != 5:
        pytest.fail(f"expected the five seed reports in {SEEDS_DIR}, found {len(files)}")
    return {f.name: f.read_text(encoding="utf-8") for f in files}
