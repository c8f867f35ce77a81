"""Noise models and the moved window of the noise-resilience loss, on hand-made tensors."""

from __future__ import annotations

import pytest
import torch

from vst.core.noise import Motion, add_noise, random_motion


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


def test_a_motion_views_a_moved_window_and_aligns_its_output_with_the_crops():
    x = torch.arange(32.0 * 32).reshape(1, 1, 32, 32)
    motion = Motion(3, 5, trim=8)
    view = motion.view(x)
    assert view.shape == (1, 1, 24, 24) and view[0, 0, 0, 0] == x[0, 0, 3, 5]
    moved, still = motion.aligned(view, x)  # a network that works pixel by pixel: the same scene, the same pixels
    assert moved.shape == (1, 1, 12, 12) and torch.equal(moved, still)
    assert not torch.equal(*motion.aligned(view, torch.roll(x, 1, dims=3)))
    assert Motion().view(x) is x and Motion().aligned(x, x)[0] is x  # no motion: no copy, no edge


def test_random_motion_reaches_every_phase_of_the_pooling_grid_and_draws_nothing_without_one():
    gen = torch.Generator().manual_seed(3)
    state = gen.get_state()
    assert random_motion(0, gen) == Motion()
    assert torch.equal(gen.get_state(), state)  # a run without --noise-shift keeps its noise stream
    motions = [random_motion(7, torch.Generator().manual_seed(s)) for s in range(200)]
    assert {m.trim for m in motions} == {8}
    assert {m.dy for m in motions} == set(range(8)) == {m.dx for m in motions}
    assert random_motion(2, torch.Generator().manual_seed(7)) == random_motion(2, torch.Generator().manual_seed(7))
    assert random_motion(9, gen).trim == 16  # the window stays a whole number of pooling cells smaller
