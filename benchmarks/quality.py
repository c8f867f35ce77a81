"""Quality on paintings and photos the decoders never saw, at the sizes users run.

    python benchmarks/quality.py [--variants baseline noise-resilient] [--sizes 256 512] [--out DIR]
    python benchmarks/quality.py --variants optical-flow --option optical-flow:iterations=100,50 --unseen 4

Styles come in two sets from ../shared/data/train/styles: `unseen` is the committed
validation split (training/splits/validation-styles.txt), held out of every training
run; `trained` is an even spread of the rest, the paintings `vst train` reads by
default. Contents are the photos of ../shared/data/content and the held-out portraits of training/portraits/eval,
which no run trains on, and scenes that no run trains on either: the first frame of each MPI-Sintel scene and the
middle frame of each evaluation clip (the temporal benchmark's data). Portraits (faces) and scenes are also scored
apart, since a small network fails on faces first.
Styles are encoded at 512 px short side (the CLI's default), contents at each size.

Per variant, style set and content size, averaged over the pairs:
- style ratio: style distance of the output / style distance of the unstylized photo
  (0 is the style's statistics, 1 no change); the bar is on unseen styles;
- content distance: relu4_1 of the output against the AdaIN target, relative;
- colour: distance of the output's mean a*b* (CIELAB) to the style's, and its a*b*
  spread over the style's (1 is as colourful as the painting);
- noise sensitivity (smallest size, unseen styles): mean |g(n(x)) - g(x)| in [0, 1]
  units for Gaussian (sigma 0.03) and impulse (0.3 % of the pixels) noise, fixed seeds;
- motion sensitivity (the same pairs): the photo seen through a window moved by 0-7 px on each axis
  (`vst.core.noise.Motion`, every phase of the networks' 8 px pooling grid), mean |g(moved) - g(x)| over the
  pixels that show the same scene: texture that sticks to the pixel grid instead of the scene is what flickers
  when a video moves, and still photos show it without optical flow.
Every variant runs as users run it, through `zoo.load(name)` and the `VideoStylizer` protocol: uint8 photos in,
uint8 out (the noise is added to the float photo, then quantized), so plugins and optical flow are measured alike.
Writes quality.json, quality.md and a contact sheet of unseen photos x unseen styles per variant.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from common import DATA, add_factory_options, command_line, distinct_files, factory_options, hardware
from PIL import Image

from vst import zoo
from vst.core import TAPS, load_encoder
from vst.core.images import load_image, resize_frame, to_tensor, to_uint8
from vst.core.metrics import colour_distance, colour_stats, content_distance, style_ratio, style_targets
from vst.core.noise import Motion, add_noise, random_motion
from vst.core.pipeline import Pipeline
from vst.core.video import frame_count, iter_frames
from vst.training.evaluate import spread
from vst.training.split import validation_styles

NOISE = (("gaussian", 0.03), ("impulse", 0.003))
MOTION = 7  # px: the largest move of the motion sensitivity, on each axis
PORTRAITS = Path(__file__).resolve().parents[1] / "training" / "portraits" / "eval"
PORTRAIT_PHOTOS = {"astronaut.png", "grace_hopper.jpg"}  # the faces among ../shared/data/content
GROUPS = ("portraits", "scenes")


@dataclass(frozen=True)
class Photo:
    """A held-out content at full size, and whether it is a portrait (a face to keep recognizable) or a scene."""

    name: str
    group: str
    frame: np.ndarray  # RGB uint8


def held_out_photos(data: Path) -> list[Photo]:
    """The photos of data/content (a byte copy counted once), the portraits of training/portraits/eval, the first
    final-pass frame of each Sintel scene and the middle frame of each clip of data/video: no run trains on any."""
    sintel = data / "flow" / "sintel"
    scenes = sorted(p for p in sintel.iterdir() if (p / "final").is_dir()) if sintel.is_dir() else []
    files = [
        *sorted((data / "content").iterdir()),
        *sorted(PORTRAITS.glob("*.jpg")),
        *(sorted((scene / "final").glob("*.png"))[0] for scene in scenes),
    ]
    photos = [
        Photo(
            f"sintel/{f.parent.parent.name}" if f.is_relative_to(sintel) else f.name,
            "portraits" if f.name in PORTRAIT_PHOTOS or f.parent == PORTRAITS else "scenes",
            to_uint8(load_image(f)),
        )
        for f in distinct_files(files)
    ]
    for clip in sorted((data / "video").glob("*.mp4")):
        middle = next(itertools.islice(iter_frames(clip), frame_count(clip) // 2, None))
        photos.append(Photo(clip.name, "scenes", middle))
    return photos


SHEET_STYLES, THUMB = 8, 128


def style_sets(styles_dir: Path, trained: int, unseen: int | None) -> dict[str, list[Path]]:
    """The held-out validation paintings and an even spread of the trained ones."""
    held_out = set(validation_styles())
    files = sorted(p for p in styles_dir.iterdir() if p.is_file())
    unseen_files = [p for p in files if p.name in held_out]
    return {
        "unseen": spread(unseen_files, unseen or len(unseen_files)),
        "trained": spread([p for p in files if p.name not in held_out], trained),
    }


def motion_change(
    stylize: Callable[[np.ndarray], np.ndarray], photo: np.ndarray, out: np.ndarray, motion: Motion
) -> float:
    """Mean |g(moved photo) - g(photo)| in [0, 1] units over the pixels that show the same scene; `out` is g(photo)."""
    moved = stylize(to_uint8(motion.view(to_tensor(photo))))
    a, b = motion.aligned(to_tensor(moved), to_tensor(out))
    return float((a - b).abs().mean())


def measure(
    pipeline: Pipeline, contents: list[Photo], styles: dict[str, list[Path]], sizes: list[int], style_size: int
) -> tuple[dict, Image.Image]:
    encoder, _ = load_encoder()
    sheet_styles = spread(styles["unseen"], SHEET_STYLES)
    sheet = Image.new("RGB", (THUMB * (len(sheet_styles) + 1), THUMB * (len(contents) + 1)), "white")
    gen, motion_gen = torch.Generator().manual_seed(0), torch.Generator().manual_seed(1)
    photos = {size: [resize_frame(p.frame, size) for p in contents] for size in sizes}
    with torch.inference_mode():
        photo_feats = {size: [encoder(to_tensor(x), TAPS) for x in frames] for size, frames in photos.items()}
    results: dict[str, dict] = {}
    for set_name, files in styles.items():
        for style_path in files:
            style_img = load_image(style_path, style_size)
            targets = style_targets(encoder, style_img)
            palette = colour_stats(style_img)
            style = pipeline.encode_style(style_img)
            column = sheet_styles.index(style_path) + 1 if style_path in sheet_styles else None
            if column:
                sheet.paste(_thumb(to_uint8(style_img)), (THUMB * column, 0))
            for size in sizes:
                rows = results.setdefault(set_name, {}).setdefault(str(size), {})
                for i, (x, feats) in enumerate(zip(photos[size], photo_feats[size])):
                    out = pipeline.stylize_image(x, style=style)
                    out_tensor = to_tensor(out)
                    with torch.inference_mode():
                        out_feats = encoder(out_tensor, TAPS)
                    scores = {
                        "style_ratio": style_ratio(out_feats, feats, targets),
                        "content_distance": content_distance(out_feats[-1], feats[-1], targets[-1]),
                        **colour_distance(out_tensor, palette),
                    }
                    if set_name == "unseen" and size == min(sizes):
                        for kind, amount in NOISE:
                            noisy = to_uint8(add_noise(to_tensor(x), kind, amount, gen))
                            noisy_out = pipeline.stylize_image(noisy, style=style)
                            scores[f"noise_{kind}"] = float(np.abs(noisy_out.astype(np.float64) - out).mean() / 255)
                        motion = random_motion(MOTION, motion_gen)
                        stylize = functools.partial(pipeline.stylize_image, style=style)
                        scores["motion"] = motion_change(stylize, x, out, motion)
                    by_group = results.setdefault(f"{set_name}/{contents[i].group}", {}).setdefault(str(size), {})
                    for key, value in scores.items():
                        rows.setdefault(key, []).append(value)
                        by_group.setdefault(key, []).append(value)
                    if column and size == max(sizes):
                        sheet.paste(_thumb(out), (THUMB * column, THUMB * (i + 1)))
                        sheet.paste(_thumb(x), (0, THUMB * (i + 1)))
    summary = {
        set_name: {size: {k: round(float(np.mean(v)), 5) for k, v in rows.items()} for size, rows in by_size.items()}
        for set_name, by_size in results.items()
    }
    return summary, sheet


def _thumb(frame: np.ndarray) -> Image.Image:
    thumb = Image.fromarray(frame)
    thumb.thumbnail((THUMB, THUMB))
    return thumb


def table(results: dict[str, dict], sizes: list[int]) -> list[str]:
    """One Markdown row per variant and content size."""
    lines = [
        "| variant | content px | style ratio, unseen (bar ≤ 0.35) | trained | gap | content distance, unseen "
        "| style ratio, unseen: portraits / scenes | content distance, unseen: portraits / scenes "
        "| a*b* mean distance, unseen | a*b* spread / style's, unseen | noise, Gaussian | noise, impulse "
        "| moved 0-7 px |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        for size in map(str, sizes):
            u, t = r["unseen"][size], r["trained"][size]
            by = [r.get(f"unseen/{g}", {}).get(size, {}) for g in GROUPS]
            split = [
                " / ".join(f"{g[k]:.3f}" if k in g else "–" for g in by) for k in ("style_ratio", "content_distance")
            ]
            noise = [f"{u[k]:.4f}" if k in u else "" for k in ("noise_gaussian", "noise_impulse", "motion")]
            lines.append(
                f"| {name} | {size} | {u['style_ratio']:.3f} | {t['style_ratio']:.3f} | "
                f"{u['style_ratio'] - t['style_ratio']:+.3f} | {u['content_distance']:.3f} | {' | '.join(split)} | "
                f"{u['colour_mean_distance']:.1f} | {u['colour_spread_ratio']:.2f} | {' | '.join(noise)} |"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["baseline", "noise-resilient"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="content short sides")
    parser.add_argument("--style-size", type=int, default=512, help="style short side")
    parser.add_argument("--unseen", type=int, default=None, help="unseen styles to use (default: all)")
    parser.add_argument("--trained", type=int, default=16, help="trained styles to use")
    add_factory_options(parser)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/quality"))
    args = parser.parse_args(argv)
    options = factory_options(args.option, args.variants)
    contents = held_out_photos(args.data)
    styles = style_sets(args.data / "train" / "styles", args.trained, args.unseen)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.variants:
        pipeline = zoo.load(name, **options[name])
        results[name], sheet = measure(pipeline, contents, styles, args.sizes, args.style_size)
        sheet.save(args.out / f"contact_sheet_{Path(name).name}.jpg", quality=85)
    lines = [
        f"`{command_line('benchmarks/quality.py', parser, args)}` — {len(contents)} photos and frames "
        f"({sum(p.group == 'portraits' for p in contents)} portraits) x "
        f"{len(styles['unseen'])} unseen and {len(styles['trained'])} trained paintings, style at {args.style_size} px",
        "",
        f"- hardware: {hardware()}",
        *(f"- `{name}`: {json.dumps({**zoo.identity(name), 'options': options[name]})}" for name in args.variants),
        "",
        *table(results, args.sizes),
    ]
    (args.out / "quality.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main(sys.argv[1:])
