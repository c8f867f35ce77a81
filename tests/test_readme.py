"""The README's Python example runs as it is written: real variant, real files, real codecs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from vst import examples

ROOT = Path(__file__).resolve().parents[1]
MEDIA = examples.FOLDER


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.slow
def test_the_python_api_example_runs_as_written(make_video, tmp_path, monkeypatch, capsys):
    block = next(b for b in python_blocks((ROOT / "README.md").read_text()) if "zoo.load(" in b)
    for name in ("starry_night.jpg", "wave.jpg"):
        shutil.copy(MEDIA / name, tmp_path / name)
    shutil.copy(MEDIA / "wave.jpg", tmp_path / "photo.jpg")
    make_video(tmp_path / "clip.mp4", frames=4, width=96, height=64)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["image"].dtype == np.uint8 and namespace["image"].shape[2] == 3
    assert (tmp_path / "out.mp4").stat().st_size > 0
    assert "4/4 frames" in capsys.readouterr().out


def test_the_docs_python_page_shows_the_same_example():
    """docs/usage/python.md documents the block the test above runs: the two copies stay the same."""
    readme = next(b for b in python_blocks((ROOT / "README.md").read_text()) if "zoo.load(" in b)
    page = next(b for b in python_blocks((ROOT / "docs" / "usage" / "python.md").read_text()) if "zoo.load(" in b)
    assert page == readme
