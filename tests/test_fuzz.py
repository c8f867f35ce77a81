"""The fuzz targets (`python -m fuzz`): every seed and every kept regression holds the contract, and a short
coverage-guided run of every target (fixed seed, a few hundred inputs each) finds nothing: CI's smoke run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytest.importorskip("atheris", reason="atheris is not installed (pip install '.[test]')")

from fuzz.__main__ import REGRESSIONS  # noqa: E402
from fuzz.seeds import seeds  # noqa: E402
from fuzz.targets import TARGETS  # noqa: E402


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_seeds_and_regressions_keep_the_contract(target: str) -> None:
    inputs = {**seeds(target), **{p.name: p.read_bytes() for p in sorted((REGRESSIONS / target).glob("*"))}}
    assert inputs
    for data in inputs.values():
        TARGETS[target](data)  # works, or raises a one-line VstError inside; anything else fails here


@pytest.mark.slow
def test_a_short_fuzzing_run_of_every_target_finds_nothing(tmp_path: Path) -> None:
    runs = 300
    done = subprocess.run(
        [sys.executable, "-m", "fuzz", "--runs", str(runs), "--seconds", "60", "--seed", "1", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    report = json.loads((tmp_path / "fuzz.json").read_text())
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert [r["target"] for r in report["targets"]] == list(TARGETS)
    for result in report["targets"]:
        assert result["executions"] == runs and not result["crashes"], result
        assert result["coverage"], result  # the target's own code was instrumented and reached
