"""Adaptive Instance Normalization (Huang & Belongie 2017) and what is built on it.

A style enters the network only through the per-channel mean and std of its
relu4_1 features, so a style is encoded once into `StyleStats` and then reused for
every frame; blending several styles is a weighted average of those statistics,
which equals the reference's weighted sum of AdaIN outputs exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .options import check_weights

EPS = 1e-5


@dataclass(frozen=True)
class StyleStats:
    """Per-channel mean and std of a style's features, shape [1, C, 1, 1], float32."""

    mean: torch.Tensor
    std: torch.Tensor

    def to(self, device: torch.device | str) -> StyleStats:
        return StyleStats(self.mean.to(device), self.std.to(device))


def mean_std(feat: torch.Tensor, eps: float = EPS) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample, per-channel mean and std (unbiased variance + eps, as the reference), in float32."""
    flat = feat.float().flatten(2)
    mean = flat.mean(dim=2)[..., None, None]
    std = (flat.var(dim=2) + eps).sqrt()[..., None, None]
    return mean, std


def adain(content: torch.Tensor, style: StyleStats, eps: float = EPS) -> torch.Tensor:
    """Re-normalise content features to the style's channel statistics."""
    c_mean, c_std = mean_std(content, eps)
    return ((content.float() - c_mean) / c_std * style.std + style.mean).to(content.dtype)


def blend(stats: Sequence[StyleStats], weights: Sequence[float] | None = None) -> StyleStats:
    """Interpolate between styles; weights (`options.check_weights`) are normalised to sum to one."""
    if not stats:
        raise ValueError("at least one style is needed")
    w = torch.tensor(check_weights(weights, len(stats)) or [1.0] * len(stats), dtype=torch.float32)
    w = w / w.sum()
    mean = sum(wi * s.mean for wi, s in zip(w, stats))
    std = sum(wi * s.std for wi, s in zip(w, stats))
    return StyleStats(mean, std)


def mix(stylized: torch.Tensor, content: torch.Tensor, alpha: float) -> torch.Tensor:
    """Content/style trade-off in feature space: alpha=1 is full style, 0 is the content."""
    if alpha == 1.0:
        return stylized
    return alpha * stylized + (1.0 - alpha) * content


def rgb_to_yuv(x: torch.Tensor) -> torch.Tensor:
    m = torch.tensor(
        [[0.299, 0.587, 0.114], [-0.14713, -0.28886, 0.436], [0.615, -0.51499, -0.10001]],
        dtype=x.dtype,
        device=x.device,
    )
    return torch.einsum("ij,bjhw->bihw", m, x)


def yuv_to_rgb(x: torch.Tensor) -> torch.Tensor:
    m = torch.tensor(
        [[1.0, 0.0, 1.13983], [1.0, -0.39465, -0.58060], [1.0, 2.03211, 0.0]], dtype=x.dtype, device=x.device
    )
    return torch.einsum("ij,bjhw->bihw", m, x)


def preserve_color(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Keep the stylized luminance and the content's chrominance (Gatys et al. 2016, luminance-only transfer).

    Chosen over re-colouring the style image because it is per-pixel and needs no
    per-frame style statistics, so it costs nothing in a video.
    """
    y = rgb_to_yuv(stylized.float())[:, :1]
    uv = rgb_to_yuv(content.float())[:, 1:]
    return yuv_to_rgb(torch.cat([y, uv], dim=1)).to(stylized.dtype)
