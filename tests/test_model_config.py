"""model/config.py is the one reader and writer of a model directory's config.json."""

import os
import stat

import numpy as np
import pytest

from fazhi.errors import ModelLoadError
from fazhi.model import load_model
from fazhi.model.config import KIND, read_config, write_config
from fazhi.model.ensemble import EnsemblePredictor
from fazhi.paths import DEFAULT_BASELINE_DIR

TEXTS = ["严格落实重大行政决策程序。", "部分执法人员业务能力不强。", "本报告由六个部分组成。"]


def test_an_ensemble_directory_saves_and_loads_back_with_identical_scores(tmp_path):
    baseline = load_model(DEFAULT_BASELINE_DIR)
    ensemble = EnsemblePredictor([baseline, baseline], [1.0, 3.0], baseline.threshold, "two baselines")
    directory = ensemble.save(tmp_path / "ensemble", [DEFAULT_BASELINE_DIR, DEFAULT_BASELINE_DIR])
    assert read_config(directory)[KIND] == "ensemble"
    back = load_model(directory)
    before, after = ensemble.predict(TEXTS), back.predict(TEXTS)
    assert np.array_equal(before.category_probs, after.category_probs)
    assert np.array_equal(before.problem_probs, after.problem_probs)
    assert back.name == "two baselines"


def test_a_config_naming_no_known_kind_is_refused_in_one_line_naming_the_kinds(tmp_path):
    (tmp_path / "config.json").write_text('{"fazhi_model": "forest"}', encoding="utf-8")
    with pytest.raises(
        ModelLoadError, match=r"one of 'baseline', 'bert', 'cascade', 'hybrid', 'ensemble', found 'forest'"
    ):
        load_model(tmp_path)
    (tmp_path / "config.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ModelLoadError, match="expected a JSON object, found list"):
        read_config(tmp_path)


def test_write_config_is_atomic_follows_the_umask_and_never_replaces_a_link(tmp_path):
    old = os.umask(0o022)
    try:
        path = write_config(tmp_path, {KIND: "baseline", "x": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644  # readable by the serving user and Ray workers
    assert read_config(tmp_path) == {KIND: "baseline", "x": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temporary file left behind
    with pytest.raises(ModelLoadError):
        write_config(tmp_path, {KIND: "nonsense"})
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("{}", encoding="utf-8")
    link_dir = tmp_path / "linked"
    link_dir.mkdir()
    (link_dir / "config.json").symlink_to(elsewhere)
    with pytest.raises(ValueError, match="link or special file"):
        write_config(link_dir, {KIND: "baseline"})
    assert elsewhere.read_text(encoding="utf-8") == "{}"
