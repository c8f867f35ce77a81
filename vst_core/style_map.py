"""A student's style read through VGG-19, once per style.

A lite student's own encoder is too small to tell paintings it never saw apart: its style loss on held-out
paintings is about ten times that on the ones it trained on (docs/results/lite.md). A style is encoded once per
clip, so it can afford the full VGG-19: `VGGStylePath` reads the painting's relu1_1-relu4_1 channel means and
log-stds (2 x 960 numbers), and a learned linear map (`StyleMap`) turns them into the student's relu4_1 AdaIN
target. Frames still go through the student alone, so the per-frame cost is the student's.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .adain import StyleStats, mean_std
from .encoder import TAPS, VGG_WIDTHS, VGGEncoder

STYLE_MAP_FILE = "style_map.safetensors"
STYLE_VECTOR_SIZE = 2 * sum(VGG_WIDTHS)


def style_vector(feats: Sequence[torch.Tensor]) -> torch.Tensor:
    """The channel means and log-stds of an encoder's features, float32 [B, 2 x channels]: of VGG-19's
    relu1_1-relu4_1 (1,920 numbers), what a painting's texture is to AdaIN's style loss."""
    parts = []
    for feat in feats:
        mean, std = mean_std(feat)
        parts += [mean.flatten(1), std.log().flatten(1)]
    return torch.cat(parts, 1)


class StyleMap(nn.Module):
    """Standardize a style vector (`mu`, `sd`, fitted on training paintings), then map it linearly to a student's
    relu4_1 channel means and log-stds."""

    def __init__(self, channels: int, n_in: int = STYLE_VECTOR_SIZE) -> None:
        super().__init__()
        self.register_buffer("mu", torch.zeros(n_in))
        self.register_buffer("sd", torch.ones(n_in))
        self.linear = nn.Linear(n_in, 2 * channels)

    def forward(self, vector: torch.Tensor) -> StyleStats:
        mean, log_std = self.linear((vector - self.mu) / self.sd).float().chunk(2, dim=1)
        return StyleStats(mean[..., None, None], log_std.exp()[..., None, None])


class VGGStylePath(nn.Module):
    """Style images [B, 3, H, W] in [0, 1] to a student's AdaIN target, through frozen VGG-19 and a `StyleMap`."""

    def __init__(self, vgg: VGGEncoder, style_map: StyleMap) -> None:
        super().__init__()
        self.vgg = vgg.eval().requires_grad_(False)
        self.map = style_map

    def forward(self, images: torch.Tensor, feats: Sequence[torch.Tensor] | None = None) -> StyleStats:
        """`feats`: VGG-19's relu1_1-relu4_1 features of `images`, where the caller has them already (training)."""
        return self.map(style_vector(self.vgg(images, TAPS) if feats is None else feats))
