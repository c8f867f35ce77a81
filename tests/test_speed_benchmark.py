"""benchmarks/speed.py end to end on tiny frames: the engine table and the network table of every variant, with
parameters and GFLOP (timings themselves are not asserted: speed lives in the benchmark's report)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_network_table_reports_parameters_flops_and_a_ratio_per_variant() -> None:
    command = [sys.executable, "benchmarks/speed.py", "--frames", "1", "--warmup", "1", "--sizes", "64x48"]
    command += ["--networks", "noise-resilient", "lite", "--style-size", "64"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {line.split("|")[1].strip(): line for line in result.stdout.splitlines() if line.startswith("| ")}
    full, lite = (rows[name].split("|") for name in ("noise-resilient", "lite"))
    assert full[2].strip() == "7.01 M" and lite[2].strip() == "0.44 M"
    assert float(full[3]) / float(lite[3]) > 19  # GFLOP per 64x48 frame
    assert full[4].strip().endswith("(1.0x)")  # the first variant is the reference
