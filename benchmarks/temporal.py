"""Temporal stability and style fidelity of stylization variants, on MPI-Sintel and on real clips.

    python benchmarks/temporal.py                        # baseline vs noise-resilient on everything, defaults below
    python benchmarks/temporal.py --variants baseline noise-resilient optical-flow --datasets sintel \\
        --size 96 --max-frames 3 --styles starry_night --option optical-flow:iterations=100,50  # with optical flow
    python benchmarks/temporal.py --stabilize 0.5 1      # every variant also through the stabilizer, at two strengths

Per clip, row and style (exact definitions in `vst.core.metrics`; sharpness and ghosting below):
- temporal error: the poster's E_tempAvg (lower is more stable);
- SSIM between stylized and input frames (the poster's protocol);
- warping error (Lai et al. 2018): MPI-Sintel pairs use the ground-truth flow and occlusion masks (pairs without
  ground truth are left out), the video clips use OpenCV DIS flow with forward-backward and motion-boundary checks;
- style distance (tap-normalized, lower is closer to the style) and content distance, so that stability is
  never bought by washing the style out;
- sharpness: the mean gradient magnitude of the output frames, so that a stabilizer cannot blur texture away;
- ghosting (stabilized rows): the mean squared difference (images in [0, 1]) between the stabilized and the
  unstabilized output over the pixels that no trusted pixel of the previous frame lands on (newly visible, or where
  the flow above cannot be trusted), where a stabilizer has nothing to carry over: what differs there is the past,
  smeared in;
- seconds per frame spent stylizing (and stabilizing), first frame excluded (decoding and metrics excluded).
Each variant runs through the lanes of `vst.core.pipeline` over one pass of the frames: unstabilized (row `variant`)
and, for each --stabilize strength S > 0, stabilized (row `variant + stabilize S`). Results are averaged over styles,
then reported per clip and as the mean over clips, with the relative change against the first row, and for
stabilized rows against the same variant unstabilized. Writes temporal.md, temporal.json and PNG plots to --out.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import itertools
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import DATA, add_factory_options, command_line, factory_options, hardware
from PIL import Image

from vst import zoo
from vst.core import StyleStats, VGGEncoder, load_encoder
from vst.core.flow import flow_and_mask, inside, read_flo, resize_flow, resize_mask
from vst.core.images import load_image, to_uint8
from vst.core.metrics import StyleMetrics, TemporalMetrics, ghosting, revealed, sharpness, style_targets
from vst.core.pipeline import Frame, Lane, lane_name, run
from vst.core.video import iter_frames

DEFAULT_STYLES = ("starry_night", "the_scream", "mondrian")
METRICS = (  # key, label, higher is better
    ("temporal_error", "temporal error", False),
    ("warping_error", "warping error", False),
    ("ssim", "SSIM", True),
    ("style_distance", "style distance", False),
    ("content_distance", "content distance", False),
    ("sharpness", "sharpness", True),
    ("ghosting", "ghosting", False),
    ("seconds_per_frame", "s/frame", False),
)
# The stabilizer's bar, against the same variant unstabilized (issue 15).
TARGETS = "warping error -40 % or less (0.6x), style distance +5 % or less, s/frame +25 % or less (fps 0.8x or more)"


@dataclass
class Clip:
    """Input frames at the processing size, and per consecutive pair the flow t -> t+1 and its validity mask."""

    dataset: str
    name: str
    frames: list[np.ndarray]
    flows: list[tuple[np.ndarray, np.ndarray] | None] = field(default_factory=list)

    @functools.cached_property
    def revealed(self) -> list[np.ndarray | None]:
        """Per pair, the pixels of frame t+1 that no trusted pixel of frame t lands on (see `revealed`)."""
        return [None if pair is None else revealed(*pair) for pair in self.flows]


def sintel_clips(
    root: Path, render_pass: str, size: int, max_frames: int | None, from_flow: bool = False
) -> Iterator[Clip]:
    """MPI-Sintel scenes: `<scene>/<pass>/frame_N.png`, ground truth `flow/frame_N.flo` (N -> N+1) where it exists.

    `from_flow` starts each scene at its first frame with ground truth, so that a 2-frame clip is a scored pair.
    """
    for scene in sorted(p for p in root.iterdir() if (p / render_pass).is_dir()):
        paths = sorted((scene / render_pass).glob("frame_*.png"))
        truth = {p.stem for p in (scene / "flow").glob("frame_*.flo")}
        start = next((i for i, p in enumerate(paths) if p.stem in truth), 0) if from_flow else 0
        paths = paths[start:][:max_frames]
        frames = [to_uint8(load_image(p, size)) for p in paths]
        height, width = frames[0].shape[:2]
        flows: list[tuple[np.ndarray, np.ndarray] | None] = []
        for path, nxt in itertools.pairwise(paths):
            if path.stem not in truth or int(nxt.stem[6:]) != int(path.stem[6:]) + 1:
                flows.append(None)
                continue
            flow = read_flo(scene / "flow" / f"{path.stem}.flo")
            valid = np.ones(flow.shape[:2], bool)
            for mask_dir in ("occlusions", "invalid"):
                mask_file = scene / mask_dir / f"{path.stem}.png"
                if mask_file.is_file():
                    valid &= np.asarray(Image.open(mask_file).convert("L")) == 0
            small = resize_flow(flow, width, height)
            flows.append((small, resize_mask(valid, width, height) & inside(small)))
        yield Clip("sintel", scene.name, frames, flows)


def video_clips(paths: list[Path], size: int, max_frames: int | None) -> Iterator[Clip]:
    """Real clips: the first frames, with DIS flow estimated once on the input frames and shared by all variants."""
    for path in paths:
        frames = list(iter_frames(path, size=size, max_frames=max_frames))
        flows = [flow_and_mask(a, b) for a, b in itertools.pairwise(frames)]
        yield Clip("video", path.stem, frames, flows)


class LaneScores:
    """One lane's metrics over a clip, fed frame by frame."""

    def __init__(self, encoder: VGGEncoder, targets: list[StyleStats]) -> None:
        self.temporal = TemporalMetrics(estimate_flow=False)
        self.style = StyleMetrics(encoder, targets)
        self.sharpness: list[float] = []
        self.ghosting: list[float] = []
        self.seconds: list[float] = []

    def update(self, frame: Frame, pair: tuple[np.ndarray, np.ndarray] | None) -> None:
        self.temporal.update(frame.input, frame.output, *(pair or (None, None)))
        self.style.update(frame.input, frame.output)
        self.sharpness.append(sharpness(frame.output))
        if frame.index:
            self.seconds.append(frame.seconds)

    def result(self) -> dict[str, Any]:
        return {
            **self.temporal.result(),
            **self.style.result(),
            "sharpness": _nanmean(self.sharpness),
            "ghosting": _nanmean(self.ghosting),
            "seconds_per_frame": _nanmean(self.seconds),
            "per_pair_temporal": self.temporal.temporal_terms,
            "per_pair_warping": [None if math.isnan(e) else e for e in self.temporal.warping_errors],
        }


