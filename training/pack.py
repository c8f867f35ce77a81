"""Pack a seeded subset of the training data into a byte budget, for a machine reached over a small link.

    python -m vst.training.pack --content ../shared/data/train/content ../shared/data/train/video \\
        --style ../shared/data/train/styles --eval ../shared/data/content -o gpu_data

A lent GPU gets a copy of the working tree of at most 64 MiB, far less than the training set. This
writes what the embedded checkpoints were trained on there: the photos named in
`training/splits/packed-photos.txt` (the 520 of their GPU runs), or a new subset drawn per source as
`training.split` draws the held-out paintings (`--photos N`), evenly spaced frames of each clip, every painting
(the held-out ones too: the run's evaluation needs them, and `vst train` leaves them out by name) and a
few evaluation photos, all re-encoded smaller. `SOURCES.csv` names the original of every packed file,
so a model card's data stays traceable. The folder appears under its final name only when complete.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from PIL import Image

from vst.core.media import VIDEO_SUFFIXES

from .data import FRAME_LONG_SIDE, DataError, extract_frames, find_files
from .split import make_split

PACKED_PHOTOS = Path(__file__).with_name("splits") / "packed-photos.txt"
BUDGET_MIB = 64.0  # the device tool's limit on what travels with the working tree
PHOTO_QUALITY, STYLE_QUALITY = 80, 75  # WebP for photos and frames, JPEG for paintings (WebP loses their grain)


def _save(source: Path, dest: Path, quality: int) -> None:
    with Image.open(source) as image:
        image = image.convert("RGB")
        image.thumbnail((FRAME_LONG_SIDE, FRAME_LONG_SIDE), Image.Resampling.LANCZOS)
        image.save(dest, quality=quality)


def pack(
    content: list[str],
    style: list[str],
    evaluation: list[str],
    out: Path,
    photos: int | None,
    frames_per_video: int,
    seed: int,
    budget_mib: float = BUDGET_MIB,
) -> int:
    """Write the packed folder `out` (content/, styles/, eval/, SOURCES.csv); return its size in bytes.

    `photos`: how many photos to draw with `seed`; None packs those of `PACKED_PHOTOS`.
    """
    if out.exists():
        raise DataError(f"{out} exists; remove it or choose another folder")
    files = find_files(content)
    videos = [p for p in files if p.suffix.lower() in VIDEO_SUFFIXES]
    images = {p.name: p for p in files if p not in videos}
    names = make_split(list(images), min(photos, len(images)), seed) if photos else PACKED_PHOTOS.read_text().split()
    if missing := [name for name in names if name not in images]:
        raise DataError(f"{len(missing)} listed photos are not under {', '.join(content)}, e.g. {missing[0]}")
    chosen = [images[name] for name in names]
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=f".{out.name}.") as tmp:
        staging = Path(tmp) / out.name
        plan = [(p, f"content/{p.stem}.webp", PHOTO_QUALITY, str(p)) for p in chosen]  # (read, write, quality, origin)
        for video in videos:
            for i, frame in enumerate(extract_frames(video, Path(tmp) / "frames", frames_per_video)):
                plan.append((frame, f"content/{video.stem}_{i:05d}.webp", PHOTO_QUALITY, f"{video}#frame{i}"))
        plan += [(p, f"styles/{p.stem}.jpg", STYLE_QUALITY, str(p)) for p in find_files(style)]
        plan += [(p, f"eval/{p.stem}.jpg", 90, str(p)) for p in find_files(evaluation)] if evaluation else []
        for sub in ("content", "styles", "eval"):
            (staging / sub).mkdir(parents=True)
        with open(staging / "SOURCES.csv", "w", newline="") as f:
            rows = csv.writer(f)
            rows.writerow(["file", "source"])
            for source, dest, quality, origin in plan:
                _save(source, staging / dest, quality)
                rows.writerow([dest, origin])
        size = sum(p.stat().st_size for p in staging.rglob("*") if p.is_file())
        if size > budget_mib * 2**20:
            raise DataError(f"the packed data takes {size / 2**20:.1f} MiB, over the {budget_mib:g} MiB budget")
        staging.rename(out)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--content", nargs="+", required=True, help="photo folders and video files")
    parser.add_argument("--style", nargs="+", required=True, help="painting folders")
    parser.add_argument("--eval", nargs="*", default=[], help="photos for the run's held-out evaluation")
    parser.add_argument("--photos", type=int, help="draw this many photos, across sources (default: the list)")
    parser.add_argument("--frames-per-video", type=int, default=48)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget-mib", type=float, default=BUDGET_MIB)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    try:
        size = pack(
            args.content,
            args.style,
            args.eval,
            args.output,
            args.photos,
            args.frames_per_video,
            args.seed,
            args.budget_mib,
        )
    except DataError as e:
        raise SystemExit(f"error: {e}") from None
    print(f"{args.output}: {size / 2**20:.1f} MiB")


if __name__ == "__main__":
    main()
