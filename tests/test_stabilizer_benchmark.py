"""benchmarks/stabilizer.py's long-clip part, end to end on a tiny real video with a scene cut."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vst import examples

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_long_clip_report(make_video, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=12, width=64, height=48, fps=12)
    out = tmp_path / "report"
    command = [sys.executable, "benchmarks/stabilizer.py", "--clip", str(clip), "--size", "48"]
    command += ["--style", str(examples.FOLDER / "wave.jpg")]
    command += ["--strengths", "0.5", "1", "--skip-cases", "--out", str(out)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    report = (out / "long_clip.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| noise-resilient")]
    assert [row.split("|")[1].strip() for row in rows] == [
        "noise-resilient",
        "noise-resilient + stabilize 0.5",
        "noise-resilient + stabilize 1",
    ]
    assert "| 1.000x | 1.000x |" in rows[0]  # the reference against itself
