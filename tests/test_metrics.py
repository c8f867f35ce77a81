"""Evaluation metrics on hand-made cases: the poster's temporal error, SSIM, warping error and style fidelity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from test_flow import texture as flow_texture

from vst.core import StyleStats, load_encoder, mean_std
from vst.core.metrics import (
    TEMPORAL_EPS,
    StyleMetrics,
    TemporalMetrics,
    content_distance,
    ssim,
    style_distance,
    style_targets,
    temporal_error,
    temporal_term,
    warping_error,
)


def texture(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    return flow_texture(height, width, seed)


def panning(n: int, height: int = 48, width: int = 64, step: int = 2) -> list[np.ndarray]:
    """Frames of a camera panning right: frame t is the texture shifted left by `step` * t pixels."""
    big = texture(height, width + step * n)
    return [np.ascontiguousarray(big[8 : 8 + height, 8 + step * t : 8 + step * t + width]) for t in range(n)]


# --- the poster's temporal error ---------------------------------------------------------------------------


def test_temporal_error_zero_for_identical_frames():
    frame = texture()
    assert temporal_error([frame] * 4, [texture(seed=1)] * 4) == 0.0


def test_temporal_error_zero_when_output_changes_like_input():
    inputs = [texture(seed=s) for s in range(3)]
    outputs = [np.clip(x.astype(np.int16) // 2 + 60, 0, 255).astype(np.uint8) for x in inputs]
    assert temporal_error(inputs, outputs) > 0  # halving the changes is not following them
    shifted = [(x.astype(np.float64) / 255 + 0.1) for x in inputs]  # floats in [0, 1] are accepted as they are
    assert temporal_error([x.astype(np.float64) / 255 for x in inputs], shifted) == pytest.approx(0.0, abs=1e-12)


def test_temporal_error_known_pixels():
    """Two frames of 1x2 RGB, by hand: only two elements change."""
    x0, x1 = np.zeros((1, 2, 3)), np.zeros((1, 2, 3))
    y0, y1 = np.zeros((1, 2, 3)), np.zeros((1, 2, 3))
    x1[0, 0, 0] = 0.5  # input brightens by 0.5, output follows half-way
    y1[0, 0, 0] = 0.25
    y1[0, 1, 0] = 0.1  # output flickers where the input is still
    expected = (0.25**2 / (0.5 + 1 / 255) + 0.1**2 / (1 / 255)) / 6
    assert TEMPORAL_EPS == 1 / 255
    assert temporal_term(x0, x1, y0, y1) == pytest.approx(expected)
    assert temporal_error([x0, x1], [y0, y1]) == pytest.approx(expected)
    # The denominator is a magnitude: a darkening input scores the same as a brightening one.
    assert temporal_term(x1, x0, y1, y0) == pytest.approx(expected)


def test_temporal_error_average_and_total():
    inputs = [texture(seed=s) for s in range(4)]
    outputs = [texture(seed=10 + s) for s in range(4)]
    total = temporal_error(inputs, outputs, average=False)
    assert temporal_error(inputs, outputs) == pytest.approx(total / 3)
    with pytest.raises(ValueError, match="two or more"):
        temporal_error(inputs[:1], outputs[:1])


# --- SSIM and warping error ---------------------------------------------------------------------------------


def test_ssim():
    frame = texture()
    assert ssim(frame, frame) == pytest.approx(1.0)
    assert ssim(frame, 255 - frame) < 0
    noisy = np.clip(frame + np.random.default_rng(0).normal(0, 20, frame.shape), 0, 255).astype(np.uint8)
    assert 0.2 < ssim(frame, noisy) < 0.95


def test_warping_error_with_the_right_flow_is_zero():
    frames = panning(2)
    flow = np.zeros(frames[0].shape[:2] + (2,), np.float32)
    flow[..., 0] = -2.0  # the content moves left: frame 0 at p is frame 1 at p - (2, 0)
    valid = np.ones(flow.shape[:2], bool)
    valid[:, :2] = False  # those leave the frame
    assert warping_error(frames[0], frames[1], flow, valid) == pytest.approx(0.0, abs=1e-10)
    still = np.zeros_like(flow)
    assert warping_error(frames[0], frames[1], still, valid) > 1e-3
    assert math.isnan(warping_error(frames[0], frames[1], flow, np.zeros_like(valid)))
    # A known number: output t+1 brighter by 51/255 everywhere -> (0.2)^2.
    brighter = np.clip(frames[1].astype(np.int16) + 51, 0, 255).astype(np.uint8)
    inner = valid & np.roll(frames[1].max(-1) <= 204, 2, axis=1)  # no clipping where the samples come from
    assert warping_error(frames[0], brighter, flow, inner) == pytest.approx(0.04, rel=1e-6)


def test_temporal_metrics_streaming_matches_functions():
    inputs = panning(4)
    outputs = [np.clip(x.astype(np.int16) + 10 * t, 0, 255).astype(np.uint8) for t, x in enumerate(inputs)]
    flow = np.zeros(inputs[0].shape[:2] + (2,), np.float32)
    flow[..., 0] = -2.0
    valid = np.ones(flow.shape[:2], bool)
    valid[:, :2] = False
    m = TemporalMetrics()
    for x, y in zip(inputs, outputs):
        m.update(x, y, flow, valid)
    r = m.result()
    assert r["frames"] == 4 and r["warped_pairs"] == 3
    assert r["temporal_error"] == pytest.approx(temporal_error(inputs, outputs))
    assert r["temporal_error_total"] == pytest.approx(3 * r["temporal_error"])
    assert r["ssim"] == pytest.approx(np.mean([ssim(x, y) for x, y in zip(inputs, outputs)]))
    expected = np.mean([warping_error(outputs[t], outputs[t + 1], flow, valid) for t in range(3)])
    assert r["warping_error"] == pytest.approx(expected)


def test_temporal_metrics_estimates_flow_and_ranks_flicker():
    """Without ground truth, DIS flow: an output that moves with the input beats one that flickers."""
    inputs = panning(4, 64, 96)
    stable, flicker = TemporalMetrics(), TemporalMetrics()
    rng = np.random.default_rng(0)
    for x in inputs:
        stylized = (255 - x).astype(np.uint8)  # a 'style' that moves with the content
        noise = rng.normal(0, 12, x.shape)
        stable.update(x, stylized)
        flicker.update(x, np.clip(stylized + noise, 0, 255).astype(np.uint8))
    s, f = stable.result(), flicker.result()
    assert s["warped_pairs"] == 3
    assert s["warping_error"] < 1e-3 < f["warping_error"]
    assert s["temporal_error"] < f["temporal_error"]

    no_flow = TemporalMetrics(estimate_flow=False)
    for x in inputs[:2]:
        no_flow.update(x, x)
    r = no_flow.result()
    assert r["warped_pairs"] == 0 and math.isnan(r["warping_error"]) and r["temporal_error"] == 0.0


# --- style fidelity -----------------------------------------------------------------------------------------


def test_style_distance_hand_made():
    torch.manual_seed(0)
    a, b = torch.rand(1, 4, 6, 6) + 0.5, torch.rand(1, 8, 3, 3) + 0.5
    targets = [StyleStats(*mean_std(a)), StyleStats(*mean_std(b))]
    assert style_distance([a, b], targets) == pytest.approx(0.0, abs=1e-12)
    # Doubling the features doubles means and stds: relative error 1 at that tap, 0 at the other -> mean 0.5.
    assert style_distance([a, 2 * b], targets) == pytest.approx(0.5, rel=1e-3)
    # Relative per tap: scaling a tap's magnitude by 100 changes nothing.
    big = [StyleStats(*mean_std(100 * a)), targets[1]]
    assert style_distance([100 * a, 2 * b], big) == pytest.approx(0.5, rel=1e-3)
    with pytest.raises(ValueError, match="taps"):
        style_distance([a], targets)


def test_content_distance_zero_at_the_adain_target():
    torch.manual_seed(0)
    content = torch.rand(1, 8, 5, 5)
    style = StyleStats(torch.rand(1, 8, 1, 1), torch.rand(1, 8, 1, 1) + 0.1)
    from vst.core import adain

    target = adain(content, style)
    assert content_distance(target, content, style) == pytest.approx(0.0, abs=1e-10)
    assert content_distance(torch.zeros_like(target), content, style) == pytest.approx(1.0)


@pytest.mark.slow
def test_style_metrics_with_the_encoder():
    encoder, _ = load_encoder()
    style = texture(32, 32, seed=3)
    style_t = torch.from_numpy(style).permute(2, 0, 1)[None].float() / 255
    assert len(style_targets(encoder, style_t)) == 4
    content = texture(32, 32, seed=4)
    m = StyleMetrics(encoder, style_t)
    m.update(content, style)  # the style itself as the 'output'
    itself = m.result()["style_distance"]
    other = StyleMetrics(encoder, style_t)
    other.update(content, content)  # no stylization at all
    r = other.result()
    assert itself == pytest.approx(0.0, abs=1e-6)
    assert r["style_distance"] > 0.01
    assert r["content_distance"] > 0
