"""Optical flow helpers: .flo files, warping, OpenCV estimation and the occlusion checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from vst.core.flow import (
    FlowError,
    consistency_mask,
    estimate_flow,
    flow_and_mask,
    inside,
    read_flo,
    resize_flow,
    resize_mask,
    warp,
    warp_batch,
    write_flo,
)


def texture(height: int = 64, width: int = 80, seed: int = 0) -> np.ndarray:
    """A smooth random texture (blurred noise): trackable by flow, exact under sub-pixel shifts."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (height // 8 + 2, width // 8 + 2, 3), dtype=np.uint8)
    big = Image.fromarray(small).resize((width + 16, height + 16), Image.BICUBIC)
    return np.array(big)


def test_flo_roundtrip(tmp_path):
    flow = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    write_flo(tmp_path / "a.flo", flow)
    got = read_flo(tmp_path / "a.flo")
    assert got.shape == (5, 7, 2) and got.dtype == np.float32
    np.testing.assert_array_equal(got, flow)


def _flo(width: int, height: int, body: bytes = b"", magic: bytes = b"PIEH") -> bytes:
    return magic + np.array([width, height], "<i4").tobytes() + body


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"PIE", id="short-magic"),
        pytest.param(_flo(4, 4, bytes(128), magic=b"HEIP"), id="wrong-magic"),
        pytest.param(b"PIEH" + bytes(2), id="cut-header"),
        pytest.param(_flo(0, 0) + bytes(12), id="zero-size"),
        pytest.param(_flo(0, 4), id="zero-width"),
        pytest.param(_flo(-3, 4, bytes(96)), id="negative-width"),
        pytest.param(_flo(2**30, 2**30, bytes(64)), id="absurd-size"),
        pytest.param(_flo(4, 4, bytes(120)), id="truncated"),
        pytest.param(_flo(4, 4, bytes(136)), id="trailing-bytes"),
    ],
)
def test_flo_rejects_bad_files(tmp_path, data):
    """Validity is decided by vst, whatever OpenCV's reader returns (5.0: None for 0x0; 5.1: an empty array)."""
    (tmp_path / "bad.flo").write_bytes(data)
    with pytest.raises(FlowError, match=r"not a readable \.flo file: "):
        read_flo(tmp_path / "bad.flo")


def test_flo_missing_or_empty_file(tmp_path):
    with pytest.raises(FlowError, match="not found"):
        read_flo(tmp_path / "missing.flo")
    (tmp_path / "empty.flo").write_bytes(b"")
    with pytest.raises(FlowError, match="is empty"):
        read_flo(tmp_path / "empty.flo")


def test_read_sintel_ground_truth(shared_data):
    flow = read_flo(shared_data / "flow/sintel/alley_1/flow/frame_0002.flo")
    assert flow.shape == (436, 1024, 2)
    assert np.isfinite(flow).all() and 0 < np.abs(flow).max() < 200


def test_warp_undoes_a_shift():
    a = texture()[8:-8, 8:-8].astype(np.float32)
    b = np.roll(a, shift=(2, 3), axis=(0, 1))  # B(p) = A(p - (3, 2)), so A(p) = B(p + w) with w = (3, 2)
    flow = np.zeros(a.shape[:2] + (2,), np.float32)
    flow[..., 0], flow[..., 1] = 3.0, 2.0
    warped = warp(b, flow)
    ok = inside(flow)
    assert ok.sum() == (a.shape[0] - 2) * (a.shape[1] - 3)
    assert np.abs(warped - a)[ok].max() < 1e-3
    assert np.abs(b - a)[ok].mean() > 5  # not trivially equal


def test_warp_subpixel_and_single_channel():
    ramp = np.tile(np.arange(16, dtype=np.float32), (4, 1))  # value = x
    flow = np.full((4, 16, 2), 0.0, np.float32)
    flow[..., 0] = 0.25
    got = warp(ramp, flow)
    assert got.shape == ramp.shape
    np.testing.assert_allclose(got[:, :-1], ramp[:, :-1] + 0.25, atol=1e-4)  # bilinear on a ramp is exact


def test_estimated_flow_recovers_translation():
    big = texture(96, 112)
    a, b = big[8:-8, 8:-8], big[6:-10, 5:-11]  # B(p) = A(p - (3, 2))
    flow = estimate_flow(a, b)
    centre = flow[20:-20, 20:-20]
    np.testing.assert_allclose(np.median(centre.reshape(-1, 2), axis=0), [3.0, 2.0], atol=0.25)
    assert estimate_flow(a, b, "farneback").shape == flow.shape
    with pytest.raises(ValueError, match="unknown flow method"):
        estimate_flow(a, b, "magic")