def evaluate(lanes: list[Lane], clip: Clip, encoder: VGGEncoder, targets: list[StyleStats]) -> list[dict[str, Any]]:
    """Stylize a clip through `lanes` over one pass of its frames and score each; the first lane, unstabilized, is
    what the others' ghosting is measured against.

    A lane's time is its own (stylization and stages, not the metrics), in the steady state: the first frame is left
    out (one-off warm-up of the kernels for a new frame size; the optical-flow method's larger first-frame budget).
    """
    scores = [LaneScores(encoder, targets) for _ in lanes]
    for frames in run(clip.frames, lanes):
        pair_index = frames[0].index - 1
        pair = clip.flows[pair_index] if pair_index >= 0 else None
        for score, frame in zip(scores, frames):
            score.update(frame, pair)
        if pair is not None:
            for score, frame in zip(scores[1:], frames[1:]):
                score.ghosting.append(ghosting(frame.output, frames[0].output, clip.revealed[pair_index]))
    return [score.result() for score in scores]


def aggregate(rows: list[dict[str, Any]], labels: list[str], unstabilized: dict[str, str]) -> dict[str, Any]:
    """Mean over styles per (clip, row); relative changes against the first row, and of each stabilized row against
    its variant unstabilized (`unstabilized`: stabilized row -> unstabilized row) under "stabilization"."""
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    keys = [m[0] for m in METRICS]
    table = {
        clip: {
            label: {k: _nanmean([r[k] for r in rows if r["clip"] == clip and r["variant"] == label]) for k in keys}
            for label in labels
        }
        for clip in clips
    }
    mean = {label: {k: _nanmean([table[c][label][k] for c in clips]) for k in keys} for label in labels}
    first = {label: labels[0] for label in labels[1:]}
    return {
        "per_clip": table,
        "mean": mean,
        **compare(table, mean, first),
        "stabilization": compare(table, mean, unstabilized),
    }


