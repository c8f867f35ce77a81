"""Noise models n(x) for the noise-resilience loss, on RGB images in [0, 1]."""

from __future__ import annotations

from typing import Literal

import torch

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


def random_shift(max_shift: int, generator: torch.Generator | None = None) -> tuple[int, int]:
    """A random translation (dy, dx), each in [-max_shift, max_shift]: a stand-in for motion between frames."""
    dy, dx = torch.randint(-max_shift, max_shift + 1, (2,), generator=generator).tolist()
    return dy, dx


def random_motion(max_shift: int, generator: torch.Generator | None = None) -> tuple[tuple[int, int], int]:
    """The noise term's translation and the margin to drop where its roll wrapped: ((dy, dx), margin). No motion
    and no margin, and no draw from `generator`, when `max_shift` is 0."""
    if not max_shift:
        return (0, 0), 0
    return random_shift(max_shift, generator), max_shift + 1


def shift(x: torch.Tensor, offset: tuple[int, int], margin: int = 0) -> torch.Tensor:
    """Translate a batch by `offset` pixels and drop `margin` pixels on every side, where the roll wrapped around."""
    y = torch.roll(x, offset, dims=(2, 3)) if any(offset) else x  # no copy of the batch when it stays put
    return y[..., margin:-margin, margin:-margin] if margin else y
