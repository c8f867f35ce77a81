"""benchmarks/temporal.py end to end on a tiny Sintel-layout folder and a tiny real video, with random weights."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vst_core.flow import write_flo

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def temporal():
    spec = importlib.util.spec_from_file_location("temporal_benchmark", ROOT / "benchmarks" / "temporal.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.fixture
def data(tmp_path, make_video, style_image) -> Path:
    """A data folder as ../shared/data: one Sintel scene of 3 panning frames with ground truth for 1 -> 2."""
    scene = tmp_path / "data" / "flow" / "sintel" / "pan"
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (8, 14, 3), dtype=np.uint8)
    big = np.array(Image.fromarray(small).resize((84, 48), Image.BICUBIC))
    for sub in ("final", "flow", "occlusions"):
        (scene / sub).mkdir(parents=True)
    for i in range(3):
        Image.fromarray(big[:, 2 * i : 2 * i + 64]).save(scene / "final" / f"frame_{i + 1:04d}.png")
    flow = np.zeros((48, 64, 2), np.float32)
    flow[..., 0] = -2.0
    write_flo(scene / "flow" / "frame_0001.flo", flow)
    occ = np.zeros((48, 64), np.uint8)
    occ[:, :2] = 255
    Image.fromarray(occ).save(scene / "occlusions" / "frame_0001.png")
    (tmp_path / "data" / "video").mkdir()
    make_video(tmp_path / "data" / "video" / "clip.mp4", frames=4, width=64, height=48, audio=None)
    (tmp_path / "data" / "style").mkdir()
    Image.open(style_image).save(tmp_path / "data" / "style" / "stripes.png")
    return tmp_path / "data"


def test_sintel_clip_loader_reads_ground_truth(temporal, data):
    (clip,) = temporal.sintel_clips(data / "flow" / "sintel", "final", 24, None)
    assert clip.name == "pan" and len(clip.frames) == 3 and clip.frames[0].shape == (24, 32, 3)
    flow, valid = clip.flows[0]
    np.testing.assert_allclose(flow[..., 0], -1.0)  # half the size, half the motion
    assert not valid[:, 0].any() and valid[:, 2:].all()
    assert clip.flows[1] is None  # no ground truth for 2 -> 3


def test_benchmark_end_to_end(temporal, data, random_checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    twin = shutil.copytree(random_checkpoint, tmp_path / "twin")
    summary = temporal.main(
        ["--variants", str(random_checkpoint), str(twin), "--styles", "stripes", "--size", "32"]
        + ["--style-size", "32", "--max-frames", "3", "--data", str(data), "--out", str(out), "--precision", "fp32"]
    )
    printed = capsys.readouterr().out
    assert printed.startswith("# python benchmarks/temporal.py --variants")
    assert {p.name for p in out.iterdir()} == {"temporal.md", "temporal.json", "relative_change.png", "tradeoff.png"}
    assert set(summary["per_clip"]) == {"pan", "clip"}
    # The same weights twice: identical quality metrics, so every relative change is 0.
    changes = summary["mean_change"][str(twin)]
    for key in ("temporal_error", "warping_error", "ssim", "style_distance", "content_distance"):
        assert changes[key] == pytest.approx(0.0, abs=1e-9)
    mean = summary["mean"][str(random_checkpoint)]
    assert mean["warping_error"] > 0 and not math.isnan(mean["temporal_error"])
    rows = json.loads((out / "temporal.json").read_text())["rows"]
    assert len(rows) == 4 and {r["dataset"] for r in rows} == {"sintel", "video"}
    assert "| **mean** |" in (out / "temporal.md").read_text()


def test_aggregate_relative_change(temporal):
    keys = [k for k, _, _ in temporal.METRICS]
    rows = [
        {"clip": c, "variant": v, "style": s, **{k: val for k in keys}}
        for c, v, s, val in [
            ("a", "base", "s1", 2.0),
            ("a", "base", "s2", 4.0),
            ("a", "new", "s1", 1.0),
            ("a", "new", "s2", 2.0),
            ("b", "base", "s1", 1.0),
            ("b", "new", "s1", 1.5),
        ]
    ]
    summary = temporal.aggregate(rows, ["base", "new"])
    assert summary["per_clip"]["a"]["base"]["ssim"] == 3.0
    assert summary["change"]["a"]["new"]["ssim"] == pytest.approx(-50.0)
    assert summary["change"]["b"]["new"]["ssim"] == pytest.approx(50.0)
    assert summary["mean"]["new"]["ssim"] == pytest.approx(1.5)
    assert summary["mean_change"]["new"]["ssim"] == pytest.approx(-25.0)  # (1.5 - 2) / 2
    assert summary["per_clip_changes"]["new"]["ssim"]["mean"] == pytest.approx(0.0)  # (-50 + 50) / 2
    assert summary["per_clip_changes"]["new"]["ssim"]["best"] == (pytest.approx(50.0), "b")  # higher is better
    assert summary["per_clip_changes"]["new"]["warping_error"]["best"] == (pytest.approx(-50.0), "a")
    assert "| new |" in temporal.markdown(summary, ["base", "new"], ["# t"])
