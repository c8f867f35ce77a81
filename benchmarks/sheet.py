"""A side-by-side contact sheet: photos (or a clip's frames) x styles x variants, to judge by eye what a metric
cannot (faces, strokes).

    python benchmarks/sheet.py --variants baseline lite --photos P.jpg... --styles S.jpg... --size 384 -o sheet.jpg
    python benchmarks/sheet.py --variants noise-resilient lite --clip clip.mp4 --frames 3 --styles S.jpg -o strip.jpg

Row 0 shows each style above its group of columns, with the variants' names; each further row is one photo
(or frame), then its stylization by every variant for every style. Variants load through the zoo, as users
run them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from vst import zoo
from vst.core.images import load_image, to_uint8
from vst.core.video import frame_count, iter_frames

LABEL = 16  # pixels of the top band with the variants' names


def thumb(frame: np.ndarray, cell: int) -> Image.Image:
    image = Image.fromarray(frame)
    image.thumbnail((cell, cell), Image.Resampling.LANCZOS)
    return image


def rows_of(photos: list[Path], clip: Path | None, frames: int, size: int) -> list[np.ndarray]:
    """The sheet's rows: the photos, or `frames` evenly spaced frames of the clip, at `size` short side."""
    if clip is None:
        return [to_uint8(load_image(p, size)) for p in photos]
    every = max(1, frame_count(clip) // frames)
    return list(iter_frames(clip, every=every, size=size, max_frames=frames))


def sheet(variants: list[str], rows: list[np.ndarray], styles: list[Path], style_size: int, cell: int) -> Image:
    """The contact sheet as one image."""
    pipelines = {name: zoo.load(name) for name in variants}
    columns = 1 + len(styles) * len(variants)
    out = Image.new("RGB", (cell * columns, cell * (len(rows) + 1) + LABEL), "white")
    draw = ImageDraw.Draw(out)
    for i, photo in enumerate(rows):
        out.paste(thumb(photo, cell), (0, LABEL + cell * (i + 1)))
    for j, style_path in enumerate(styles):
        style = load_image(style_path, style_size)
        x0 = cell * (1 + j * len(variants))
        out.paste(thumb(to_uint8(style), cell), (x0, LABEL))
        for k, (name, pipeline) in enumerate(pipelines.items()):
            draw.text((x0 + k * cell + 4, 2), Path(name).name, fill="black")
            handle = pipeline.encode_style(style)
            for i, photo in enumerate(rows):
                out.paste(
                    thumb(pipeline.stylize_image(photo, style=handle), cell), (x0 + k * cell, LABEL + cell * (i + 1))
                )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["baseline", "lite"])
    rows = parser.add_mutually_exclusive_group(required=True)
    rows.add_argument("--photos", nargs="+", type=Path)
    rows.add_argument("--clip", type=Path, help="a video: its frames are the rows")
    parser.add_argument("--frames", type=int, default=3, help="frames of --clip, evenly spaced")
    parser.add_argument("--styles", nargs="+", type=Path, required=True)
    parser.add_argument("--size", type=int, default=384, help="photo short side, as stylized")
    parser.add_argument("--style-size", type=int, default=512, help="style short side")
    parser.add_argument("--cell", type=int, default=192, help="thumbnail side in the sheet")
    parser.add_argument("-o", "--out", type=Path, required=True)
    args = parser.parse_args(argv)
    frames = rows_of(args.photos or [], args.clip, args.frames, args.size)
    image = sheet(args.variants, frames, args.styles, args.style_size, args.cell)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    image.save(args.out, quality=88)
    print(args.out)


if __name__ == "__main__":
    main(sys.argv[1:])
