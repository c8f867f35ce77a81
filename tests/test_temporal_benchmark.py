"""benchmarks/temporal.py end to end on a tiny Sintel-layout folder and a tiny real video, with random weights, and
the helpers it shares with the other benchmarks (benchmarks/common.py)."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import math
import shlex
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vst.core.flow import write_flo
from vst.core.noise import Motion
from vst.core.video import iter_frames

ROOT = Path(__file__).resolve().parents[1]


def _load_script(name: str):
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def benchmarks():
    """The scripts as modules; benchmarks/ goes on sys.path, as running one puts it there, for their `common` import."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    yield {name: _load_script(name) for name in ("temporal", "quality")}
    for name in ("temporal_benchmark", "quality_benchmark", "common"):
        del sys.modules[name]
    sys.path.remove(str(ROOT / "benchmarks"))


@pytest.fixture
def temporal(benchmarks):
    return benchmarks["temporal"]


@pytest.fixture
def quality(benchmarks):
    return benchmarks["quality"]


@pytest.fixture
def common(benchmarks):
    return importlib.import_module("common")


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
    # Panning left by a pixel: the column that enters at the right is all that frame 2 shows anew.
    revealed = clip.revealed[0]
    assert revealed[:, -1].all() and not revealed[:, :-1].any()
    assert clip.revealed[1] is None


def test_a_two_frame_sintel_clip_can_start_at_its_ground_truth(temporal, data):
    flows = data / "flow" / "sintel" / "pan" / "flow"
    (flows / "frame_0001.flo").rename(flows / "frame_0002.flo")  # ground truth for 2 -> 3 only
    (first,) = temporal.sintel_clips(data / "flow" / "sintel", "final", 24, 2)
    assert first.flows == [None]  # frames 1 and 2: nothing to score
    (scored,) = temporal.sintel_clips(data / "flow" / "sintel", "final", 24, 2, from_flow=True)
    assert len(scored.frames) == 2 and scored.flows[0] is not None
    np.testing.assert_array_equal(scored.frames[0], first.frames[1])


def test_revealed_leaves_no_holes_where_the_motion_stretches(temporal):
    y, x = np.mgrid[0:20, 0:30].astype(np.float32)
    flow = np.stack([0.15 * x, 0.1 * y], axis=-1)  # a zoom: neighbours land further apart than a pixel
    assert not temporal.revealed(flow, np.ones((20, 30), bool)).any()


def test_sharpness_and_ghosting(temporal):
    flat, stripes = np.full((8, 8, 3), 90, np.uint8), np.zeros((8, 8, 3), np.uint8)
    stripes[:, ::2] = 255
    assert temporal.sharpness(flat) == 0 and temporal.sharpness(stripes) == pytest.approx(1.0)
    where = np.zeros((8, 8), bool)
    assert math.isnan(temporal.ghosting(stripes, flat, where))
    where[0, 0] = True
    assert temporal.ghosting(stripes, flat, where) == pytest.approx((165 / 255) ** 2)


