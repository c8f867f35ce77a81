"""Training objectives: AdaIN content and style losses, and the noise-resilience loss.

VGG activations on Caffe-scaled input grow with depth (relu1_1 about 25, relu4_1
about 650), so unnormalised losses are dominated by relu4_1 and colour (relu1_1)
barely counts. Each tap is divided by a fixed scale (its mean activation over the
training data, recorded in the checkpoint), which plays the role of the AdaIN
authors' normalised VGG and keeps their style weight of 10 meaningful.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .adain import StyleStats, mean_std

TapStats = list[StyleStats]


def tap_stats(feats: Sequence[torch.Tensor], scales: Sequence[float]) -> TapStats:
    """Per-tap channel statistics of scaled features (what the style loss compares)."""
    return [StyleStats(*mean_std(f / s)) for f, s in zip(feats, scales)]


def content_loss(out_feat: torch.Tensor, target: torch.Tensor, scale: float) -> torch.Tensor:
    """MSE at relu4_1 between the output's features and the AdaIN target (Huang & Belongie eq. 12)."""
    return F.mse_loss(out_feat.float() / scale, target.float() / scale)


def style_loss(out_feats: Sequence[torch.Tensor], style: TapStats, scales: Sequence[float]) -> torch.Tensor:
    """Sum over taps of the MSE between channel means and between channel stds (eq. 13)."""
    loss = torch.zeros((), device=out_feats[0].device)
    for got, want in zip(tap_stats(out_feats, scales), style):
        loss = loss + F.mse_loss(got.mean, want.mean) + F.mse_loss(got.std, want.std)
    return loss


def distillation_loss(
    student: Sequence[torch.Tensor],
    teacher: Sequence[torch.Tensor],
    embed: Sequence[torch.nn.Module],
    scales: Sequence[float],
) -> torch.Tensor:
    """Sum over taps of the MSE between the student's features, mapped by a 1x1 embedding, and the teacher's
    (collaborative distillation, Wang et al. 2020), each tap in the teacher's scale."""
    loss = torch.zeros((), device=student[0].device)
    for s, t, e, scale in zip(student, teacher, embed, scales):
        loss = loss + F.mse_loss(e(s).float() / scale, t.float() / scale)
    return loss


def noise_resilience_loss(clean: torch.Tensor, noisy: torch.Tensor) -> torch.Tensor:
    """L_N = mean squared difference between g(n(x)) and g(x) (Bao & Swarnakar)."""
    return F.mse_loss(noisy.float(), clean.float())
