"""Noise models and the random shift of the noise-resilience loss, on hand-made tensors."""

from __future__ import annotations

import pytest
import torch

from vst.core.noise import add_noise, random_motion, random_shift, shift


def test_gaussian_noise_has_the_requested_sigma():
    x = torch.full((2, 3, 64, 64), 0.5)
    noisy = add_noise(x, "gaussian", 0.03, torch.Generator().manual_seed(0))
    assert (noisy - x).std().item() == pytest.approx(0.03, rel=0.05)


def test_impulse_noise_hits_the_requested_fraction_in_all_channels():
    x = torch.full((4, 3, 64, 64), 0.5)
    noisy = add_noise(x, "impulse", 0.1, torch.Generator().manual_seed(0))
    hit = noisy != 0.5
    assert hit.all(dim=1).eq(hit.any(dim=1)).all()  # the same pixels in R, G and B
    assert hit[:, 0].float().mean().item() == pytest.approx(0.1, abs=0.01)


def test_shift_moves_content_and_drops_the_wrapped_border():
    x = torch.arange(36.0).reshape(1, 1, 6, 6)
    moved = shift(x, (1, -2))
    assert moved[0, 0, 1, 0] == x[0, 0, 0, 2]  # (y, x) came from (y - 1, x + 2)
    assert shift(x, (0, 0), margin=2).shape == (1, 1, 2, 2)
    assert shift(x, (1, -2), margin=2)[0, 0, 0, 0] == x[0, 0, 1, 4]


def test_random_shift_stays_in_range_and_follows_the_generator():
    offsets = {random_shift(2, torch.Generator().manual_seed(s)) for s in range(50)}
    assert all(-2 <= d <= 2 for offset in offsets for d in offset)
    assert len(offsets) > 10
    assert random_shift(3, torch.Generator().manual_seed(7)) == random_shift(3, torch.Generator().manual_seed(7))


def test_random_motion_drops_a_margin_past_the_shift_and_draws_nothing_without_one():
    gen = torch.Generator().manual_seed(3)
    state = gen.get_state()
    assert random_motion(0, gen) == ((0, 0), 0)
    assert torch.equal(gen.get_state(), state)  # a run without --noise-shift keeps its noise stream
    offset, margin = random_motion(2, gen)
    assert offset == random_shift(2, torch.Generator().manual_seed(3)) and margin == 3