@pytest.mark.slow
def test_benchmark_end_to_end(temporal, data, random_checkpoint, tmp_path, capsys):
    out = tmp_path / "out"
    twin = shutil.copytree(random_checkpoint, tmp_path / "twin")
    argv = ["--variants", str(random_checkpoint), str(twin), "--styles", "stripes", "--size", "32"]
    argv += ["--style-size", "32", "--max-frames", "2", "--data", str(data), "--out", str(out), "--precision", "fp32"]
    summary = temporal.main([*argv, "--stabilize", "1", "--option", f"{twin}:device=cpu"])
    command = capsys.readouterr().out.splitlines()[0]
    assert "python benchmarks/temporal.py --variants" in command and f"--option {twin}:device=cpu" in command
    assert {p.name for p in out.iterdir()} == {"temporal.md", "temporal.json", "relative_change.png", "tradeoff.png"}
    assert set(summary["per_clip"]) == {"pan", "clip"}
    plain, stabilized = str(random_checkpoint), f"{random_checkpoint} + stabilize 1"
    assert list(summary["mean"]) == [plain, stabilized, str(twin), f"{twin} + stabilize 1"]
    # The same weights twice: identical quality metrics, so every relative change is 0.
    changes = summary["mean_change"][str(twin)]
    for key in ("temporal_error", "warping_error", "ssim", "style_distance", "content_distance", "sharpness"):
        assert changes[key] == pytest.approx(0.0, abs=1e-9)
    mean = summary["mean"]
    assert mean[plain]["warping_error"] > 0 and not math.isnan(mean[plain]["temporal_error"])
    # Ghosting is the stabilized rows' alone; they are compared with their own variant unstabilized too.
    assert math.isnan(mean[plain]["ghosting"]) and mean[stabilized]["ghosting"] >= 0
    stabilization = summary["stabilization"]["mean_change"]
    assert set(stabilization) == {stabilized, f"{twin} + stabilize 1"}
    assert stabilization[stabilized]["ssim"] == pytest.approx(stabilization[f"{twin} + stabilize 1"]["ssim"])
    rows = json.loads((out / "temporal.json").read_text())["rows"]
    assert len(rows) == 8 and {r["dataset"] for r in rows} == {"sintel", "video"}
    assert {r["stabilize"] for r in rows} == {0.0, 1.0}
    text = (out / "temporal.md").read_text()
    assert "| **mean** |" in text and f"| {stabilized} |" in text and "the same variant unstabilized" in text


def test_aggregate_relative_change(temporal):
    keys = [k for k, _, _ in temporal.METRICS]
    rows = [
        {"clip": c, "variant": v, "style": s, **{k: val for k in keys}}
        for c, v, s, val in [
            ("a", "base", "s1", 2.0),
            ("a", "base", "s2", 4.0),
            ("a", "new", "s1", 1.0),
            ("a", "new", "s2", 2.0),
            ("a", "new + stabilize 1", "s1", 0.5),
            ("b", "base", "s1", 1.0),
            ("b", "new", "s1", 1.5),
            ("b", "new + stabilize 1", "s1", 3.0),
        ]
    ]
    labels = ["base", "new", "new + stabilize 1"]
    summary = temporal.aggregate(rows, labels, {"new + stabilize 1": "new"})
    assert summary["per_clip"]["a"]["base"]["ssim"] == 3.0
    assert summary["change"]["a"]["new"]["ssim"] == pytest.approx(-50.0)
    assert summary["change"]["b"]["new"]["ssim"] == pytest.approx(50.0)
    assert summary["mean"]["new"]["ssim"] == pytest.approx(1.5)
    assert summary["mean_change"]["new"]["ssim"] == pytest.approx(-25.0)  # (1.5 - 2) / 2
    assert summary["per_clip_changes"]["new"]["ssim"]["mean"] == pytest.approx(0.0)  # (-50 + 50) / 2
    assert summary["per_clip_changes"]["new"]["ssim"]["best"] == (pytest.approx(50.0), "b")  # higher is better
    assert summary["per_clip_changes"]["new"]["warping_error"]["best"] == (pytest.approx(-50.0), "a")
    # The stabilized row against its own variant: a 0.5 vs 1.5 (-66.7 %), b 3 vs 1.5 (+100 %), means 1.75 vs 1.5.
    stabilization = summary["stabilization"]
    assert set(stabilization["mean_change"]) == {"new + stabilize 1"}
    assert stabilization["change"]["a"]["new + stabilize 1"]["ssim"] == pytest.approx(-66.666, abs=1e-3)
    assert stabilization["mean_change"]["new + stabilize 1"]["ssim"] == pytest.approx(100 / 6)
    assert stabilization["per_clip_changes"]["new + stabilize 1"]["warping_error"]["best"] == (
        pytest.approx(-66.666, abs=1e-3),
        "a",
    )
    text = temporal.markdown(summary, labels, ["# t"])
    assert "| new |" in text and "| new + stabilize 1 |" in text and "the same variant unstabilized" in text


