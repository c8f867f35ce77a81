"""How stable and how stylized a stylized video is: the poster's metrics, the standard one, and style fidelity.

Temporal stability
- `temporal_error`: the poster's E_temporal / E_tempAvg (Bao & Swarnakar), as printed:

      E_temporal(x^, y^) = sum_{t=1}^{T-1} ((x^t - x^{t+1}) - (y^t - y^{t+1}))^2 / (x^t_k - x^{t+1}_k + eps)
      E_tempAvg = E_temporal / (T - 1)

  x^ are the input frames, y^ the stylized ones, both as floats in [0, 1]. How we read it: k indexes the
  pixel (and colour channel); the fraction is taken element-wise, so each term compares how much the output
  changed with how much the input changed at that very pixel, and the inner sum over k is a mean over the
  H x W x 3 elements, so that the number does not grow with the resolution. The printed denominator is
  signed and can be zero or negative, which would let terms cancel or explode; we use its magnitude,
  |x^t_k - x^{t+1}_k| + eps, with eps = 1/255 (one 8-bit code value: input changes below it are
  quantization, not motion). So static input regions where the output flickers weigh up to 255x more than
  moving ones, which is what the poster's metric is after.
- `warping_error`: the flow-warping error of Lai et al. 2018: stylized frame t+1 warped onto frame t with the
  optical flow t -> t+1 of the *input* video, squared difference averaged over non-occluded pixels and the
  three channels, images in [0, 1] (as their evaluate_WarpError.py). Flow and occlusions come from ground
  truth where it exists (MPI-Sintel), else from `vst.core.flow.flow_and_mask` (OpenCV DIS + checks).
- `sharpness` (mean gradient magnitude) and `ghosting` (difference from a reference output over the pixels
  that motion `revealed`): what a stabilizer must keep and must not leave behind.
- `ssim`: SSIM between each stylized frame and its input frame (the poster's protocol; scikit-image,
  uniform 7x7 windows, RGB channels averaged), averaged over frames: structure kept from the input.

Style fidelity, so that stability is never bought by washing the style out
- `style_distance`: for each VGG tap relu1_1..relu4_1, the squared distance between the output's and the
  style's channel means and stds, divided by the squared magnitude of the style's own means and stds at that
  tap; the four relative errors are averaged, so colour (relu1_1) counts as much as texture (relu4_1).
- `style_ratio`: the output's style distance over the unstylized content's: 0 is the style's statistics,
  1 no change at all.
- `colour_stats`: the mean and spread (std) of a*b* in CIELAB, the colour a viewer sees whatever the texture;
  `colour_distance` compares an output's with its style's.
- `content_distance`: relu4_1 distance to the AdaIN target AdaIN(f(content), f(style)) relative to the
  target's magnitude (Huang & Belongie's content loss, made scale-free); it depends only on the content and
  the style, so it scores any method, optimization-based ones included.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import torch

from .adain import StyleStats, adain, mean_std
from .encoder import TAPS, VGGEncoder
from .errors import missing_extra
from .flow import FlowMethod, flow_and_mask, inside, warp
from .images import to_tensor

try:
    from skimage.color import rgb2lab
    from skimage.metrics import structural_similarity
except ImportError as e:
    raise missing_extra(e, "the quality and temporal metrics", "metrics") from None

TEMPORAL_EPS = 1.0 / 255.0


def _unit(frame: np.ndarray) -> np.ndarray:
    """uint8 (or float in [0, 1]) frame -> float64 in [0, 1]."""
    return frame.astype(np.float64) / 255.0 if frame.dtype == np.uint8 else frame.astype(np.float64)


def temporal_term(
    input_t: np.ndarray, input_t1: np.ndarray, output_t: np.ndarray, output_t1: np.ndarray, eps: float = TEMPORAL_EPS
) -> float:
    """One summand of E_temporal (frames t and t+1), averaged over pixels and channels; see the module doc."""
    dx = _unit(input_t) - _unit(input_t1)
    dy = _unit(output_t) - _unit(output_t1)
    return float(((dx - dy) ** 2 / (np.abs(dx) + eps)).mean())


def temporal_error(
    inputs: Sequence[np.ndarray], outputs: Sequence[np.ndarray], eps: float = TEMPORAL_EPS, average: bool = True
) -> float:
    """E_tempAvg of a clip (E_temporal when `average=False`); inputs and outputs are matching frame sequences."""
    if len(inputs) != len(outputs) or len(inputs) < 2:
        raise ValueError(f"need two or more matching frames, got {len(inputs)} inputs and {len(outputs)} outputs")
    total = sum(
        temporal_term(inputs[t], inputs[t + 1], outputs[t], outputs[t + 1], eps) for t in range(len(inputs) - 1)
    )
    return total / (len(inputs) - 1) if average else total


def ssim(input_frame: np.ndarray, output_frame: np.ndarray) -> float:
    """SSIM between a stylized frame and its input (uint8 RGB [H, W, 3])."""
    if input_frame.shape != output_frame.shape:
        raise ValueError(f"frames differ in size: {input_frame.shape} and {output_frame.shape}")
    return float(structural_similarity(input_frame, output_frame, channel_axis=-1, data_range=255))


def warping_error(output_t: np.ndarray, output_t1: np.ndarray, flow: np.ndarray, valid: np.ndarray) -> float:
    """Lai et al.'s warping error of one frame pair: output t+1 warped onto t with the input's flow t -> t+1.

    `valid` ([H, W] bool, on frame t's grid) marks the non-occluded pixels; NaN when there are none.
    """
    if not valid.any():
        return math.nan
    diff = warp(_unit(output_t1), flow) - _unit(output_t)
    return float((diff[valid] ** 2).mean())


class TemporalMetrics:
    """Streaming temporal metrics of one clip: feed (input, output) frames in order, read `result()`.

    Only the previous pair is kept. The flow from the previous input frame to the current one (and its
    validity mask on the previous frame's grid) can be given, e.g. MPI-Sintel ground truth; otherwise it is
    estimated from the input frames with `flow_method`, or, with `estimate_flow=False`, the pair is left out
    of the warping error.
    """

    def __init__(self, eps: float = TEMPORAL_EPS, flow_method: FlowMethod = "dis", estimate_flow: bool = True) -> None:
        self.eps = eps
        self.flow_method = flow_method
        self.estimate_flow = estimate_flow
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self.frames = 0
        self.temporal_terms: list[float] = []
        self.warping_errors: list[float] = []  # NaN for pairs without flow
        self._ssim_sum = 0.0

    def update(
        self,
        input_frame: np.ndarray,
        output_frame: np.ndarray,
        flow: np.ndarray | None = None,
        valid: np.ndarray | None = None,
    ) -> None:
        """Add the next frame pair (uint8 [H, W, 3] each); `flow`/`valid` describe previous -> this input frame."""
        if input_frame.shape != output_frame.shape:
            raise ValueError(f"input {input_frame.shape} and output {output_frame.shape} differ in size")
        self._ssim_sum += ssim(input_frame, output_frame)
        self.frames += 1
        if self._prev is not None:
            prev_in, prev_out = self._prev
            self.temporal_terms.append(temporal_term(prev_in, input_frame, prev_out, output_frame, self.eps))
            if flow is None and self.estimate_flow:
                flow, valid = flow_and_mask(prev_in, input_frame, self.flow_method)
            if flow is not None:
                mask = inside(flow) if valid is None else valid
                self.warping_errors.append(warping_error(prev_out, output_frame, flow, mask))
            else:
                self.warping_errors.append(math.nan)
        self._prev = (input_frame, output_frame)

    def result(self) -> dict[str, float]:
        """temporal_error (E_tempAvg), temporal_error_total (E_temporal), ssim (mean), warping_error (mean)."""
        measured = [e for e in self.warping_errors if not math.isnan(e)]
        return {
            "temporal_error": float(np.mean(self.temporal_terms)) if self.temporal_terms else math.nan,
            "temporal_error_total": float(np.sum(self.temporal_terms)),
            "ssim": self._ssim_sum / self.frames if self.frames else math.nan,
            "warping_error": float(np.mean(measured)) if measured else math.nan,
            "frames": self.frames,
            "warped_pairs": len(measured),
        }


def revealed(flow: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The pixels of frame t+1 that no trusted pixel of frame t lands on, given the flow t -> t+1 and its mask.

    Each trusted pixel marks the (up to four) pixels around the point it lands on, so that a stretching motion
    leaves no holes and a translation by whole pixels is exact.
    """
    height, width = valid.shape
    y, x = np.nonzero(valid)
    to_x, to_y = x + flow[y, x, 0], y + flow[y, x, 1]
    landed = np.zeros_like(valid)
    for tx, ty in itertools.product((np.floor(to_x), np.ceil(to_x)), (np.floor(to_y), np.ceil(to_y))):
        tx, ty = tx.astype(np.intp), ty.astype(np.intp)
        keep = (tx >= 0) & (tx < width) & (ty >= 0) & (ty < height)
        landed[ty[keep], tx[keep]] = True
    return ~landed


def sharpness(frame: np.ndarray) -> float:
    """Mean gradient magnitude (forward differences, channels averaged) of a uint8 frame, in [0, 1] units."""
    image = frame.astype(np.float64) / 255.0
    dx, dy = np.diff(image, axis=1)[:-1], np.diff(image, axis=0)[:, :-1]
    return float(np.sqrt(dx**2 + dy**2).mean())


def ghosting(output: np.ndarray, reference: np.ndarray, where: np.ndarray) -> float:
    """Mean squared difference of two uint8 frames over the pixels `where`, in [0, 1] units; NaN where none."""
    if not where.any():
        return math.nan
    diff = (output.astype(np.float64) - reference.astype(np.float64)) / 255.0
    return float((diff[where] ** 2).mean())


def style_targets(encoder: VGGEncoder, style_image: torch.Tensor) -> list[StyleStats]:
    """Channel means and stds of a style image ([1, 3, H, W] in [0, 1]) at relu1_1..relu4_1."""
    with torch.inference_mode():
        feats = encoder(style_image.to(next(encoder.parameters())), TAPS)
    return [StyleStats(*mean_std(f)) for f in feats]


def style_distance(output_feats: Sequence[torch.Tensor], targets: Sequence[StyleStats]) -> float:
    """Mean over taps of |stats(output) - stats(style)|^2 / |stats(style)|^2, stats = channel means and stds."""
    if len(output_feats) != len(targets):
        raise ValueError(f"{len(output_feats)} feature taps but {len(targets)} style targets")
    errors = []
    for feat, want in zip(output_feats, targets):
        mean, std = mean_std(feat)
        err = (mean - want.mean).pow(2).sum() + (std - want.std).pow(2).sum()
        errors.append(err / (want.mean.pow(2).sum() + want.std.pow(2).sum()))
    return float(torch.stack(errors).mean())


def content_distance(output_feat: torch.Tensor, content_feat: torch.Tensor, style: StyleStats) -> float:
    """|f(output) - AdaIN(f(content), style)|^2 / |AdaIN target|^2 at relu4_1."""
    target = adain(content_feat.float(), style)
    return float((output_feat.float() - target).pow(2).mean() / target.pow(2).mean())


class StyleMetrics:
    """Streaming style and content distances of a stylized clip to one style image (fp32 VGG, any device)."""

    def __init__(self, encoder: VGGEncoder, style: torch.Tensor | Sequence[StyleStats]) -> None:
        """`style`: the style image [1, 3, H, W] in [0, 1], or its `style_targets` computed once for many clips."""
        self.encoder = encoder
        self.targets = style_targets(encoder, style) if isinstance(style, torch.Tensor) else list(style)
        self._style: list[float] = []
        self._content: list[float] = []

    def _tensor(self, frame: np.ndarray) -> torch.Tensor:
        return to_tensor(frame).to(next(self.encoder.parameters()))

    def update(self, input_frame: np.ndarray, output_frame: np.ndarray) -> None:
        with torch.inference_mode():
            out_feats = self.encoder(self._tensor(output_frame), TAPS)
            (content_feat,) = self.encoder(self._tensor(input_frame))
        self._style.append(style_distance(out_feats, self.targets))
        self._content.append(content_distance(out_feats[-1], content_feat, self.targets[-1]))

    def result(self) -> dict[str, float]:
        return {
            "style_distance": float(np.mean(self._style)) if self._style else math.nan,
            "content_distance": float(np.mean(self._content)) if self._content else math.nan,
        }


def style_ratio(
    output_feats: Sequence[torch.Tensor], content_feats: Sequence[torch.Tensor], targets: Sequence[StyleStats]
) -> float:
    """Style distance of the output over that of the unstylized content: 0 is the style's statistics, 1 no change."""
    return style_distance(output_feats, targets) / style_distance(content_feats, targets)


def colour_stats(image: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean and std of a* and b* (CIELAB, D65) over the pixels of an RGB image [1, 3, H, W] in [0, 1]."""
    ab = rgb2lab(image[0].permute(1, 2, 0).float().clamp(0, 1).numpy())[..., 1:].reshape(-1, 2)
    return ab.mean(axis=0), ab.std(axis=0)


def colour_distance(output: torch.Tensor, style: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """How far the output's palette is from the style's: the a*b* distance of the means (CIELAB units)
    and the ratio of the spreads (1 = as colourful as the style)."""
    mean, std = colour_stats(output)
    return {
        "colour_mean_distance": float(np.linalg.norm(mean - style[0])),
        "colour_spread_ratio": float(std.mean() / style[1].mean()),
    }
