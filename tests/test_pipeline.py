"""`vst.core.pipeline`: one decode shared by every lane, recordings that appear only when complete, the Python API.

Real codecs (PyAV) throughout; the stylizers are a real random-weight checkpoint or `Invert`, a real if simple
`VideoStylizer` whose output is known exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from vst import zoo
from vst.core import VstError, pipeline
from vst.core.images import resize_frame
from vst.core.pipeline import Clip, Lane, Pipeline, Progress, record, run
from vst.core.stabilize import Stabilizer
from vst.core.video import VideoError, iter_frames, probe


class Invert:
    """255 - frame, optionally failing after some frames; remembers whether its stream was closed."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.fail_after = fail_after
        self.closed = 0

    def encode_style(self, styles, weights=None) -> None:
        return None

    def stream(self, frames: Iterable[np.ndarray], style, alpha=1.0, preserve_color=False) -> Iterator[np.ndarray]:
        try:
            for i, frame in enumerate(frames):
                if self.fail_after is not None and i >= self.fail_after:
                    raise RuntimeError("stylizer failed")
                yield 255 - frame
        finally:
            self.closed += 1


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.slow
def test_lanes_of_a_comparison_share_one_decode(tiny_video, random_checkpoint, monkeypatch, tmp_path):
    calls, decoded = [], []

    def counting_decode(*args, **kwargs) -> Iterator[np.ndarray]:
        calls.append(args)
        for frame in real_decode(*args, **kwargs):
            decoded.append(frame)
            yield frame

    real_decode = pipeline.decode
    monkeypatch.setattr(pipeline, "decode", counting_decode)
    model = zoo.load(str(random_checkpoint), device="cpu", precision="fp32")
    style = model.encode_style(torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0)))
    lanes = [model.lane(style), model.lane(style, stabilize=0.5, name="stabilized"), Pipeline(Invert()).lane(None)]
    assert all(lane.fps == 0 for lane in lanes)
    steps = list(record(Clip.open(tiny_video, max_frames=6), lanes, side_by_side=tmp_path / "abc.mp4"))
    assert len(calls) == 1 and len(decoded) == 6  # one decode of 6 frames, not one per lane
    assert len(steps) == 6 and all(len(step) == 3 for step in steps)
    for index, (a, b, c) in enumerate(steps):
        assert a.index == b.index == c.index == index
        assert a.input is b.input is c.input is decoded[index]  # the very same decoded frame
        assert a.output.shape == (48, 64, 3) and a.output.dtype == np.uint8
        np.testing.assert_array_equal(c.output, 255 - c.input)
    assert not np.array_equal(steps[-1][0].output, steps[-1][1].output)  # the stabilizer changed the second lane
    assert [type(stage) for stage in lanes[1].stages] == [Stabilizer] and lanes[0].stages == ()
    assert all(lane.frames == 6 and lane.fps > 0 for lane in lanes)
    assert probe(tmp_path / "abc.mp4").frames == 6


def test_record_writes_each_lane_and_a_labelled_side_by_side(tiny_video, tmp_path):
    own, joint = tmp_path / "a.mp4", tmp_path / "ab.mp4"
    clip = Clip.open(tiny_video)
    lanes = [Pipeline(Invert(), "a").lane(None), Pipeline(Invert(), "b").lane(None)]
    steps = list(record(clip, lanes, videos=[own, None], side_by_side=joint))
    assert len(steps) == 12 and _files(tmp_path) == ["a.mp4", "ab.mp4"]  # lane b has no video of its own
    for path, width in ((own, 64), (joint, 3 * 64)):
        info = probe(path)
        assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (width, 48, 24, 12, True)

    # Panels in order, input | a | b, each with its label at the top left and the frame itself elsewhere.
    inputs, panels = list(iter_frames(tiny_video)), list(iter_frames(joint))
    for k in range(3):
        expected = [frame if k == 0 else 255 - frame for frame in inputs]
        panel = [p[:, 64 * k : 64 * (k + 1)].astype(int) for p in panels]
        label = np.mean([np.abs(p[:12, :24] - e[:12, :24]).mean() for p, e in zip(panel, expected)])
        rest = np.mean([np.abs(p[24:, 32:] - e[24:, 32:]).mean() for p, e in zip(panel, expected)])
        assert label > 30 and rest < 8, (k, label, rest)


def test_record_at_a_size_and_frame_limit(tiny_video, tmp_path):
    clip = Clip.open(tiny_video, size=24, max_frames=5)
    assert (clip.width, clip.height, clip.total) == (32, 24, 5)
    lanes = [Pipeline(Invert()).lane(None) for _ in range(2)]
    steps = list(record(clip, lanes, side_by_side=tmp_path / "ab.mp4"))
    assert [s[0].input.shape for s in steps] == [(24, 32, 3)] * 5
    info = probe(tmp_path / "ab.mp4")
    assert (info.width, info.height, info.frames) == (3 * 32, 24, 5)


