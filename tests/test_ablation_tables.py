"""The ablation's tables: rows trained on different label sets are kept apart, never merged into one."""

import json

from fazhi.training.ablation_tables import merge


def _result(variant: str, macro: float, labels: str | None = None) -> dict:
    part = {"n": 10, "macro_f1": macro, "problem": {"f1": 0.5, "precision": 0.5, "recall": 0.5, "support": 2}}
    real = {mode: {"all": dict(part), "problem_pages": dict(part)} for mode in ("by document", "by unit")}
    r = {"variant": variant, "note": "a test row", "minutes": 0.1, "real": real, "test": {"all": dict(part)}}
    if labels:
        r["labels"] = labels
    return r


def test_merge_keeps_one_variant_on_two_label_sets_as_two_rows(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(
        json.dumps([_result("baseline+context", 0.801, "8,104 rows"), _result("cascade(mlm)", 0.802, "8,104 rows")])
    )
    new.write_text(
        json.dumps([_result("baseline+context", 0.903, "8,904 rows"), _result("cascade(mlm)", 0.702, "8,104 rows")])
    )
    rows = merge([old, new], tmp_path / "ablation")
    got = [(r["variant"], r["labels"], r["real"]["by document"]["all"]["macro_f1"]) for r in rows]
    assert got == [
        ("baseline+context", "8,104 rows", 0.801),
        ("baseline+context", "8,904 rows", 0.903),
        ("cascade(mlm)", "8,104 rows", 0.702),
    ]  # the same variant on the same labels keeps its last run
    md = (tmp_path / "ablation.md").read_text(encoding="utf-8")
    assert "| baseline+context | 8,104 rows | 0.801" in md and "| baseline+context | 8,904 rows | 0.903" in md


def test_seed_means_do_not_mix_label_sets(tmp_path):
    runs = tmp_path / "runs.json"
    runs.write_text(
        json.dumps(
            [
                _result("cascade(mlm)", 0.90, "8,904 rows"),
                _result("cascade(mlm), seed 14", 0.80, "8,904 rows"),
                _result("cascade(mlm), seed 15", 0.10, "8,104 rows"),
            ]
        )
    )
    merge([runs], tmp_path / "ablation")
    md = (tmp_path / "ablation.md").read_text(encoding="utf-8")
    assert "| cascade(mlm) | 8,904 rows | 2 | 0.850 (0.800–0.900)" in md


def test_committed_tables_name_no_machines_folders(tmp_path):
    runs = tmp_path / "runs.json"
    row = _result("bert mlm", 0.8, "8,904 rows")
    row["encoder"] = {
        "name": "mlm",
        "init_from": "/home/someone/pretrain/encoder-v1",
        "corpus": ["people-daily", "lawref:/data/LawRefBook-Laws"],
    }
    runs.write_text(json.dumps([row]))
    merge([runs], tmp_path / "ablation")
    written = (tmp_path / "ablation.json").read_text(encoding="utf-8")
    assert "/home/someone" not in written and "/data/" not in written
    assert '"lawref:LawRefBook-Laws"' in written and '"encoder-v1"' in written


def test_the_default_rule_needs_both_margins_and_no_part_much_worse(tmp_path):
    base = _result("baseline+context", 0.90, "8,904 rows")
    better = _result("cascade(mlm)", 0.93, "8,904 rows")
    better["real"]["by document"]["all"]["problem"]["f1"] = 0.52
    part_worse = _result("hybrid(mlm)", 0.93, "8,904 rows")
    part_worse["real"]["by document"]["all"]["problem"]["f1"] = 0.52
    part_worse["real"]["by document"]["problem_pages"]["macro_f1"] = 0.80
    older = _result("bert mlm", 0.99, "8,104 rows")  # another label set: not judged against this base
    runs = tmp_path / "runs.json"
    runs.write_text(json.dumps([base, better, part_worse, older]))
    merge([runs], tmp_path / "ablation")
    md = (tmp_path / "ablation.md").read_text(encoding="utf-8")
    assert "| cascade(mlm) | 1 | +0.030 | +0.020 | +0.030 | yes |" in md
    assert "| hybrid(mlm) | 1 | +0.030 | +0.020 | -0.100 | no |" in md
    assert "| bert mlm | 1 |" not in md


def test_an_averaged_variant_builds_its_members_from_the_encoders_it_was_given(tmp_path, monkeypatch):
    # Its members were built with the default encoders folder whatever --encoders said (an average of a BERT trained
    # from another encoder silently used the shipped one's folder).
    from fazhi.training import ablation_build

    seen: list[tuple[str, object]] = []

    def train(name, _data, _out, _log, encoders):
        seen.append((name, encoders))

    class Member:  # what load_model would give: never asked to predict, since the threshold is patched
        pass

    monkeypatch.setattr(ablation_build, "_train", train)
    monkeypatch.setattr("fazhi.model.load_model", lambda *_a, **_k: Member())
    monkeypatch.setattr("fazhi.model.ensemble.EnsemblePredictor", lambda *_a, **_k: Member())
    monkeypatch.setattr(ablation_build, "_average_threshold", lambda *_a: 0.5)
    monkeypatch.setattr(ablation_build, "model_dir", lambda name: tmp_path / name)
    ablation_build.build("average(bert, baseline+context)", tmp_path, print, reuse=False, encoders=tmp_path / "enc")
    assert seen and all(encoders == tmp_path / "enc" for _, encoders in seen)
