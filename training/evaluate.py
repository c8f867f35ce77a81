"""The learning curve that matters: the style ratio on held-out paintings, logged while training runs.

A training loss falls on the styles it sees; what the product promises is any
style. Every `--eval-every` steps the network stylizes a fixed set of photos that
training never reads with a few trained and a few held-out paintings, and
`eval.csv` gets the style ratio of both and their gap (the full measurement, at
the sizes users run, is `benchmarks/quality.py`).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import numpy as np
import torch
from torch import nn

from vst.core import TAPS, VGGEncoder
from vst.core.images import load_image
from vst.core.metrics import content_distance, style_ratio, style_targets

CONTENT_SIZE, STYLE_SIZE = 256, 512
STYLES_PER_SET = 8


def spread(items: list[Path], n: int) -> list[Path]:
    """n items evenly spaced through a sorted list (all of them if there are fewer)."""
    return [items[i] for i in np.linspace(0, len(items) - 1, min(n, len(items))).round().astype(int)]


class HeldOutEval:
    """Style ratio and content distance of a network on fixed photos x (trained, unseen) paintings, measured with
    VGG-19 whichever encoder the network has."""

    def __init__(self, encoder: VGGEncoder, contents: list[Path], trained: list[Path], unseen: list[Path]) -> None:
        self.encoder = encoder
        device = next(encoder.parameters()).device
        self.photos = [load_image(p, CONTENT_SIZE).to(device) for p in contents]
        self.paintings = {
            name: [load_image(p, STYLE_SIZE).to(device) for p in spread(sorted(files), STYLES_PER_SET)]
            for name, files in (("trained", trained), ("unseen", unseen))
        }
        with torch.inference_mode():
            self.contents = [encoder(photo, TAPS) for photo in self.photos]
            self.styles = {name: [style_targets(encoder, p) for p in images] for name, images in self.paintings.items()}

    @torch.inference_mode()
    def measure(self, network: nn.Module, autocast: Callable[[], AbstractContextManager]) -> dict[str, float]:
        """Mean style ratio per set, their gap, and the unseen set's content distance.

        `network` is the trainer's: `network.style(image)` and `network(photo, style) -> (image, target)`.
        """
        was_training = network.training
        network.eval()
        result: dict[str, float] = {}
        for name, styles in self.styles.items():
            ratios, distances = [], []
            for painting, targets in zip(self.paintings[name], styles):
                with autocast():
                    style = network.style(painting)
                for photo, content in zip(self.photos, self.contents):
                    with autocast():
                        out = network(photo, style)[0].float().clamp(0, 1)
                    feats = self.encoder(out, TAPS)
                    ratios.append(style_ratio(feats, content, targets))
                    distances.append(content_distance(feats[-1], content[-1], targets[-1]))
            # an empty set (no held-out painting under --style) is nan: there is nothing to measure
            result[f"{name}_style_ratio"] = float(np.mean(ratios)) if ratios else math.nan
            result[f"{name}_content_distance"] = float(np.mean(distances)) if distances else math.nan
        result["gap"] = result["unseen_style_ratio"] - result["trained_style_ratio"]
        network.train(was_training)
        return result

    def log(self, path: Path, step: int, network: nn.Module, autocast: Callable[[], AbstractContextManager]) -> None:
        """Append one row to the eval CSV (with a header when it is new)."""
        result = self.measure(network, autocast)
        new = not path.exists()
        with open(path, "a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(["step", *result])
            writer.writerow([step, *(f"{v:.5f}" for v in result.values())])
