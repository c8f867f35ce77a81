"""Training data: pools of frames held at a small size in memory, and random crops from them.

Content can be folders of images (searched recursively, which covers the
MPI-Sintel layout: its flow, occlusion and invalid-mask folders are skipped),
video files (frames sampled evenly) or single files. The pools are small because
crops are small: frames are stored with their short side at twice the crop size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from vst_core.video import frame_count, iter_frames

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v"}
SKIP_DIRS = {"flow", "flow_viz", "occlusions", "invalid"}


def find_files(paths: Iterable[str | Path]) -> list[Path]:
    """Image and video files under `paths`, sorted, in a stable order."""
    found: list[Path] = []
    for root in map(Path, paths):
        if root.is_file():
            found.append(root)
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"training data not found: {root}")
        for path in sorted(root.rglob("*")):
            if SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                found.append(path)
    if not found:
        raise FileNotFoundError(f"no images or videos under {', '.join(map(str, paths))}")
    return found


def _frames(path: Path, frames_per_video: int) -> Iterator[np.ndarray]:
    if path.suffix.lower() in VIDEO_SUFFIXES:
        every = max(1, frame_count(path) // frames_per_video)
        yield from islice(iter_frames(path, every=every), frames_per_video)
    else:
        yield np.array(Image.open(path).convert("RGB"))


def load_pool(paths: Iterable[str | Path], short_side: int, frames_per_video: int = 48) -> list[torch.Tensor]:
    """uint8 [3, H, W] tensors with their short side resized to `short_side`."""
    pool = []
    for path in find_files(paths):
        for frame in _frames(path, frames_per_video):
            t = torch.from_numpy(frame).permute(2, 0, 1)[None].float()
            h, w = t.shape[-2:]
            scale = short_side / min(h, w)
            size = (max(short_side, round(h * scale)), max(short_side, round(w * scale)))
            t = F.interpolate(t, size=size, mode="bilinear", antialias=True, align_corners=False)
            pool.append(t[0].round().clamp(0, 255).to(torch.uint8))
    return pool


def random_crops(pool: list[torch.Tensor], n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """n random size x size crops with random horizontal flips, float in [0, 1]."""
    crops = []
    for i in torch.randint(len(pool), (n,), generator=generator).tolist():
        img = pool[i]
        h, w = img.shape[-2:]
        y = int(torch.randint(h - size + 1, (1,), generator=generator))
        x = int(torch.randint(w - size + 1, (1,), generator=generator))
        crop = img[:, y : y + size, x : x + size]
        if torch.rand((), generator=generator) < 0.5:
            crop = crop.flip(-1)
        crops.append(crop)
    return torch.stack(crops).float() / 255.0