def compare(table: dict[str, Any], mean: dict[str, Any], references: dict[str, str]) -> dict[str, Any]:
    """Relative changes (%) of each row against its reference: per clip, of the means over clips, and the poster's
    "on average" / "on select videos": the mean of the per-clip changes, and the best clip."""
    clips, keys = list(table), [m[0] for m in METRICS]
    change = {
        c: {label: {k: _rel(table[c][label][k], table[c][ref][k]) for k in keys} for label, ref in references.items()}
        for c in clips
    }
    per_clip_changes = {
        label: {
            k: {
                "mean": _nanmean([change[c][label][k] for c in clips]),
                "best": _best([(change[c][label][k], c) for c in clips], higher_is_better),
            }
            for k, _, higher_is_better in METRICS
        }
        for label in references
    }
    return {
        "change": change,
        "mean_change": {
            label: {k: _rel(mean[label][k], mean[ref][k]) for k in keys} for label, ref in references.items()
        },
        "per_clip_changes": per_clip_changes,
    }


def _best(changes: list[tuple[float, str]], higher_is_better: bool) -> tuple[float, str] | None:
    finite = [(v, c) for v, c in changes if not math.isnan(v)]
    if not finite:
        return None
    return max(finite) if higher_is_better else min(finite)


def _nanmean(values: list[float]) -> float:
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _rel(value: float, base: float) -> float:
    return 100.0 * (value - base) / base if base and not math.isnan(base) and not math.isnan(value) else math.nan


def _fmt(value: float) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.4g}" if abs(value) >= 1e-3 else f"{value:.3e}"


def markdown(summary: dict[str, Any], labels: list[str], header: list[str]) -> str:
    base = labels[0]
    lines = [*header, ""]
    cols = " | ".join(label for _, label, _ in METRICS)
    lines += [f"| clip | row | {cols} |", "|---|---|" + "---|" * len(METRICS)]
    for clip, by_label in [*summary["per_clip"].items(), ("**mean**", summary["mean"])]:
        change = summary["mean_change"] if clip == "**mean**" else summary["change"][clip]
        for label in labels:
            cells = [_fmt(by_label[label][k]) for k, _, _ in METRICS]
            if label != base:
                cells = [
                    cell + ("" if math.isnan(change[label][k]) else f" ({change[label][k]:+.1f}%)")
                    for cell, (k, _, _) in zip(cells, METRICS)
                ]
            lines.append(f"| {clip} | {label} | {' | '.join(cells)} |")
    lines += changes_table(summary, f"`{base}`")
    if summary["stabilization"]["mean_change"]:
        lines += changes_table(summary["stabilization"], "the same variant unstabilized")
        lines += ["", f"The stabilizer's targets, against the same variant unstabilized: {TARGETS}."]
    lines += [
        "",
        f"Relative changes in the first table are against `{base}`; the mean row compares the means over clips. Lower",
        "is better for every column except SSIM and sharpness. Each clip's numbers are averaged over the styles.",
        "Seconds per frame depend on the machine's load (see the load average above); `benchmarks/speed.py` measures",
        "speed on its own.",
    ]
    return "\n".join(lines) + "\n"


