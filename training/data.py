"""Training data: a stream of random crops read from disk, the same whatever the worker count.

Content can be folders of images (searched recursively, which covers the
MPI-Sintel layout: its flow, occlusion and invalid-mask folders are skipped),
video files or single files. Video frames are sampled evenly and extracted once
into a frame cache, so that every item of the stream is an image file: nothing
is held in memory but the batches in flight, which is what lets the same loop
run on a few hundred paintings or on MS-COCO + WikiArt.

Each step's batch is a pure function of (seed, rank, step): item `step` of a
`CropStream` always holds the same crops, so a run resumed at step k sees exactly
the batches the uninterrupted run saw, with any number of `DataLoader` workers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision.transforms.v2.functional as TF
from PIL import Image
from safetensors import safe_open
from torch.utils.data import DataLoader, Dataset

from vst.core.errors import VstError
from vst.core.media import IMAGE_SUFFIXES, VIDEO_SUFFIXES
from vst.core.video import frame_count, iter_frames

SKIP_DIRS = {"flow", "flow_viz", "occlusions", "invalid"}
FRAME_LONG_SIDE = 512  # cached video frames, the size the training images come at


class DataError(VstError):
    """Training data that cannot be found or read; its message names the file or folder."""


Row = tuple[Path, int]  # a sample of a dataset on disk: (safetensors shard, index along its first dimension)


def shard_rows(paths: Iterable[Path], key: str) -> list[Row]:
    """Every sample of the given shards, counted from `key`'s first dimension without reading any tensor: the
    written-once datasets (`training.teacher_data`, `training.frame_pairs`) are read a sample at a time."""
    rows: list[Row] = []
    for path in paths:
        with safe_open(str(path), "pt") as f:
            rows += [(path, i) for i in range(f.get_slice(key).get_shape()[0])]
    return rows


def read_row(row: Row, keys: Iterable[str]) -> list[torch.Tensor]:
    """One sample of a shard, each of `keys` as a [1, ...] tensor."""
    path, i = row
    with safe_open(str(path), "pt") as f:
        return [f.get_slice(key)[i : i + 1] for key in keys]


def shard_metadata(path: Path) -> dict[str, str]:
    """A shard's safetensors metadata: what it was written from."""
    with safe_open(str(path), "pt") as f:
        return f.metadata()


def find_files(paths: Iterable[str | Path], exclude: Iterable[str] = ()) -> list[Path]:
    """Image and video files under `paths`, sorted, in a stable order; file names in `exclude` are left out."""
    paths = list(paths)
    skip = set(exclude)
    found: list[Path] = []
    for root in map(Path, paths):
        if root.is_file():
            found.append(root)
            continue
        if not root.is_dir():
            raise DataError(f"training data not found: {root}")
        for path in sorted(root.rglob("*")):
            if SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
                continue
            if path.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES:
                found.append(path)
    found = [path for path in found if path.name not in skip]
    if not found:
        raise DataError(f"no images or videos under {', '.join(map(str, paths))}")
    return found


