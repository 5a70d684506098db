"""Fixtures shared by the whole suite, defined once.

- `seeds_dir`, `seed_texts`: the five real seed reports (../shared/seeds, or FAZHI_SEEDS_DIR). A lone clone
  has none: every test that asks for them is skipped with one reason, and the run says so once at the end.
- `client`: the HTTP API in-process over the shipped model (one per test module).
- `shipped_model`: the model fazhi uses by default (fazhi.paths.DEFAULT_MODEL_DIR).
- `tiny_bert`: a 2-layer, 32-wide BERT with random weights and a character
  vocabulary of the test sentences, built here in a second (no download).
- `label_rows`: every row of data/labels.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from samples import TINY_CONTEXT, TINY_SENTENCES
from transformers import BertConfig

from fazhi.labels import Row, load_rows
from fazhi.paths import LABELS_DIR, SEED_REPORT_COUNT, SEEDS_DIR


def _seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt")) if SEEDS_DIR.is_dir() else []


NO_SEEDS_REASON = f"needs the {SEED_REPORT_COUNT} seed reports in {SEEDS_DIR} (beside the clone; CI has them)"
_seed_skips: list[str] = []


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    files = _seed_files()
    if not files:
        pytest.skip(NO_SEEDS_REASON)
    if len(files) != SEED_REPORT_COUNT:  # a folder that is there but wrong is a fault, not a lone clone
        pytest.fail(f"expected the {SEED_REPORT_COUNT} seed reports in {SEEDS_DIR}, found {len(files)}")
    return SEEDS_DIR


@pytest.fixture(scope="session")
def seed_texts(seeds_dir) -> dict[str, str]:
    return {f.name: f.read_text(encoding="utf-8") for f in sorted(seeds_dir.glob("*.txt"))}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and isinstance(report.longrepr, tuple) and report.longrepr[2].endswith(NO_SEEDS_REASON):
        _seed_skips.append(report.nodeid)


def pytest_terminal_summary(terminalreporter) -> None:
    if _seed_skips:  # said once, not once per test
        terminalreporter.write_line(f"{len(_seed_skips)} tests skipped: each {NO_SEEDS_REASON}, found none")


@pytest.fixture(scope="session")
def shipped_model():
    from fazhi.model import default_model_dir, load_model

    return load_model(default_model_dir())


@pytest.fixture(scope="module")
def client(shipped_model):
    """The HTTP API in-process (the app's lifespan runs), over the shipped model."""
    from fastapi.testclient import TestClient

    from fazhi.serve.app import create_app
    from fazhi.serve.settings import ServeSettings

    with TestClient(create_app(ServeSettings(), model=shipped_model), base_url="http://127.0.0.1") as c:
        yield c


@pytest.fixture(scope="session")
def label_rows() -> list[Row]:
    rows, issues = load_rows(LABELS_DIR)
    assert not issues, [str(i) for i in issues[:5]]
    return rows


@pytest.fixture
def tiny_bert(tmp_path):
    """(model, tokenizer): random weights, dropout off, 64 positions; the vocabulary covers the test text."""
    from fazhi.model.bert import CHECK_SENTENCE, FazhiBertModel, fazhi_config
    from fazhi.training.vocab import build_vocab, make_tokenizer

    torch.manual_seed(0)
    # CHECK_SENTENCE: loading refuses a tokenizer that reads it as [UNK], as real vocabularies never do.
    texts = [s for s, _, _ in TINY_SENTENCES] + [TINY_CONTEXT, CHECK_SENTENCE]
    tokenizer = make_tokenizer(build_vocab(texts), tmp_path / "tokenizer")
    config = fazhi_config(
        BertConfig(
            vocab_size=len(tokenizer),
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=2,
            intermediate_size=64,
            max_position_embeddings=64,
            hidden_dropout_prob=0.0,
            attention_probs_dropout_prob=0.0,
        ),
        fazhi_max_length=64,
    )
    return FazhiBertModel(config), tokenizer
