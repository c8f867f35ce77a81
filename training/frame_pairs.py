"""Consecutive frames of real clips with their optical flow: what the temporal term of `training.distill` learns from.

    python -m vst.training.frame_pairs --video ../shared/data/train/video --pairs 1536 -o runs/frame-pairs

The noise-resilience term only shows a student noise, and a noisy frame is the same picture in the same place.
Real clips move: strokes must travel with what they paint, through sub-pixel motion, occlusions and changing light.
Each sample is two consecutive frames A and B of a clip (read at --size, short side), one random square crop at the
same place in both, the flow A->B estimated on the whole frames (`vst.core.flow.flow_and_mask`, DIS with
forward-backward and motion-boundary checks) and cropped with them, and the mask of where that flow is trusted.
Frames are streamed, never held: only the pair in hand is in memory. Samples are spread evenly over each clip.
A shard is a safetensors file, written under a temporary name and renamed: `a`, `b` uint8 [S, 3, H, W],
`flow` float16 [S, 2, H, W] and `mask` uint8 [S, 1, H, W].
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch

from vst.core.encoder import save_state_atomic
from vst.core.flow import flow_and_mask
from vst.core.media import VIDEO_SUFFIXES
from vst.core.video import frame_count, iter_frames

from .data import DataError, find_files, read_row, shard_metadata, shard_rows
from .loop import command

KEYS = ("a", "b", "flow", "mask")


def pairs_of(video: Path, count: int, size: int, crop: int, rng: np.random.Generator) -> Iterator[dict]:
    """`count` samples of consecutive frames spread evenly over `video`, each cropped at a random place."""
    total = frame_count(video)
    starts = set(np.linspace(0, total - 2, count).round().astype(int).tolist())
    previous = None
    for index, frame in enumerate(iter_frames(video, size=size)):
        if previous is not None and index - 1 in starts:
            flow, mask = flow_and_mask(previous, frame)
            h, w = frame.shape[:2]
            y, x = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
            window = (slice(y, y + crop), slice(x, x + crop))
            yield {
                "a": torch.from_numpy(previous[window].copy()).permute(2, 0, 1),
                "b": torch.from_numpy(frame[window].copy()).permute(2, 0, 1),
                "flow": torch.from_numpy(flow[window].copy()).permute(2, 0, 1).half(),
                "mask": torch.from_numpy(mask[window].copy())[None].to(torch.uint8),
            }
        previous = frame


def generate(args: argparse.Namespace) -> None:
    out = Path(args.output)
    videos = [p for p in find_files(args.video) if p.suffix.lower() in VIDEO_SUFFIXES]
    if not videos:
        raise DataError(f"no video files under {', '.join(args.video)}")
    if args.size < args.crop:
        raise DataError(f"--size {args.size} is smaller than --crop {args.crop}")
    rng = np.random.default_rng(args.seed)
    per_video = -(-args.pairs // len(videos))
    samples, index = [], 0
    meta = {"videos": json.dumps([str(v) for v in videos]), "size": str(args.size), "crop": str(args.crop)}
    for video in videos:
        made = 0
        for sample in pairs_of(video, per_video, args.size, args.crop, rng):
            samples.append(sample)
            made += 1
            if len(samples) == args.shard_size:
                _write(out, index, samples, meta)
                samples, index = [], index + 1
        print(f"{video.name}: {made} pairs (a short clip gives each pair of frames once)", flush=True)
    if samples:
        _write(out, index, samples, meta)


def _write(out: Path, index: int, samples: list[dict], meta: dict[str, str]) -> None:
    tensors = {key: torch.stack([s[key] for s in samples]) for key in KEYS}
    save_state_atomic(tensors, out / f"pairs-{index:05d}.safetensors", metadata=meta)


class FramePairs:
    """Random batches of (A, B, flow A->B, mask) from every shard under the given folders, read lazily from disk."""

    def __init__(self, folders: list[str]) -> None:
        self.folders = folders
        self.index = shard_rows(
            (p for folder in folders for p in sorted(Path(folder).glob("pairs-*.safetensors"))), "a"
        )
        if not self.index:
            raise DataError(f"no frame pairs under {', '.join(folders)}: run training.frame_pairs first")

    def __len__(self) -> int:
        return len(self.index)

    def videos(self) -> list[str]:
        """The clips the pairs were cut from (for the model card)."""
        paths = {path for path, _ in self.index}
        return sorted({v for p in paths for v in json.loads(shard_metadata(p)["videos"])})

    def batch(self, size: int, rng: np.random.Generator) -> tuple[torch.Tensor, ...]:
        """A, B (uint8 [N, 3, H, W]), flow (float32 [N, 2, H, W]) and mask (float32 [N, 1, H, W]), each sample
        flipped left-right with probability 1/2 (the flow's x component changing sign with it)."""
        rows = []
        for k in rng.integers(len(self.index), size=size):
            a, b, flow, mask = read_row(self.index[k], KEYS)
            flow, mask = flow.float(), mask.float()
            if rng.random() < 0.5:
                a, b, mask = a.flip(-1), b.flip(-1), mask.flip(-1)
                flow = flow.flip(-1) * torch.tensor([-1.0, 1.0]).view(1, 2, 1, 1)
            rows.append((a, b, flow, mask))
        return tuple(torch.cat(column) for column in zip(*rows))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--video", nargs="+", required=True, help="video files or folders of them")
    parser.add_argument("--pairs", type=int, default=1536, help="samples in all, spread over the clips")
    parser.add_argument("--size", type=int, default=288, help="short side the frames are read at, px")
    parser.add_argument("--crop", type=int, default=256, help="side of the square crop, px")
    parser.add_argument("--shard-size", type=int, default=128, help="samples a file (128 at 256 px: about 90 MB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True, help="the dataset's folder")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    command(lambda: generate(parser.parse_args()))