def test_stopping_a_recording_early_leaves_no_files(tiny_video, tmp_path):
    stylizers = [Invert(), Invert()]
    lanes = [Pipeline(s).lane(None) for s in stylizers]
    steps = record(Clip.open(tiny_video), lanes, videos=[tmp_path / "a.mp4", tmp_path / "b.mp4"],
                   side_by_side=tmp_path / "ab.mp4")  # fmt: skip
    next(steps)
    next(steps)
    hidden = _files(tmp_path)
    assert len(hidden) == 3 and all(name.startswith(".") for name in hidden)  # the three temporary files
    steps.close()
    assert _files(tmp_path) == []
    assert [s.closed for s in stylizers] == [1, 1]  # the lanes' streams are closed too


def test_a_lane_failing_midway_leaves_no_files(tiny_video, tmp_path):
    lanes = [Pipeline(Invert()).lane(None), Pipeline(Invert(fail_after=4)).lane(None)]
    with pytest.raises(RuntimeError, match="stylizer failed"):
        list(record(Clip.open(tiny_video), lanes, videos=[tmp_path / "a.mp4"], side_by_side=tmp_path / "ab.mp4"))
    assert _files(tmp_path) == []


def test_a_clip_without_frames_is_refused(tiny_video, tmp_path):
    """A file whose index promises frames that are not there: the writers opened are thrown away."""
    whole = tmp_path / "whole.mp4"
    Pipeline(Invert()).stylize_video(tiny_video, whole, style=None)  # faststart: the index comes before the frames
    data = whole.read_bytes()
    src = tmp_path / "index-only.mp4"
    src.write_bytes(data[: data.index(b"mdat") + 4])
    out = tmp_path / "out"
    lanes = [Pipeline(Invert()).lane(None)]
    with pytest.raises(VideoError, match="has no frames to stylize"):
        list(record(Clip.open(src), lanes, videos=[out / "a.mp4"], side_by_side=out / "ab.mp4"))
    assert _files(out) == []


def test_stabilize_out_of_range_is_refused(tiny_video, tmp_path):
    with pytest.raises(VstError, match="stabilize must be within"):
        Pipeline(Invert()).stylize_video(tiny_video, tmp_path / "out.mp4", style=None, stabilize=1.5)
    assert _files(tmp_path) == []


def test_a_lane_applies_its_stages_in_order_after_the_stylizer():
    frames = [np.full((4, 6, 3), value, np.uint8) for value in (10, 20)]
    given = []

    def halve(frame: np.ndarray, output: np.ndarray) -> np.ndarray:
        given.append(frame)
        return output // 2

    lane = Lane("invert, halve, add one", Invert(), None, stages=[halve, lambda frame, output: output + 1])
    for (step,), frame in zip(run(frames, [lane]), frames, strict=True):
        np.testing.assert_array_equal(step.output, (255 - frame) // 2 + 1)
    assert all(a is b for a, b in zip(given, frames, strict=True))  # a stage is given the input frame too


@pytest.mark.slow
def test_stylize_image_on_an_array(style_image, random_checkpoint):
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    invert = Pipeline(Invert())
    np.testing.assert_array_equal(invert.stylize_image(frame, style=None, size=80, upscale=False), 255 - frame)
    assert invert.stylize_image(frame, style=None, size=20, upscale=False).shape == (20, 30, 3)  # still shrinks
    assert invert.stylize_image(frame, style=None, size=80).shape == (80, 120, 3)
    rgba = np.dstack([frame, np.full((40, 60), 255, np.uint8)])  # as some browsers send camera frames
    np.testing.assert_array_equal(invert.stylize_image(rgba, style=None), 255 - frame)

    model = zoo.load(str(random_checkpoint), device="cpu", precision="fp32")
    out = model.stylize_image(frame, style=style_image, size=24, upscale=False)
    assert out.shape == (24, 36, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - resize_frame(frame, 24)).mean() > 5  # the network did something


@pytest.mark.slow
def test_python_api_as_the_readme_shows_it(tiny_video, style_image, random_checkpoint, tmp_path):
    dst = tmp_path / "styled.mp4"
    steps: list[Progress] = []
    model = zoo.load(str(random_checkpoint))
    assert model.stylize_video(tiny_video, dst, style=style_image, progress=steps.append) == dst
    assert [s.done for s in steps] == list(range(1, 13))
    assert all(s.total == 12 and s.fps > 0 and s.frame.shape == (48, 64, 3) for s in steps)
    info = probe(dst)
    assert (info.width, info.height, info.frames, info.has_audio) == (64, 48, 12, True)
    assert _files(tmp_path) == ["styled.mp4"]
