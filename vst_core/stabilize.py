"""Inference-time stabilization: any method's output, steadied along the input's optical flow.

Each stylized frame is blended with the previous *stabilized* output, warped onto the current frame by
the optical flow between the two input frames (OpenCV DIS, both directions). Where the flow cannot be
trusted (occlusions, motion boundaries, the frame's edge, or a warped input that does not match the
current one) the fresh frame is kept as it is.

Averaging two textures washes out their contrast (two uncorrelated patterns average to 1/sqrt(2) of
their spread), which is what makes naive blending cost style. The blend here preserves variance
(Heitz & Neyret 2018): the local means are blended, and the blended detail is rescaled to the spread the
two frames had, so strokes keep their contrast however strong the blend. The finest band is rescaled to
the fresh frame's spread alone (see `variance_preserving_blend`).

The previous output is resampled bicubically: bilinear warping blurs a little at every sub-pixel shift,
and over a clip that blur (not the blend) is what cost most of the style. DIS runs at full resolution.

A scene cut (a frame that no flow explains: the flow is mostly inconsistent and the warped previous
input mostly differs from it) starts over from the fresh frame. Fast motion is not a cut: where DIS
loses track, the consistency checks keep the fresh frame pixel by pixel, and the rest is stabilized.
"""

from __future__ import annotations

import numpy as np

from .errors import missing_extra
from .flow import consistency_mask, warp
from .options import check_stabilize

try:
    import cv2
except ImportError as e:
    raise missing_extra(e, "stabilization", "metrics") from None

PRESET = cv2.DISOPTICAL_FLOW_PRESET_MEDIUM  # OpenCV's finest preset
FINEST_SCALE = 0  # DIS stops at 1/2**FINEST_SCALE of the frame's resolution
# px between DIS patches: less DIS time than the preset's 3, at nearly its warping error (benchmarks/stabilizer.py)
PATCH_STRIDE = 4
RESAMPLING = "cubic"  # bilinear warping blurs the texture a little more every frame, which costs style
MAX_WEIGHT = 0.85  # the previous output's weight at stabilize 1, where the flow is fully trusted
DETAIL_RADIUS = 4  # px: the window of the local means and spreads (about a brush stroke at 256-512 px)
FINE_SIGMA = 1.0  # px: the fine band, the grain that resampling blurs, is what a Gaussian of this sigma removes
MATCH_TOLERANCE = 0.1  # a warped input that differs from the current one by this much (|grey|, 0-1) counts half
# A scene cut: the flow is mostly inconsistent AND the warped previous input mostly fails to match (median
# |difference| in 0-1). Fast motion fails only the first: DIS loses the fast parts, the rest still matches.
CUT_TRUSTED, CUT_MISMATCH = 0.3, 0.06


class Stabilizer:
    """A stateful stage: `stabilizer(input, output)` for each frame of a clip, in order (uint8 [H, W, 3]).

    `stabilize` is how strongly, 0 (off) to 1 (the previous output weighs `MAX_WEIGHT` where the flow is trusted).
    """

    def __init__(self, stabilize: float) -> None:
        self.weight = check_stabilize(stabilize) * MAX_WEIGHT
        self._dis = cv2.DISOpticalFlow_create(PRESET)
        self._dis.setFinestScale(FINEST_SCALE)
        self._dis.setPatchStride(PATCH_STRIDE)
        self._prev: tuple[np.ndarray, np.ndarray] | None = None  # (gray input, stabilized output)
        self.cuts = 0

    def __call__(self, frame: np.ndarray, output: np.ndarray) -> np.ndarray:
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        prev, self._prev = self._prev, None
        if prev is not None and prev[0].shape == gray.shape and self.weight > 0:
            output = self._blend(gray, output, *prev)
        self._prev = (gray, output)
        return output

    def _blend(self, gray: np.ndarray, output: np.ndarray, prev_gray: np.ndarray, prev_out: np.ndarray) -> np.ndarray:
        back = self._dis.calc(gray, prev_gray, None)  # current -> previous, on the current frame's grid
        forward = self._dis.calc(prev_gray, gray, None)
        mismatch = np.abs(warp(prev_gray, back) - gray) / 255.0
        trusted = consistency_mask(back, forward)
        if trusted.mean() < CUT_TRUSTED and np.median(mismatch) > CUT_MISMATCH:
            self.cuts += 1
            return output
        weight = self.weight * trusted * np.exp(-((mismatch / MATCH_TOLERANCE) ** 2) * np.log(2))
        return variance_preserving_blend(output, warp(prev_out, back, RESAMPLING), weight)


def variance_preserving_blend(fresh: np.ndarray, previous: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Blend two RGB frames by a per-pixel weight of `previous`, keeping the local spread of their detail.

    Each frame splits into local means (box of `DETAIL_RADIUS`), a coarse detail band and a fine one (what a
    Gaussian of `FINE_SIGMA` removes). Means blend linearly. Each detail band is blended, then rescaled to a
    local variance: the coarse band to the weighted mean of the two frames' own, the fine band to the fresh
    frame's. Resampling blurs the carried frame's grain a little every frame; anchoring the fine band to the
    fresh frame restores it without feedback (sharpening the carried frame instead compounds over a clip).
    """
    size = (2 * DETAIL_RADIUS + 1,) * 2
    a = np.repeat(weight.astype(np.float32)[..., None], fresh.shape[-1], axis=-1)  # broadcasting [H, W, 1] is slow

    def bands(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = x.astype(np.float32)
        mean, smooth = cv2.blur(x, size), cv2.GaussianBlur(x, (0, 0), FINE_SIGMA)
        return mean, smooth - mean, x - smooth

    (mean_f, *details_f), (mean_p, *details_p) = bands(fresh), bands(previous)
    out = a * mean_p + (1 - a) * mean_f
    for detail_f, detail_p, anchored in zip(details_f, details_p, (False, True)):
        own = cv2.blur(detail_f * detail_f, size)
        want = own if anchored else a * cv2.blur(detail_p * detail_p, size) + (1 - a) * own
        detail = a * detail_p + (1 - a) * detail_f
        have = cv2.blur(detail * detail, size)
        out += detail * np.sqrt((want + 1.0) / (have + 1.0))  # +1: flat areas (under one code value) are left alone
    return np.clip(out, 0, 255).round().astype(np.uint8)