def changes_table(comparison: dict[str, Any], against: str) -> list[str]:
    """One row per compared row: per metric, the change of the means over clips, then the per-clip changes."""
    cols = " | ".join(label for _, label, _ in METRICS)
    lines = ["", f"Relative changes against {against}: of the means over clips; in brackets, the mean of the per-clip"]
    lines += ["changes and the best clip.", "", f"| row | {cols} |", "|---|" + "---|" * len(METRICS)]
    for label, by_key in comparison["per_clip_changes"].items():
        cells = []
        for key, _, _ in METRICS:
            per_clip, best = by_key[key]["mean"], by_key[key]["best"]
            detail = f" (per clip {per_clip:+.1f}%, best {best[0]:+.1f}% {best[1]})" if best else ""
            change = comparison["mean_change"][label][key]
            cells.append(("–" if math.isnan(change) else f"{change:+.1f}%") + detail)
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return lines


def plots(summary: dict[str, Any], rows: list[dict[str, Any]], labels: list[str], out: Path) -> list[Path]:
    """relative_change.png (per clip and metric, against the first row) and tradeoff.png (stability vs style)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    clips = list(summary["per_clip"])
    if len(labels) > 1:
        shown = [m for m in METRICS if m[0] not in ("seconds_per_frame", "ghosting")]  # ghosting: the first has none
        fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 4.5), sharey=False)
        width = 0.8 / (len(labels) - 1)
        for ax, (key, label, _) in zip(axes, shown):
            for j, row in enumerate(labels[1:]):
                values = [summary["change"][c][row][key] for c in clips] + [summary["mean_change"][row][key]]
                ax.bar(np.arange(len(clips) + 1) + j * width, np.nan_to_num(values), width, label=row)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_xticks(np.arange(len(clips) + 1) + 0.4 - width / 2, [*clips, "mean"], rotation=60, ha="right")
            ax.set_title(f"{label}: % vs {labels[0]}")
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(out / "relative_change.png", dpi=110)
        plt.close(fig)
        written.append(out / "relative_change.png")

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label in labels:
        picked = [r for r in rows if r["variant"] == label and not math.isnan(r["warping_error"])]
        ax.scatter([r["style_distance"] for r in picked], [r["warping_error"] for r in picked], label=label, alpha=0.7)
    ax.set_xlabel("style distance (lower = closer to the style)")
    ax.set_ylabel("warping error (lower = more stable)")
    ax.set_yscale("log")
    ax.set_title("stability vs style, one point per clip and style")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "tradeoff.png", dpi=110)
    plt.close(fig)
    written.append(out / "tradeoff.png")
    return written


def resolve_style(name: str, data: Path) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    for suffix in (".jpg", ".png", ".jpeg"):
        if (data / "style" / f"{name}{suffix}").is_file():
            return data / "style" / f"{name}{suffix}"
    raise SystemExit(f"temporal.py: style {name!r} is neither a file nor a name in {data / 'style'}")


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, str]:
    """The options, and the command line that reproduces them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["baseline", "noise-resilient"], help="first is the reference")
    parser.add_argument("--styles", nargs="+", default=list(DEFAULT_STYLES), help="names in DATA/style or files")
    parser.add_argument("--datasets", nargs="+", choices=("sintel", "video"), default=["sintel", "video"])
    parser.add_argument("--size", type=int, default=192, help="short side of the frames, in pixels")
    parser.add_argument("--style-size", type=int, default=256, help="short side of the style images")
    parser.add_argument("--max-frames", type=int, default=12, help="frames per clip (from the start)")
    parser.add_argument("--sintel-pass", choices=("final", "clean"), default="final")
    parser.add_argument(
        "--sintel-from-flow",
        action="store_true",
        help="start each scene at its first frame with ground-truth flow (with --max-frames 2: no history)",
    )
    parser.add_argument(
        "--stabilize", type=float, nargs="+", default=[0.0], metavar="S", help="strengths in [0, 1] (0 always runs)"
    )
    parser.add_argument("--precision", default="auto", help="of the stylizers: auto, fp32, bf16, fp16")
    add_factory_options(parser)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--out", default="benchmarks/results/temporal")
    args = parser.parse_args(argv)
    return args, command_line("benchmarks/temporal.py", parser, args)


