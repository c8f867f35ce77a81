"""Noise models n(x), and the moved window (`Motion`), for the noise-resilience loss, on RGB images in [0, 1]."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch

from .encoder import STRIDE

NoiseKind = Literal["gaussian", "impulse"]
DEFAULT_AMOUNT = {"gaussian": 0.03, "impulse": 0.003}


def add_noise(
    x: torch.Tensor, kind: NoiseKind, amount: float | None = None, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Perturb a batch of frames.

    gaussian: dense N(0, amount^2) on every pixel and channel (amount is sigma).
    impulse: sparse salt-and-pepper on a fraction `amount` of the pixels (the
    original authors' 0.3%), the same pixel hit in all three channels.
    The noise is drawn on the CPU (where `generator` lives) and moved to the frames' device: the same seed gives the
    same noise on any device.
    """
    amount = DEFAULT_AMOUNT[kind] if amount is None else amount
    if kind == "gaussian":
        noise = torch.randn(x.shape, generator=generator, dtype=torch.float32).to(x.device)
        return (x + amount * noise.to(x.dtype)).clamp(0.0, 1.0)
    if kind == "impulse":
        b, _, h, w = x.shape
        hit = torch.rand((b, 1, h, w), generator=generator).to(x.device) < amount
        salt = (torch.rand((b, 1, h, w), generator=generator) < 0.5).to(x.device, x.dtype)
        return torch.where(hit, salt.expand_as(x), x)
    raise ValueError(f"unknown noise kind {kind!r}; choose gaussian or impulse")


EDGE = 16  # px of a moved window's edge left out of the comparison: there its padding sees another border


@dataclass(frozen=True)
class Motion:
    """The noise term's translation: the moved view is the crop's window at (dy, dx), `trim` pixels smaller, so the
    same scene sits at every phase of the networks' pooling grid (a translation by 1-7 px is where a strided network's
    texture jumps, not one by 8). Its output is compared with the same pixels of the crop's output."""

    dy: int = 0
    dx: int = 0
    trim: int = 0

    def view(self, x: torch.Tensor) -> torch.Tensor:
        """The moved view of a batch [B, C, H, W]."""
        if not self.trim:
            return x  # no copy of the batch when it stays put
        return x[..., self.dy : x.shape[-2] - self.trim + self.dy, self.dx : x.shape[-1] - self.trim + self.dx]

    def aligned(self, moved: torch.Tensor, still: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`moved` (an output for the view) without its edge, and the same scene's pixels of `still` (for the crop)."""
        if not self.trim:
            return moved, still
        e = min(EDGE, min(moved.shape[-2:]) // 4)  # small test crops keep half their window
        h, w = moved.shape[-2] - 2 * e, moved.shape[-1] - 2 * e
        y, x = self.dy + e, self.dx + e
        return moved[..., e : e + h, e : e + w], still[..., y : y + h, x : x + w]


def random_motion(max_shift: int, generator: torch.Generator | None = None) -> Motion:
    """A `Motion` of up to `max_shift` px on each axis; none, and no draw from `generator`, when `max_shift` is 0."""
    if not max_shift:
        return Motion()
    dy, dx = torch.randint(0, max_shift + 1, (2,), generator=generator).tolist()
    return Motion(dy, dx, STRIDE * math.ceil(max_shift / STRIDE))
