"""The stabilizer over a long clip, and pictures of where it struggles.

    python benchmarks/stabilizer.py                                  # both parts, defaults below
    python benchmarks/stabilizer.py --strengths 0.5 1 --max-weight 1 # calibrate what strength 1 means

*Long clip*: strength 1 must be the strongest setting that keeps the texture alive. The clip (default the
10 s Big Buck Bunny cut, 240 frames with scene cuts) runs once unstabilized and once per strength, over one
decode; the report gives, against the unstabilized output, the sharpness (mean gradient magnitude) of the
last second and of the whole clip (target: within 10 %), the flow-warping error (DIS flow with consistency
checks, the estimator the stabilizer itself uses, so it flatters it: MPI-Sintel's ground truth in
`temporal.py` is the fair number), the style distance (every 8th frame), fps and the scene cuts detected.
`--max-weight` overrides `vst.core.stabilize.MAX_WEIGHT`, the previous output's weight at strength 1.

*Cases*: the last frame of MPI-Sintel `ambush_4` (fast motion that DIS flow gets wrong) and the first frame
after the clip's first cut, each next to the unstabilized output and the difference (x4).

Writes long_clip.md and cases.jpg to --out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from common import DATA, command_line, hardware

from vst import zoo
from vst.core import load_encoder, stabilize
from vst.core.flow import flow_and_mask
from vst.core.images import load_image, save_image, to_uint8
from vst.core.metrics import StyleMetrics, sharpness, warping_error
from vst.core.pipeline import Clip, Frame, Lane, Pipeline, label, run

LAST_SECOND = 1.0


def long_clip(lanes: list[Lane], clip: Clip, style_metrics: list[StyleMetrics]) -> list[dict[str, float]]:
    """Each lane's scores over the whole clip, the first lane being the unstabilized reference."""
    sharp: list[list[float]] = [[] for _ in lanes]
    warping: list[list[float]] = [[] for _ in lanes]
    previous = None
    for frames in run(clip, lanes):
        if previous is not None:
            flow, valid = flow_and_mask(previous[0].input, frames[0].input)
            for scores, before, now in zip(warping, previous, frames):
                scores.append(warping_error(before.output, now.output, flow, valid))
        for k, frame in enumerate(frames):
            sharp[k].append(sharpness(frame.output))
            if frame.index % 8 == 0:
                style_metrics[k].update(frame.input, frame.output)
        previous = frames
    last = max(1, round(float(clip.info.fps) * LAST_SECOND))
    return [
        {
            "sharpness_last_second": float(np.mean(s[-last:])),
            "sharpness": float(np.mean(s)),
            "warping_error": float(np.nanmean(w)),
            "style_distance": m.result()["style_distance"],
            "fps": lane.fps,
            "cuts": sum(stage.cuts for stage in lane.stages),  # the only stage here is the stabilizer
        }
        for s, w, m, lane in zip(sharp, warping, style_metrics, lanes)
    ]


def report(lanes: list[Lane], results: list[dict[str, float]]) -> list[str]:
    base = results[0]
    lines = [
        "| lane | sharpness, last second | sharpness, whole clip | warping error | style distance | fps | cuts |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for lane, r in zip(lanes, results):
        lines.append(
            f"| {lane.name} | {r['sharpness_last_second'] / base['sharpness_last_second']:.3f}x "
            f"| {r['sharpness'] / base['sharpness']:.3f}x | {r['warping_error']:.6f} "
            f"({r['warping_error'] / base['warping_error']:.2f}x) "
            f"| {r['style_distance'] / base['style_distance'] - 1:+.1%} | {r['fps']:.2f} "
            f"({r['fps'] / base['fps']:.2f}x) | {r['cuts']} |"
        )
    return lines


def difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| x 4 as a grey image: what the stabilizer changed."""
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).mean(-1) * 4
    return np.repeat(np.clip(diff, 0, 255).astype(np.uint8)[..., None], 3, axis=-1)


def case_row(before: Frame, plain: Frame, steady: Frame, title: str) -> np.ndarray:
    panels = [
        label(before.input, f"{title}, frame {before.index}"),
        label(plain.input, f"frame {plain.index}"),
        label(plain.output, "unstabilized"),
        label(steady.output, "stabilized"),
        label(difference(steady.output, plain.output), "difference x4"),
    ]
    return np.concatenate(panels, axis=1)


def cases(pipeline: Pipeline, style: object, stabilize: float, size: int, clip_path: Path) -> np.ndarray:
    """One row per failure case, padded to a common width."""
    rows = []
    paths = sorted((DATA / "flow" / "sintel" / "ambush_4" / "final").glob("*.png"))
    frames = [to_uint8(load_image(p, size)) for p in paths]
    steps = list(run(frames, [pipeline.lane(style), pipeline.lane(style, stabilize=stabilize)]))
    rows.append(case_row(steps[-2][0], *steps[-1], "fast motion"))
    lanes = [pipeline.lane(style), pipeline.lane(style, stabilize=stabilize)]
    previous = None
    for step in run(Clip.open(clip_path, size), lanes):
        if lanes[1].stages[0].cuts:
            rows.append(case_row(previous[0], *step, "scene cut"))
            break
        previous = step
    width = max(r.shape[1] for r in rows)
    padded = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(padded, axis=0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="noise-resilient")
    parser.add_argument("--strengths", type=float, nargs="+", default=[0.5, 1.0])
    parser.add_argument("--max-weight", type=float, default=stabilize.MAX_WEIGHT)
    parser.add_argument("--clip", type=Path, default=DATA / "video" / "bbb_cutBunny_640x360.mp4")
    parser.add_argument("--size", type=int, default=256, help="short side of the frames")
    parser.add_argument("--style", default="the_scream", help="a name in DATA/style, or an image file")
    parser.add_argument("--skip-cases", action="store_true", help="only the long clip")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/stabilizer"))
    args = parser.parse_args(argv)
    command = command_line("benchmarks/stabilizer.py", parser, args)
    print(f"# {command}", flush=True)
    stabilize.MAX_WEIGHT = args.max_weight

    pipeline = zoo.load(args.variant)
    style_path = Path(args.style) if Path(args.style).is_file() else DATA / "style" / f"{args.style}.jpg"
    style_image = load_image(style_path, 512)
    style = pipeline.encode_style(style_image)
    clip = Clip.open(args.clip, args.size)
    lanes = [pipeline.lane(style)] + [pipeline.lane(style, stabilize=s) for s in args.strengths]
    encoder, _ = load_encoder()
    results = long_clip(lanes, clip, [StyleMetrics(encoder, style_image) for _ in lanes])
    lines = [
        "# The stabilizer over a long clip",
        "",
        f"- command: `{command}`",
        f"- hardware: {hardware()}",
        f"- clip: {clip.path.name}, {clip.width}x{clip.height}, {clip.total} frames; style {style_path.stem}; "
        f"previous output's weight at strength 1: {args.max_weight}",
        "",
        *report(lanes, results),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "long_clip.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    if not args.skip_cases:
        strongest = cases(pipeline, style, max(args.strengths), args.size, args.clip)
        print("wrote", save_image(strongest, args.out / "cases.jpg", 88))


if __name__ == "__main__":
    main(sys.argv[1:])