def load_clips(args: argparse.Namespace) -> list[Clip]:
    """The clips of the chosen datasets, each cut to --max-frames at --size."""
    clips: list[Clip] = []
    if "sintel" in args.datasets:
        sintel = args.data / "flow" / "sintel"
        clips += sintel_clips(sintel, args.sintel_pass, args.size, args.max_frames, args.sintel_from_flow)
    if "video" in args.datasets:
        clips += video_clips(sorted((args.data / "video").glob("*.mp4")), args.size, args.max_frames)
    return clips


def measure(
    args: argparse.Namespace, clips: list[Clip], strengths: list[float], options: dict[str, dict]
) -> list[dict[str, Any]]:
    """One row per clip, style, variant and stabilize strength: every lane of a variant over one pass of a clip."""
    styles = {name: load_image(resolve_style(name, args.data), args.style_size) for name in args.styles}
    encoder, _ = load_encoder()
    rows: list[dict[str, Any]] = []
    for variant in args.variants:
        pipeline = zoo.load(variant, **{"precision": args.precision, **options[variant]})
        for style_name, image in styles.items():
            targets, handle = style_targets(encoder, image), pipeline.encode_style(image)
            for clip in clips:
                lanes = [pipeline.lane(handle, stabilize=s, name=variant) for s in strengths]
                for lane, stabilize, result in zip(lanes, strengths, evaluate(lanes, clip, encoder, targets)):
                    row = {"clip": clip.name, "dataset": clip.dataset, "variant": lane.name, "stabilize": stabilize}
                    rows.append({**row, "style": style_name, **result})
                    scores = "  ".join(f"{k}={_fmt(result[k])}" for k, _, _ in METRICS)
                    print(f"{clip.name:>24} {lane.name:>28} {style_name:>14}  {scores}", flush=True)
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, command = parse(argv)
    print(f"# {command}", flush=True)
    if not args.data.is_dir():
        raise SystemExit(f"temporal.py: data folder not found: {args.data}")
    options = factory_options(args.option, args.variants)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    clips = load_clips(args)
    strengths = sorted({0.0, *args.stabilize})  # the unstabilized lane is every stabilized row's reference
    labels = [lane_name(v, s) for v in args.variants for s in strengths]
    unstabilized = {lane_name(v, s): v for v in args.variants for s in strengths if s}
    rows = measure(args, clips, strengths, options)

    summary, machine = aggregate(rows, labels, unstabilized), hardware()
    header = [
        "# Temporal stability benchmark",
        "",
        f"- command: `{command}`",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- hardware: {machine}",
        f"- clips: {', '.join(f'{c.name} ({c.dataset}, {len(c.frames)} frames)' for c in clips)}",
        f"- frame size: short side {args.size}; styles: {', '.join(args.styles)} (short side {args.style_size})",
    ]
    header += [f"- `{v}`: {json.dumps({**zoo.identity(v), 'options': options[v]})}" for v in args.variants]
    (out / "temporal.md").write_text(markdown(summary, labels, header))
    (out / "temporal.json").write_text(
        json.dumps({"command": command, "hardware": machine, "rows": rows, "summary": summary}, indent=1)
    )
    written = plots(summary, rows, labels, out)
    print((out / "temporal.md").read_text())
    print("wrote", ", ".join(str(p) for p in [out / "temporal.md", out / "temporal.json", *written]))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
