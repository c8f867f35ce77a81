"""Export a training run as a release checkpoint: fp16 weights, config and model card, nothing else.

    python -m vst.training.export runs/noise-resilient zoo/weights/noise-resilient --name noise-resilient \
        --metrics benchmarks/results/quality/quality.json

fp16 halves the size (a few MB) at no visible cost: the engine computes in bf16/fp16
or upcasts to fp32 on load.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from vst import zoo
from vst.zoo.card import SAMPLE_FILE
from vst.zoo.checkpoint import AdaINCheckpoint


def flatten(metrics: dict, prefix: str = "") -> dict[str, float]:
    """quality.json's {set: {size: {metric: value}}} as flat card metrics, e.g. `unseen_512px_style_ratio`."""
    flat: dict[str, float] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}px" if key.isdigit() else f"{prefix}{key}"
        flat.update(flatten(value, f"{name}_") if isinstance(value, dict) else {name: value})
    return flat


def export(
    run: Path, dest: Path, name: str, metrics: dict | None = None, speed: str | None = None, sample: Path | None = None
) -> Path:
    """`save_pretrained` of a run in fp16, named, with its metrics, what it is for (the zoo's line for `name`),
    its speed, a sample image, and a fresh model card.

    A checkpoint exported under a name the zoo does not register says nothing of what it is for, and names a sample
    only when one is given: a renamed variant must not carry the old one's line or point at a file left behind.
    """
    model = AdaINCheckpoint.from_pretrained(run)
    model.config.update(name=name, metrics=flatten(metrics) if metrics else model.config.get("metrics"))
    registered = {v.name: v for v in zoo.list_variants()}
    model.config["use_for"] = registered[name].use_for if name in registered else None
    model.config["speed"] = speed or model.config.get("speed")
    model.config["sample"] = SAMPLE_FILE if sample else None
    model.dtype_on_disk, model.card = torch.float16, None
    model.save_pretrained(dest)
    if sample:
        shutil.copyfile(sample, Path(dest) / SAMPLE_FILE)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path, help="training output folder")
    parser.add_argument("dest", type=Path, help="release folder to write")
    parser.add_argument("--name", required=True)
    parser.add_argument("--metrics", type=Path, help="quality.json: {variant: {style set: {size: {metric: value}}}}")
    parser.add_argument("--variant", help="the variant's key in the metrics file (default: --name)")
    parser.add_argument("--speed", help="the card's speed line, e.g. '31 fps at 256x256, 18 fps at 640x360'")
    parser.add_argument("--sample", type=Path, help="a JPEG the card shows first (a contact sheet)")
    args = parser.parse_args()
    metrics = json.loads(args.metrics.read_text()).get(args.variant or args.name) if args.metrics else None
    print(export(args.run, args.dest, args.name, metrics, args.speed, args.sample))


if __name__ == "__main__":
    main()
