"""The inference pipeline: encoder + AdaIN + decoder, tuned for frame after frame.

What makes it fast: the style is encoded once (`encode_style`) and reused; on
CPUs with bf16 support the weights and activations run in bf16 with channels_last
(AdaIN statistics stay in float32); CUDA runs fp16; `compile=True` adds
torch.compile. Frames of any size are reflection-padded to a multiple of 8 and
cropped back, so a 1024x436 frame comes out 1024x436.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Literal, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .adain import StyleStats, adain, blend, mean_std, mix
from .adain import preserve_color as _preserve_color  # the function; `preserve_color` is the flag
from .checkpoint import architecture_of, load_checkpoint
from .decoder import Decoder
from .encoder import STRIDE, VGGEncoder
from .images import ImageError
from .options import check_alpha
from .style_map import VGGStylePath

Precision = Literal["auto", "fp32", "bf16", "fp16"]
MIN_STYLE_SIDE = 16  # three 2x poolings must leave relu4_1 room for its reflection padding
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for, but no CUDA device is available")
    return torch.device(device)


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bf16 natively (AVX512-BF16 or AMX); torch only says so through private calls."""
    probes = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in probes)


def resolve_precision(precision: Precision, device: torch.device, *, training: bool = False) -> torch.dtype:
    """The dtype a network runs in on `device`: the one place that decides what "auto" means, for the
    stylizers and for the training loops (`training=True`, where it is the autocast dtype).

    auto takes the fastest dtype the hardware computes natively. On the CPU that is bf16 where it has native
    bf16 (AVX512-BF16 or AMX; emulated bf16 is slower than fp32), else fp32, for inference and training
    alike. On CUDA, inference runs fp16: its 10-bit mantissa keeps frames closer to fp32 than bf16's 7, and
    AdaIN's statistics stay in float32. Training runs bf16 there (fp32 on GPUs without it): fp16's narrow
    range underflows gradients unless a loss scaler guards them, and the training loops have none. An
    explicit choice is taken as it is, except fp16 on the CPU, which is refused.
    """
    if precision == "auto":
        if device.type != "cuda":
            return torch.bfloat16 if cpu_has_bf16() else torch.float32
        if not training:
            return torch.float16
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    if precision not in _DTYPES:
        raise ValueError(f"precision must be one of auto, {', '.join(_DTYPES)}; got {precision!r}")
    if precision == "fp16" and device.type == "cpu":
        raise ValueError("fp16 is for CUDA; on the CPU use bf16 or fp32")
    return _DTYPES[precision]


def pad_to_multiple(x: torch.Tensor, multiple: int = STRIDE) -> torch.Tensor:
    """Pad bottom/right to a multiple of the encoder's stride, and to at least twice it so relu4_1 can be
    reflection-padded."""
    h, w = x.shape[-2:]
    ph, pw = max(-h % multiple, 2 * multiple - h), max(-w % multiple, 2 * multiple - w)
    if not (ph or pw):
        return x
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(x, (0, pw, 0, ph), mode=mode)


class VideoStylizer(Protocol):
    """What every stylization method offers the video pipeline, the CLI and the app.

    `encode_style` turns style images (float [1, 3, H, W] in [0, 1]) into an opaque
    handle, once; `stream` stylizes frames (uint8 [H, W, 3]) in order, so that
    methods that carry state from frame to frame (optical flow) fit too. `stream`
    yields each frame's output before it reads the next frame: the pipeline feeds
    several methods one decoded frame at a time. The pipeline checks the options
    first (`vst.core.options`: alpha within [0, 1], one valid weight per style), so
    a method need not check them again.
    """

    def encode_style(
        self, styles: torch.Tensor | Sequence[torch.Tensor], weights: Sequence[float] | None = None
    ) -> Any: ...

    def stream(
        self, frames: Iterable[np.ndarray], style: Any, alpha: float = 1.0, preserve_color: bool = False
    ) -> Iterator[np.ndarray]: ...