def test_consistency_mask_translation_and_borders():
    h, w = 24, 30
    forward = np.zeros((h, w, 2), np.float32)
    forward[..., 0] = 4.0
    valid = consistency_mask(forward, -forward)
    assert valid[:, : w - 4].all()  # consistent, smooth, inside
    assert not valid[:, w - 3 :].any()  # the target leaves the frame


def test_consistency_mask_flags_occlusion_and_motion_boundary():
    h, w = 24, 40
    forward = np.zeros((h, w, 2), np.float32)
    reverse = np.zeros((h, w, 2), np.float32)
    reverse[5:10, 5:10] = 3.0  # B->A disagrees there: those pixels are occluded
    valid = consistency_mask(forward, reverse)
    assert not valid[5:10, 5:10].any() and valid[15:, 15:].all()

    step = np.zeros((h, w, 2), np.float32)
    step[:, 20:, 0] = 5.0  # two objects moving differently
    back = np.zeros_like(step)
    back[:, 25:, 0] = -5.0  # exact inverse, so only the motion boundary test can reject
    valid = consistency_mask(step, back)
    assert not valid[:, 19:21].any()  # the motion boundary
    assert valid[:, 2:17].all() and valid[:, 23:33].all()


def test_flow_and_mask_on_sintel(shared_data):
    """With ground truth, warping frame 3 onto frame 2 matches it far better than no warping; DIS does too."""
    scene = shared_data / "flow/sintel/alley_1"
    f2 = np.asarray(Image.open(scene / "clean/frame_0002.png").convert("RGB"))
    f3 = np.asarray(Image.open(scene / "clean/frame_0003.png").convert("RGB"))
    gt = read_flo(scene / "flow/frame_0002.flo")
    valid = (np.asarray(Image.open(scene / "occlusions/frame_0002.png")) == 0) & inside(gt)
    still = np.abs(f3.astype(np.float32) - f2)[valid].mean()
    assert np.abs(warp(f3, gt) - f2)[valid].mean() < 0.3 * still

    size = (256, 109)
    a, b = (np.asarray(Image.fromarray(f).resize(size, Image.BILINEAR)) for f in (f2, f3))
    flow, mask = flow_and_mask(a, b)
    assert 0.5 < mask.mean() <= 1.0
    dis = np.abs(warp(b, flow) - a)[mask].mean()
    small_gt = resize_flow(gt, *size)
    gt_mask = resize_mask(valid, *size)
    assert dis < 0.6 * np.abs(b.astype(np.float32) - a)[mask].mean()
    assert np.abs(warp(b, small_gt) - a)[gt_mask].mean() < 0.6 * np.abs(b.astype(np.float32) - a)[gt_mask].mean()


def test_resize_flow_scales_vectors_and_mask_is_conservative():
    flow = np.zeros((10, 20, 2), np.float32)
    flow[..., 0], flow[..., 1] = 4.0, -2.0
    small = resize_flow(flow, 10, 5)
    assert small.shape == (5, 10, 2)
    np.testing.assert_allclose(small[..., 0], 2.0)
    np.testing.assert_allclose(small[..., 1], -1.0)
    mask = np.ones((10, 20), bool)
    mask[0, 0] = False
    half = resize_mask(mask, 10, 5)
    assert not half[0, 0] and half.sum() == 49


def test_warp_batch_matches_warp_and_carries_gradients():
    """The training term's tensor warp is the metrics' `warp`: same convention, same samples, border repeated."""
    image = texture().astype(np.float32) / 255
    rng = np.random.default_rng(1)
    flow = rng.uniform(-6, 6, (1, 1, 2)).astype(np.float32) + rng.normal(0, 0.5, image.shape[:2] + (2,)).astype(
        np.float32
    )
    source = torch.from_numpy(image).permute(2, 0, 1)[None].requires_grad_(True)
    got = warp_batch(source, torch.from_numpy(flow).permute(2, 0, 1)[None])
    np.testing.assert_allclose(got[0].permute(1, 2, 0).detach().numpy(), warp(image, flow), atol=2e-3)
    got.sum().backward()
    assert source.grad is not None and source.grad.abs().sum() > 0
