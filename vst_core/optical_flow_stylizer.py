"""The optical-flow baseline: video style transfer by optimization (Ruder, Dosovitskiy & Brox 2016).

Each frame is an image optimized with L-BFGS (or Adam) against the Gatys et al.
content and style losses plus Ruder et al.'s short-term temporal loss, which
pulls the frame towards the previous output warped along the optical flow,
except where the flow is unreliable (occlusions, motion boundaries). Frames after
the first start from that warped output, as in the paper.

It is here to measure what the feed-forward stylizers are compared with, speed
included; it is slow by nature (hundreds of VGG forward and backward passes per
frame). Differences from the paper, all forced by what vst ships: the encoder is
the VGG-19 cut at relu4_1 (style taps relu1_1..relu4_1, content tap relu4_1
rather than relu4_2/relu5_1), the flow is OpenCV DIS rather than DeepFlow/EpicFlow,
and each loss is made scale-free (the style loss of a tap is relative to the
style's own Gram matrix, the content loss relative to the content's features),
so the weights below are not the paper's numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from .adain import preserve_color as _preserve_color  # the function; `preserve_color` is the flag
from .encoder import TAPS, VGGEncoder, load_encoder
from .flow import FlowMethod, flow_and_mask, warp
from .images import to_tensor, to_uint8
from .options import check_alpha, check_weights
from .stylizer import Precision, resolve_device, resolve_precision


@dataclass(frozen=True)
class GramStyle:
    """A style as the optimization sees it: one Gram matrix [C, C] per tap (float32)."""

    grams: list[torch.Tensor]


def gram(feat: torch.Tensor) -> torch.Tensor:
    """Channel co-activation of features [1, C, H, W], averaged over positions so that image size does not matter."""
    f = feat.float().flatten(2)[0]
    return f @ f.T / f.shape[1]


class OpticalFlowStylizer:
    """Ruder et al.-style optimization; a `VideoStylizer` (it needs no trained weights, only the encoder)."""

    def __init__(
        self,
        encoder: VGGEncoder,
        *,
        device: str = "auto",
        precision: Precision = "auto",
        iterations: tuple[int, int] = (2000, 1000),
        content_weight: float = 1.0,
        style_weight: float = 10.0,
        temporal_weight: float = 500.0,
        optimizer: Literal["lbfgs", "adam"] = "lbfgs",
        tolerance: float = 1e-4,
        check_every: int = 50,
        first_init: Literal["content", "noise"] = "content",
        flow_method: FlowMethod = "dis",
        seed: int = 0,
    ) -> None:
        """`iterations` = (first frame, later frames), Ruder et al.'s defaults; the optimization of a frame stops
        early when the loss changed by less than `tolerance` (relative) over `check_every` iterations, as theirs."""
        self.device = resolve_device(device)
        self.amp_dtype = resolve_precision(precision, self.device)
        self.encoder = encoder.to(self.device).eval().requires_grad_(False)
        self.iterations = iterations
        self.content_weight = content_weight
        self.style_weight = style_weight
        self.temporal_weight = temporal_weight
        self.optimizer = optimizer
        self.tolerance = tolerance
        self.check_every = check_every
        self.first_init = first_init
        self.flow_method = flow_method
        self.seed = seed
        self.evaluations: list[int] = []  # loss evaluations (VGG forward + backward) per frame of the last stream

    @classmethod
    def build(
        cls, *, device: str = "auto", precision: Precision = "auto", compile: bool = False, **options
    ) -> OpticalFlowStylizer:
        """With the default encoder; `compile` is accepted for the zoo's uniform options and ignored."""
        encoder, _ = load_encoder()
        return cls(encoder, device=device, precision=precision, **options)

    def _autocast(self):
        if self.amp_dtype == torch.float32:
            return nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _features(self, x: torch.Tensor) -> list[torch.Tensor]:
        with self._autocast():
            return self.encoder(x, TAPS)

    def encode_style(
        self, styles: torch.Tensor | Sequence[torch.Tensor], weights: Sequence[float] | None = None
    ) -> GramStyle:
        """Gram matrices of one style image [1, 3, H, W] in [0, 1], or their weighted mean for several."""
        images = [styles] if isinstance(styles, torch.Tensor) else list(styles)
        w = check_weights(weights, len(images)) or [1.0] * len(images)
        grams: list[torch.Tensor] | None = None
        with torch.no_grad():
            for wi, image in zip(w, images):
                feats = self._features(image.reshape(1, *image.shape[-3:]).to(self.device, torch.float32))
                g = [wi / sum(w) * gram(f) for f in feats]
                grams = g if grams is None else [a + b for a, b in zip(grams, g)]
        return GramStyle(grams)

    def _loss(
        self,
        x: torch.Tensor,
        content: torch.Tensor,
        style: GramStyle,
        style_weight: float,
        temporal: tuple[torch.Tensor, torch.Tensor] | None,
    ) -> torch.Tensor:
        feats = self._features(x)
        f4 = feats[-1].float()
        loss = self.content_weight * (f4 - content).pow(2).mean() / content.pow(2).mean()
        if style_weight:
            style_loss = sum((gram(f) - g).pow(2).sum() / g.pow(2).sum() for f, g in zip(feats, style.grams))
            loss = loss + style_weight * style_loss / len(style.grams)
        if temporal is not None:
            target, mask = temporal
            loss = loss + self.temporal_weight * (mask * (x - target).pow(2)).mean()
        return loss

    def _optimize(
        self,
        init: torch.Tensor,
        content: torch.Tensor,
        style: GramStyle,
        style_weight: float,
        temporal: tuple[torch.Tensor, torch.Tensor] | None,
        budget: int,
    ) -> tuple[torch.Tensor, int]:
        x = init.detach().contiguous().clone().requires_grad_(True)
        if self.optimizer == "lbfgs":
            opt = torch.optim.LBFGS(
                [x], lr=1.0, max_iter=self.check_every, history_size=100, tolerance_grad=0.0, tolerance_change=0.0
            )
        elif self.optimizer == "adam":
            opt = torch.optim.Adam([x], lr=0.02)
        else:
            raise ValueError(f"optimizer must be lbfgs or adam, got {self.optimizer!r}")

        latest, evaluations = [float("nan")], [0]

        def closure() -> torch.Tensor:
            opt.zero_grad(set_to_none=True)
            loss = self._loss(x, content, style, style_weight, temporal)
            loss.backward()
            latest[0] = loss.item()
            evaluations[0] += 1
            return loss

        done, last = 0, None
        while done < budget:
            chunk = min(self.check_every, budget - done)
            if self.optimizer == "lbfgs":
                opt.param_groups[0]["max_iter"] = chunk
                opt.step(closure)
            else:
                for _ in range(chunk):
                    opt.step(closure)
            done += chunk
            if last is not None and abs(last - latest[0]) <= self.tolerance * abs(last):
                break
            last = latest[0]
        return x.detach().clamp_(0.0, 1.0), evaluations[0]

    def stream(
        self, frames: Iterable[np.ndarray], style: GramStyle, alpha: float = 1.0, preserve_color: bool = False
    ) -> Iterator[np.ndarray]:
        """Stylize uint8 [H, W, 3] frames in order; each starts from the previous output warped onto it."""
        alpha = check_alpha(alpha)
        self.evaluations = []
        generator = torch.Generator().manual_seed(self.seed)
        prev_in: np.ndarray | None = None
        prev_out: np.ndarray | None = None
        for frame in frames:
            c = to_tensor(frame).to(self.device)
            with torch.no_grad():
                content = self._features(c)[-1].float()
            if prev_in is None:
                temporal = None
                init = c if self.first_init == "content" else torch.rand(c.shape, generator=generator).to(c)
                budget = self.iterations[0]
            else:
                # Flow from this frame to the previous one, on this frame's grid: the previous output warped
                # with it lands on this frame; the mask drops occluded and unreliable pixels.
                flow, valid = flow_and_mask(frame, prev_in, self.flow_method)
                warped = torch.from_numpy(warp(prev_out, flow)).permute(2, 0, 1)[None].to(self.device)
                mask = torch.from_numpy(valid)[None, None].float().to(self.device)
                temporal = (warped, mask)
                init = warped
                budget = self.iterations[1]
            x, used = self._optimize(init, content, style, self.style_weight * alpha, temporal, budget)
            self.evaluations.append(used)
            prev_in, prev_out = frame, x[0].permute(1, 2, 0).cpu().numpy()
            out = _preserve_color(x, c).clamp_(0.0, 1.0) if preserve_color else x
            yield to_uint8(out)
