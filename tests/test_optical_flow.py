"""The optical-flow baseline (Ruder et al. 2016-style optimization), on tiny frames with a few iterations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vst import zoo
from vst.core import VstError
from vst.core.flow import flow_and_mask, warp
from vst.core.images import to_tensor
from vst.core.optical_flow_stylizer import GramStyle, OpticalFlowStylizer, gram
from vst.core.video import iter_frames, probe


def panning(n: int, size: int = 32, step: int = 2) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    small = rng.integers(0, 256, (size // 6 + 2, (size + step * n) // 6 + 2, 3), dtype=np.uint8)
    big = np.array(Image.fromarray(small).resize((size + step * n + 8, size + 8), Image.BICUBIC))
    return [np.ascontiguousarray(big[4 : 4 + size, 4 + step * t : 4 + step * t + size]) for t in range(n)]


@pytest.fixture(scope="module")
def stylizer() -> OpticalFlowStylizer:
    return OpticalFlowStylizer.build(device="cpu", precision="fp32", iterations=(8, 4), check_every=4)


@pytest.fixture(scope="module")
def style(stylizer: OpticalFlowStylizer) -> GramStyle:
    y, x = np.mgrid[0:40, 0:40]
    stripes = np.stack([(x * 37) % 256, (y * 23) % 256, ((x // 5 + y // 5) % 2) * 255], -1).astype(np.uint8)
    return stylizer.encode_style(to_tensor(stripes))


def test_gram_is_size_independent():
    f = torch.rand(1, 4, 3, 5)
    tiled = f.repeat(1, 1, 2, 2)
    torch.testing.assert_close(gram(f), gram(tiled))
    assert gram(f).shape == (4, 4)


@pytest.mark.slow
def test_stream_stylizes_and_follows_the_motion(stylizer, style):
    frames = panning(3)
    out = list(stylizer.stream(frames, style))
    assert len(out) == 3 and all(o.shape == (32, 32, 3) and o.dtype == np.uint8 for o in out)
    # L-BFGS without line search: one loss evaluation per iteration, within the (first, later) budget.
    assert 1 <= stylizer.evaluations[0] <= 8 and all(1 <= n <= 4 for n in stylizer.evaluations[1:])
    assert np.abs(out[0].astype(int) - frames[0]).mean() > 5  # the style did something

    # The temporal loss pulls frame 2 towards frame 1 warped along the flow: lower warping error without it.
    free = OpticalFlowStylizer(stylizer.encoder, device="cpu", precision="fp32", iterations=(8, 4), check_every=4)
    free.temporal_weight = 0.0
    free_out = list(free.stream(frames, style))
    flow, valid = flow_and_mask(frames[1], frames[0])  # flow 1 -> 0, on frame 1's grid

    def err(outputs):
        return np.abs(warp(outputs[0], flow) - outputs[1])[valid].mean()

    assert err(out) < err(free_out)


@pytest.mark.slow
def test_alpha_zero_keeps_the_content(stylizer, style):
    frames = panning(2)
    out = list(stylizer.stream(frames, style, alpha=0.0))
    assert np.abs(out[0].astype(int) - frames[0]).max() <= 1  # started at the content, the only loss is at 0
    kept = list(stylizer.stream(frames[:1], style, preserve_color=True))
    assert kept[0].shape == (32, 32, 3)
    with pytest.raises(VstError, match="alpha must be within"):
        list(stylizer.stream(frames, style, alpha=2.0))


def test_style_blending(stylizer):
    a, b = torch.rand(1, 3, 24, 24), torch.rand(1, 3, 24, 24)
    ga, gb = stylizer.encode_style(a), stylizer.encode_style(b)
    mixed = stylizer.encode_style([a, b], [1, 3])
    for x, y, m in zip(ga.grams, gb.grams, mixed.grams):
        torch.testing.assert_close(m, 0.25 * x + 0.75 * y)
    with pytest.raises(VstError, match="style weights must be non-negative"):
        stylizer.encode_style([a, b], [1, -1])


@pytest.mark.slow
def test_zoo_variant_through_the_video_pipeline(tiny_video, tmp_path):
    variant = zoo.get_variant("optical-flow")
    assert variant.weights is None and variant.available_offline()
    pipeline = zoo.load("optical-flow", device="cpu", precision="fp32", iterations=(2, 1))
    assert isinstance(pipeline.stylizer, OpticalFlowStylizer)
    dst, steps = tmp_path / "out.mp4", []
    style = torch.rand(1, 3, 32, 32)  # a tensor style is encoded by the pipeline, as a path would be
    pipeline.stylize_video(tiny_video, dst, style=style, max_frames=3, progress=steps.append)
    assert [p.done for p in steps] == [1, 2, 3]
    info = probe(dst)
    assert (info.width, info.height) == (64, 48)
    assert len(list(iter_frames(dst))) == 3