class Stylizer(nn.Module):
    """Arbitrary-style transfer of RGB frames in [0, 1], shape [B, 3, H, W].

    The encoder and decoder given are moved and cast in place, as `nn.Module.to` does: give each
    stylizer its own modules (`from_pretrained` loads fresh ones). A `style_path` reads the style instead of the
    encoder (a student's through VGG-19, `vst.core.style_map`); its map stays float32.
    """

    def __init__(
        self,
        encoder: VGGEncoder,
        decoder: Decoder,
        *,
        device: str = "auto",
        precision: Precision = "auto",
        compile: bool = False,
        config: dict[str, Any] | None = None,
        style_path: VGGStylePath | None = None,
    ) -> None:
        super().__init__()
        self.device = resolve_device(device)
        self.dtype = resolve_precision(precision, self.device)
        self.config = config or {}
        memory_format = torch.channels_last if self.dtype != torch.float32 or self.device.type == "cuda" else None
        self.encoder = encoder.to(self.device, self.dtype).eval().requires_grad_(False)
        self.decoder = decoder.to(self.device, self.dtype).eval().requires_grad_(False)
        self.style_path = style_path.to(self.device).eval().requires_grad_(False) if style_path is not None else None
        if self.style_path is not None:
            self.style_path.vgg.to(self.dtype)
        self.memory_format = memory_format or torch.contiguous_format
        if memory_format is not None:
            for module in (self.encoder, self.decoder, self.style_path):
                if module is not None:
                    module.to(memory_format=memory_format)
        self._encode = torch.compile(self.encoder, dynamic=True) if compile else self.encoder
        self._decode = torch.compile(self.decoder, dynamic=True) if compile else self.decoder

    @classmethod
    def from_pretrained(
        cls,
        directory: str | os.PathLike,
        *,
        device: str = "auto",
        precision: Precision = "auto",
        compile: bool = False,
        encoder_source: str | None = None,
    ) -> Stylizer:
        """Load a verified checkpoint folder (see `vst.core.checkpoint`)."""
        decoder, enc_state, config, style_path = load_checkpoint(directory, encoder_source)
        encoder = architecture_of(config).encoder()
        encoder.load_state_dict(enc_state)
        return cls(
            encoder, decoder, device=device, precision=precision, compile=compile, config=config, style_path=style_path
        )

    def _prepare(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        x = images.to(self.device, self.dtype, non_blocking=True)
        return x.contiguous(memory_format=self.memory_format)

    @torch.inference_mode()
    def encode_style(
        self, styles: torch.Tensor | Sequence[torch.Tensor], weights: Sequence[float] | None = None
    ) -> StyleStats:
        """Encode one style image [1, 3, H, W], or blend several (each its own size), once."""
        images = [styles] if isinstance(styles, torch.Tensor) else list(styles)
        stats = []
        for image in images:
            if min(image.shape[-2:]) < MIN_STYLE_SIDE:
                h, w = image.shape[-2:]
                raise ImageError(
                    f"a {w}x{h} style image is too small: a style needs {MIN_STYLE_SIDE} px a side or more"
                )
            x = self._prepare(image.reshape(1, *image.shape[-3:]))
            if self.style_path is not None:
                stats.append(self.style_path(x))
                continue
            (feat,) = self._encode(x)
            stats.append(StyleStats(*mean_std(feat)))
        return stats[0] if len(stats) == 1 and weights is None else blend(stats, weights)

    @torch.inference_mode()
    def forward(
        self, frames: torch.Tensor, style: StyleStats, alpha: float = 1.0, preserve_color: bool = False
    ) -> torch.Tensor:
        """Stylize a batch of frames (float in [0, 1] or uint8) and return float32 in [0, 1]."""
        alpha = check_alpha(alpha)
        h, w = frames.shape[-2:]
        x = pad_to_multiple(self._prepare(frames))
        (feat,) = self._encode(x)
        target = mix(adain(feat, style.to(self.device)), feat, alpha)
        out = self._decode(target)[..., :h, :w].float()
        if preserve_color:
            out = _preserve_color(out, x[..., :h, :w].float())
        return out.clamp_(0.0, 1.0)

    def stream(
        self,
        frames: Iterable[np.ndarray],
        style: StyleStats,
        alpha: float = 1.0,
        preserve_color: bool = False,
        batch_size: int = 1,
    ) -> Iterator[np.ndarray]:
        """Stylize uint8 [H, W, 3] frames in order, `batch_size` at a time, yielding uint8 frames."""
        batch: list[np.ndarray] = []

        def flush() -> Iterator[np.ndarray]:
            # Quantize inside inference mode (its tensors cannot be changed in place outside it), yield outside it.
            with torch.inference_mode():
                x = torch.from_numpy(np.stack(batch)).permute(0, 3, 1, 2)
                y = self(x, style, alpha, preserve_color).mul_(255.0).round_().to(torch.uint8)
                out = y.permute(0, 2, 3, 1).cpu().numpy()
            batch.clear()
            yield from out

        for frame in frames:
            batch.append(frame)
            if len(batch) == batch_size:
                yield from flush()
        if batch:
            yield from flush()