def extract_frames(video: Path, cache: Path, frames_per_video: int) -> list[Path]:
    """`frames_per_video` evenly spaced frames of `video` as JPEG files under `cache` (written once, then reused)."""
    stat = video.stat()
    key = hashlib.sha256(f"{video.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{frames_per_video}".encode()).hexdigest()
    folder = cache / f"{video.stem}-{key[:12]}"
    done = folder / "DONE"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        every = max(1, frame_count(video) // frames_per_video)
        for i, frame in enumerate(iter_frames(video, every=every, max_frames=frames_per_video)):
            image = Image.fromarray(frame)
            image.thumbnail((FRAME_LONG_SIDE, FRAME_LONG_SIDE), Image.Resampling.LANCZOS)
            image.save(folder / f"{i:05d}.jpg", quality=90)
        done.touch()
    return sorted(folder.glob("*.jpg"))


def image_files(paths: Iterable[str | Path], cache: Path, frames_per_video: int) -> list[Path]:
    """Every training image under `paths`, video frames included (through the frame cache)."""
    files: list[Path] = []
    for path in find_files(paths):
        if path.suffix.lower() in VIDEO_SUFFIXES:
            files.extend(extract_frames(path, cache, frames_per_video))
        else:
            files.append(path)
    return files


@dataclass(frozen=True)
class Augment:
    """Random changes to a crop, each drawn per crop. The defaults change nothing.

    scale: the image's short side is resized to a random multiple of the crop size
    in [scale[0], scale[1]] before cropping (AdaIN's recipe, 512 px images and
    256 px crops, is (2, 2)); hue: the largest hue rotation, in turns (0.5 = any hue);
    jitter: the largest relative change of brightness, contrast and saturation;
    grayscale: the probability of a grey crop.
    """

    scale: tuple[float, float] = (2.0, 2.0)
    hue: float = 0.0
    jitter: float = 0.0
    grayscale: float = 0.0

    def __post_init__(self) -> None:
        if min(self.scale) < 1:  # every trainer's crops, and the teacher's, meet this one check
            raise DataError(f"the crop scale must be at least 1 (the crop fits the image), got {self.scale}")

    def colour(self, crop: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
        """Hue, brightness/contrast/saturation and grey, on a uint8 [3, H, W] crop."""
        if self.hue:
            crop = TF.adjust_hue(crop, float(rng.uniform(-self.hue, self.hue)))
        if self.jitter:
            lo, hi = 1 - self.jitter, 1 + self.jitter
            crop = TF.adjust_brightness(crop, float(rng.uniform(lo, hi)))
            crop = TF.adjust_contrast(crop, float(rng.uniform(lo, hi)))
            crop = TF.adjust_saturation(crop, float(rng.uniform(lo, hi)))
        if self.grayscale and rng.random() < self.grayscale:
            crop = TF.rgb_to_grayscale(crop, num_output_channels=3)
        return crop


def random_crop(path: Path, size: int, augment: Augment, rng: np.random.Generator) -> torch.Tensor:
    """One size x size crop of an image file as uint8 [3, size, size], resized, flipped and coloured by `rng`."""
    try:
        with Image.open(path) as image:
            image = image.convert("RGB")
    except (OSError, SyntaxError, ValueError) as e:
        raise DataError(f"cannot read training image {path}: {e}") from None
    w, h = image.size
    short = size * rng.uniform(*augment.scale)
    side = min(w, h) * size / short  # the crop's side in the image's own pixels
    x0, y0 = rng.uniform(0, w - side), rng.uniform(0, h - side)
    crop = image.resize((size, size), Image.Resampling.BILINEAR, box=(x0, y0, x0 + side, y0 + side))
    tensor = torch.from_numpy(np.asarray(crop).copy()).permute(2, 0, 1)
    if rng.random() < 0.5:
        tensor = tensor.flip(-1)
    return augment.colour(tensor, rng)


class CropStream(Dataset):
    """Item `step` is this rank's batch of random crops for that training step, uint8 [B, 3, size, size].

    The crops are a pure function of (seed, rank, step), so the stream is the same
    with any worker count and from any resume point.
    """

    def __init__(
        self, files: list[Path], batch_size: int, size: int, seed: int, rank: int = 0, augment: Augment = Augment()
    ) -> None:
        for path in files:  # headers only: a file that is no image fails here, in one line, not in a worker
            try:
                Image.open(path).close()
            except (OSError, SyntaxError, ValueError) as e:
                raise DataError(f"cannot read training image {path}: {e}") from None
        self.files, self.batch_size, self.size = files, batch_size, size
        self.seed, self.rank, self.augment = seed, rank, augment

    def __len__(self) -> int:
        return 2**62  # endless: the sampler says which steps to read

    def __getitem__(self, step: int) -> torch.Tensor:
        rng = np.random.default_rng([self.seed, self.rank, step])
        picks = rng.integers(len(self.files), size=self.batch_size)
        return torch.stack([random_crop(self.files[i], self.size, self.augment, rng) for i in picks])


class Zip(Dataset):
    """Item `step` of several streams at once, so that one set of workers reads them all."""

    def __init__(self, *streams: CropStream) -> None:
        self.streams = streams

    def __len__(self) -> int:
        return min(len(s) for s in self.streams)

    def __getitem__(self, step: int) -> tuple[torch.Tensor, ...]:
        return tuple(s[step] for s in self.streams)


def batches(stream: Dataset, start: int, stop: int, workers: int) -> DataLoader:
    """Steps start..stop-1 of `stream`, read ahead by `workers` processes (0: in this process)."""
    return DataLoader(
        stream,
        batch_size=None,
        sampler=range(start, stop),
        num_workers=workers,
        prefetch_factor=2 if workers else None,
        persistent_workers=False,
    )
