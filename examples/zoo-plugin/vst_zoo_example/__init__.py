"""An example vst zoo plugin: colour transfer (Reinhard et al. 2001) as a stylization variant.

The `vst.zoo` entry point names `variants`, which returns the `zoo.Variant`s this
package adds. A variant's factory gets the weights folder (None here: colour
transfer has no weights) and the device/precision/compile options, and returns a
`VideoStylizer`: `encode_style` once per style, then `stream` over the frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from vst.zoo import Variant

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class ColorTransfer:
    """Match each frame's per-channel mean and std to the style's, in RGB.

    The frame statistics are an exponential moving average over the stream
    (`momentum`), so a small change of content does not make the colours jump.
    """

    def __init__(self, momentum: float = 0.9) -> None:
        self.momentum = momentum

    def encode_style(self, styles: Any, weights: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Per-channel mean and std of style images ([1, 3, H, W] tensors in [0, 1]), blended by `weights`."""
        images = list(styles) if isinstance(styles, list | tuple) else [styles]
        w = np.asarray(weights if weights is not None else [1.0] * len(images), dtype=np.float32)
        w = w / w.sum()
        pixels = [np.asarray(img.detach().cpu().float()).reshape(3, -1) for img in images]
        mean = sum(wi * p.mean(1) for wi, p in zip(w, pixels))
        std = sum(wi * p.std(1) for wi, p in zip(w, pixels))
        return mean.astype(np.float32), std.astype(np.float32)

    def stream(
        self,
        frames: Iterable[np.ndarray],
        style: tuple[np.ndarray, np.ndarray],
        alpha: float = 1.0,
        preserve_color: bool = False,
    ) -> Iterator[np.ndarray]:
        """Stylize uint8 [H, W, 3] frames in order; preserve_color transfers only the brightness."""
        style_mean, style_std = style
        mean = std = None
        for frame in frames:
            x = frame.astype(np.float32) / 255.0
            m, s = x.mean((0, 1)), x.std((0, 1))
            mean = m if mean is None else self.momentum * mean + (1 - self.momentum) * m
            std = s if std is None else self.momentum * std + (1 - self.momentum) * s
            y = (x - mean) / np.maximum(std, 1e-3) * style_std + style_mean
            if preserve_color:
                y = x + ((y - x) @ _LUMA)[..., None]
            out = alpha * y + (1.0 - alpha) * x
            yield (np.clip(out, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _color_transfer(folder: Path | None, **options: Any) -> ColorTransfer:
    return ColorTransfer()


def variants() -> list[Variant]:
    """What this plugin adds to the zoo."""
    return [
        Variant(
            "color-transfer",
            "Colour transfer (Reinhard et al. 2001): match the frame's colour statistics to the style's; no weights",
            factory=_color_transfer,
        )
    ]
