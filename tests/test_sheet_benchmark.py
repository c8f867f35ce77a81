"""benchmarks/sheet.py end to end: photos or a clip's frames, styles and variants into one contact sheet."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vst import examples

ROOT = Path(__file__).resolve().parents[1]
MEDIA = examples.FOLDER


def run(*args: str) -> None:
    result = subprocess.run([sys.executable, "benchmarks/sheet.py", *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]


@pytest.mark.slow
def test_a_sheet_has_a_row_per_photo_and_a_column_per_style_and_variant(tmp_path):
    out = tmp_path / "sheet.jpg"
    photos = [str(MEDIA / "wave.jpg")] * 2
    sizes = ["--size", "64", "--style-size", "64", "--cell", "48"]
    run("--variants", "lite", "lite-noise-resilient", "--photos", *photos, "--styles", str(MEDIA / "starry_night.jpg"),
        *sizes, "-o", str(out))  # fmt: skip
    sheet = np.asarray(Image.open(out))
    assert sheet.shape[:2] == (16 + 48 * 3, 48 * 3)
    photo, styled = sheet[16 + 48 : 16 + 48 + 30, :30], sheet[16 + 48 : 16 + 48 + 30, 48 : 48 + 30]
    assert np.abs(photo.astype(int) - styled.astype(int)).mean() > 5  # stylized, not the photo pasted again


@pytest.mark.slow
def test_a_clip_gives_its_frames_as_rows(tmp_path):
    out = tmp_path / "strip.jpg"
    run("--variants", "lite", "--clip", str(MEDIA / "bunny.mp4"), "--frames", "2", "--styles", str(MEDIA / "wave.jpg"),
        "--size", "64", "--style-size", "64", "--cell", "48", "-o", str(out))  # fmt: skip
    assert Image.open(out).size == (48 * 2, 16 + 48 * 3)
