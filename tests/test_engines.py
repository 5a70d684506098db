"""`fazhi tag --engine ray`: the same output, byte for byte, as the local engine (Ray on this machine)."""

from __future__ import annotations

import shutil
import sys

import pytest

from fazhi.cli import main
from fazhi.paths import REPO_DIR

WRITTEN = REPO_DIR / "data" / "reports" / "written"
REPORTS = ("written_a03.txt", "written_c02.txt", "written_g06.txt", "written_j10.txt", "written_k02.txt")


def test_ray_engine_without_ray_says_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError, as where it is not installed
    shutil.copyfile(WRITTEN / REPORTS[0], tmp_path / REPORTS[0])
    assert main(["tag", str(tmp_path), "--engine", "ray", "--model", str(REPO_DIR / "model" / "baseline")]) == 2
    assert "pip install 'fazhi[scale]'" in capsys.readouterr().err


# Ray is the optional extra `.[scale]` (about 250 MB), not in `.[dev]`: without it this test is skipped.
@pytest.mark.slow
def test_ray_engine_writes_what_the_local_engine_writes_byte_for_byte(tmp_path, capsys):
    pytest.importorskip("ray.data", reason="Ray is the optional extra: pip install '.[scale]'")
    reports = tmp_path / "reports"
    reports.mkdir()
    for name in REPORTS:
        shutil.copyfile(WRITTEN / name, reports / name)
    (reports / "empty.txt").write_bytes(b"")  # a report that cannot be read: the same failure on both engines
    model_dir = str(REPO_DIR / "model" / "bert")  # the shipped kind: float scores from a network, not a formula
    outputs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        out.mkdir()
        code = main(
            [
                "tag",
                str(reports),
                "--model",
                model_dir,
                "--engine",
                engine,
                "--workers",
                "2",
                "-o",
                str(out / "units.jsonl"),
                "--summary",
                "md",
                "--summary-output",
                str(out / "summary.md"),
            ]
        )
        assert code == 1  # the empty report failed
        err = capsys.readouterr().err
        assert "skipped " + str(reports / "empty.txt") in err
        outputs[engine] = {p.name: p.read_bytes() for p in sorted(out.iterdir())}
    assert sorted(outputs["ray"]) == ["summary.md", "units.jsonl"]
    for name, data in outputs["local"].items():
        assert outputs["ray"][name] == data, name
    assert outputs["local"]["units.jsonl"].count(b"\n") > 200