def test_factory_option_parser(common):
    parse = common.FactoryOption.parse
    assert parse("optical-flow:iterations=100,50") == common.FactoryOption("optical-flow", "iterations", (100, 50))
    assert parse("hf://org/name@v1:alpha=0.5") == common.FactoryOption("hf://org/name@v1", "alpha", 0.5)
    assert parse("a:device=cuda:1").value == "cuda:1"  # neither a number nor numbers: the text as it is
    assert str(parse("optical-flow:iterations=100,50")) == "optical-flow:iterations=100,50"
    for bad in ("iterations=3", "optical-flow:iterations", ":x=1", "a:not a key=1"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse(bad)
    options = [parse("a:x=1"), parse("a:y=2.5,3"), parse("a:x=4")]
    assert common.factory_options(options, ["a", "b"]) == {"a": {"x": 4, "y": (2.5, 3)}, "b": {}}
    with pytest.raises(SystemExit, match="'c' is not among the variants"):
        common.factory_options([parse("c:x=1")], ["a", "b"])


def test_a_copy_under_another_name_counts_once(common, tmp_path, capsys):
    (tmp_path / "a.png").write_bytes(b"one photo")
    (tmp_path / "b.jpg").write_bytes(b"another photo")
    (tmp_path / "c.png").write_bytes(b"one photo")
    files = sorted(tmp_path.iterdir())
    assert common.distinct_files(files) == files[:2]
    assert "c.png: the same bytes as" in capsys.readouterr().err


def test_command_line_spells_out_every_option_and_reruns_the_same(common, monkeypatch):
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", nargs="+", default=["a", "b"])
    parser.add_argument("--size", type=int, default=192)
    parser.add_argument("--video-size", type=int, default=None)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("results"))
    common.add_factory_options(parser)
    args = parser.parse_args(["--compile", "--option", "a:iterations=2,1", "--option", "b:alpha=0.5"])
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    command = common.command_line("benchmarks/x.py", parser, args)
    assert command == (
        "OMP_NUM_THREADS=2 python benchmarks/x.py --variants a b --size 192 --compile --out results "
        "--option a:iterations=2,1 b:alpha=0.5"
    )
    assert parser.parse_args(shlex.split(command)[3:]) == args


def test_quality_scores_sintel_scenes_and_clip_frames_as_held_out_scenes(quality, data):
    (data / "content").mkdir()
    Image.new("RGB", (40, 30), "red").save(data / "content" / "astronaut.png")
    Image.new("RGB", (40, 30), "blue").save(data / "content" / "chelsea.png")
    photos = {p.name: p for p in quality.held_out_photos(data)}
    portraits = sorted((ROOT / "training" / "portraits" / "eval").glob("*.jpg"))
    assert len(photos) == 2 + len(portraits) + 2
    assert photos["astronaut.png"].group == "portraits" and photos["chelsea.png"].group == "scenes"
    assert {photos[p.name].group for p in portraits} == {"portraits"}
    first = np.asarray(Image.open(data / "flow" / "sintel" / "pan" / "final" / "frame_0001.png"))
    assert photos["sintel/pan"].group == "scenes"
    np.testing.assert_array_equal(photos["sintel/pan"].frame, first)
    frames = list(iter_frames(data / "video" / "clip.mp4"))
    assert photos["clip.mp4"].group == "scenes"
    np.testing.assert_array_equal(photos["clip.mp4"].frame, frames[len(frames) // 2])


def test_motion_change_sees_texture_that_sticks_to_the_pixel_grid(quality):
    """A stylization that works pixel by pixel moves with the photo: no change. One that lays a fixed pattern on the
    pixel grid does not, and the score sees it."""
    photo = np.asarray(Image.effect_noise((64, 48), 60).convert("RGB"))
    grid = (np.indices((48, 64)).sum(0) % 8 < 4)[..., None] * np.uint8(40)

    def pointwise(x):
        return 255 - x

    def sticky(x):
        return x // 2 + grid[: x.shape[0], : x.shape[1]]

    motion = Motion(3, 4, trim=8)
    assert quality.motion_change(pointwise, photo, pointwise(photo), motion) == 0.0
    assert quality.motion_change(sticky, photo, sticky(photo), motion) > 0.02
    assert quality.motion_change(sticky, photo, sticky(photo), Motion(0, 8, trim=8)) == 0.0  # a whole period
