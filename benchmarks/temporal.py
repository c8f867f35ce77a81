"""Temporal stability and style fidelity of stylization variants, on MPI-Sintel and on real clips.

    python benchmarks/temporal.py                        # baseline vs noise-resilient on everything, defaults below
    python benchmarks/temporal.py --variants baseline noise-resilient optical-flow --datasets sintel \\
        --size 96 --max-frames 3 --styles starry_night --flow-iterations 100 50    # with the optical-flow baseline

Per clip, variant and style (see `vst_core.metrics` for the exact definitions):
- temporal error: the poster's E_tempAvg (lower is more stable);
- SSIM between stylized and input frames (the poster's protocol);
- warping error (Lai et al. 2018): MPI-Sintel pairs use the ground-truth flow and occlusion masks (pairs without
  ground truth are left out), the video clips use OpenCV DIS flow with forward-backward and motion-boundary checks;
- style distance (tap-normalized, lower is closer to the style) and content distance, so that stability is
  never bought by washing the style out;
- seconds per frame spent stylizing, first frame excluded (decoding and metrics excluded).
Results are averaged over styles, then reported per clip and as the mean over clips, with the relative change
against the first variant (`baseline`). Writes temporal.md, temporal.json and PNG plots to --out.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import itertools
import json
import math
import os
import platform
import shlex
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

import zoo
from vst_core import load_encoder
from vst_core.flow import flow_and_mask, inside, read_flo, resize_flow, resize_mask
from vst_core.images import load_image, to_uint8
from vst_core.metrics import StyleMetrics, TemporalMetrics, style_targets
from vst_core.video import iter_frames

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_STYLES = ("starry_night", "the_scream", "mondrian")
METRICS = (  # key, label, higher is better
    ("temporal_error", "temporal error", False),
    ("warping_error", "warping error", False),
    ("ssim", "SSIM", True),
    ("style_distance", "style distance", False),
    ("content_distance", "content distance", False),
    ("seconds_per_frame", "s/frame", False),
)


@dataclass
class Clip:
    """Input frames at the processing size, and per consecutive pair the flow t -> t+1 and its validity mask."""

    dataset: str
    name: str
    frames: list[np.ndarray]
    flows: list[tuple[np.ndarray, np.ndarray] | None] = field(default_factory=list)


def sintel_clips(root: Path, render_pass: str, size: int, max_frames: int | None) -> Iterator[Clip]:
    """MPI-Sintel scenes: `<scene>/<pass>/frame_N.png`, ground truth `flow/frame_N.flo` (N -> N+1) where it exists."""
    for scene in sorted(p for p in root.iterdir() if (p / render_pass).is_dir()):
        paths = sorted((scene / render_pass).glob("frame_*.png"))[:max_frames]
        frames = [to_uint8(load_image(p, size)) for p in paths]
        height, width = frames[0].shape[:2]
        flows: list[tuple[np.ndarray, np.ndarray] | None] = []
        for path, nxt in itertools.pairwise(paths):
            flo = scene / "flow" / f"{path.stem}.flo"
            if not flo.is_file() or int(nxt.stem[6:]) != int(path.stem[6:]) + 1:
                flows.append(None)
                continue
            flow = read_flo(flo)
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


def evaluate(stylizer: Any, handle: Any, clip: Clip, style_metrics: StyleMetrics) -> dict[str, Any]:
    """Stylize a clip and score it.

    The stylizer's time is measured apart from the metrics, in the steady state: the first frame is left out
    (one-off warm-up of the kernels for a new frame size; the optical-flow method's larger first-frame budget).
    """
    temporal = TemporalMetrics(estimate_flow=False)
    outputs = stylizer.stream(iter(clip.frames), handle)
    seconds = 0.0
    for i, x in enumerate(clip.frames):
        start = time.perf_counter()
        y = next(outputs)
        seconds += (time.perf_counter() - start) if i else 0.0
        flow = clip.flows[i - 1] if i else None
        temporal.update(x, y, *(flow or (None, None)))
        style_metrics.update(x, y)
    result = {**temporal.result(), **style_metrics.result()}
    result["seconds_per_frame"] = seconds / (len(clip.frames) - 1) if len(clip.frames) > 1 else math.nan
    result["per_pair_temporal"] = temporal.temporal_terms
    result["per_pair_warping"] = [None if math.isnan(e) else e for e in temporal.warping_errors]
    return result


def weights_identity(ref: str) -> dict[str, Any]:
    """What a variant ran with: its source, recipe and training steps, and a hash of its weights file."""
    variant = zoo.resolve(ref)
    config = variant.config()
    info: dict[str, Any] = {"source": variant.source, "recipe": config.get("recipe"), "steps": config.get("steps")}
    folder = variant.local_folder()
    if folder and (folder / "model.safetensors").is_file():
        info["sha256"] = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()[:16]
    return info


def aggregate(rows: list[dict[str, Any]], variants: list[str]) -> dict[str, Any]:
    """Mean over styles per (clip, variant); per clip and overall relative change against the first variant."""
    base = variants[0]
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    keys = [m[0] for m in METRICS]
    table: dict[str, dict[str, dict[str, float]]] = {}
    for clip in clips:
        table[clip] = {}
        for v in variants:
            picked = [r for r in rows if r["clip"] == clip and r["variant"] == v]
            table[clip][v] = {k: _nanmean([r[k] for r in picked]) for k in keys}
    mean = {v: {k: _nanmean([table[c][v][k] for c in clips]) for k in keys} for v in variants}
    change = {c: {v: {k: _rel(table[c][v][k], table[c][base][k]) for k in keys} for v in variants[1:]} for c in clips}
    mean_change = {v: {k: _rel(mean[v][k], mean[base][k]) for k in keys} for v in variants[1:]}
    # The poster's "on average" / "on select videos": the mean of the per-clip changes, and the best clip.
    per_clip_changes = {
        v: {
            k: {
                "mean": _nanmean([change[c][v][k] for c in clips]),
                "best": _best([(change[c][v][k], c) for c in clips], higher_is_better),
            }
            for k, _, higher_is_better in METRICS
        }
        for v in variants[1:]
    }
    return {
        "per_clip": table,
        "mean": mean,
        "change": change,
        "mean_change": mean_change,
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


def markdown(summary: dict[str, Any], variants: list[str], header: list[str]) -> str:
    base = variants[0]
    lines = [*header, ""]
    cols = " | ".join(label for _, label, _ in METRICS)
    lines += [f"| clip | variant | {cols} |", "|---|---|" + "---|" * len(METRICS)]
    for clip, by_variant in [*summary["per_clip"].items(), ("**mean**", summary["mean"])]:
        for v in variants:
            cells = []
            for key, _, _ in METRICS:
                cell = _fmt(by_variant[v][key])
                if v != base:
                    change = summary["mean_change" if clip == "**mean**" else "change"]
                    rel = (change[v] if clip == "**mean**" else change[clip][v])[key]
                    cell += "" if math.isnan(rel) else f" ({rel:+.1f}%)"
                cells.append(cell)
            lines.append(f"| {clip} | {v} | {' | '.join(cells)} |")
    lines += ["", f"Per-clip relative changes against `{base}`: their mean, and the best clip.", ""]
    lines += [f"| variant | {cols} |", "|---|" + "---|" * len(METRICS)]
    for v in variants[1:]:
        cells = []
        for key, _, _ in METRICS:
            stats = summary["per_clip_changes"][v][key]
            best = stats["best"]
            cell = "–" if math.isnan(stats["mean"]) else f"{stats['mean']:+.1f}%"
            cells.append(cell + (f" (best {best[0]:+.1f}%, {best[1]})" if best else ""))
        lines.append(f"| {v} | {' | '.join(cells)} |")
    lines += [
        "",
        f"Relative changes are against `{base}`; the mean row compares the means over clips. Lower is better for",
        "every column except SSIM. Each clip's numbers are averaged over the styles. Seconds per frame depend on",
        "the machine's load (see the load average above); `benchmarks/speed.py` measures speed on its own.",
    ]
    return "\n".join(lines) + "\n"


def plots(summary: dict[str, Any], rows: list[dict[str, Any]], variants: list[str], out: Path) -> list[Path]:
    """relative_change.png (per clip and metric, against the baseline) and tradeoff.png (stability vs style)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    clips = list(summary["per_clip"])
    if len(variants) > 1:
        shown = [m for m in METRICS if m[0] != "seconds_per_frame"]
        fig, axes = plt.subplots(1, len(shown), figsize=(4 * len(shown), 4.5), sharey=False)
        width = 0.8 / (len(variants) - 1)
        for ax, (key, label, _) in zip(axes, shown):
            for j, v in enumerate(variants[1:]):
                values = [summary["change"][c][v][key] for c in clips] + [summary["mean_change"][v][key]]
                ax.bar(np.arange(len(clips) + 1) + j * width, np.nan_to_num(values), width, label=v)
            ax.axhline(0, color="black", linewidth=0.8)
            ax.set_xticks(np.arange(len(clips) + 1) + 0.4 - width / 2, [*clips, "mean"], rotation=60, ha="right")
            ax.set_title(f"{label}: % vs {variants[0]}")
        axes[0].legend()
        fig.tight_layout()
        fig.savefig(out / "relative_change.png", dpi=110)
        plt.close(fig)
        written.append(out / "relative_change.png")

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for v in variants:
        picked = [r for r in rows if r["variant"] == v and not math.isnan(r["warping_error"])]
        ax.scatter([r["style_distance"] for r in picked], [r["warping_error"] for r in picked], label=v, alpha=0.7)
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


def command_line(args: argparse.Namespace) -> str:
    """The exact command with every option spelled out, so that a later default change cannot alter a rerun."""
    parts = ["python", "benchmarks/temporal.py", "--variants", *args.variants, "--styles", *args.styles]
    parts += ["--datasets", *args.datasets, "--size", str(args.size), "--style-size", str(args.style_size)]
    parts += ["--max-frames", str(args.max_frames), "--sintel-pass", args.sintel_pass]
    parts += ["--flow-iterations", *map(str, args.flow_iterations), "--precision", args.precision, "--out", args.out]
    return shlex.join(parts)


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [ln.split(":", 1)[1].strip() for ln in cpuinfo.read_text().splitlines() if ln.startswith("model name")]
        cpu = f"{names[0]} x{len(names)}" if names else cpu
    gpu = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    load = f", load average {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    return f"{cpu}, {gpu}, torch {torch.__version__} ({torch.get_num_threads()} threads){load}"


def resolve_style(name: str, data: Path) -> Path:
    path = Path(name)
    if path.is_file():
        return path
    for suffix in (".jpg", ".png", ".jpeg"):
        if (data / "style" / f"{name}{suffix}").is_file():
            return data / "style" / f"{name}{suffix}"
    raise SystemExit(f"temporal.py: style {name!r} is neither a file nor a name in {data / 'style'}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["baseline", "noise-resilient"], help="first is the reference")
    parser.add_argument("--styles", nargs="+", default=list(DEFAULT_STYLES), help="names in DATA/style or files")
    parser.add_argument("--datasets", nargs="+", choices=("sintel", "video"), default=["sintel", "video"])
    parser.add_argument("--size", type=int, default=192, help="short side of the frames, in pixels")
    parser.add_argument("--style-size", type=int, default=256, help="short side of the style images")
    parser.add_argument("--max-frames", type=int, default=12, help="frames per clip (from the start)")
    parser.add_argument("--sintel-pass", choices=("final", "clean"), default="final")
    parser.add_argument("--flow-iterations", type=int, nargs=2, default=[100, 50], metavar=("FIRST", "LATER"))
    parser.add_argument("--precision", default="auto", help="of the stylizers: auto, fp32, bf16, fp16")
    parser.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    parser.add_argument("--out", default="benchmarks/results/temporal")
    args = parser.parse_args(argv)

    command = command_line(args)
    print(f"# {command}", flush=True)
    if not args.data.is_dir():
        raise SystemExit(f"temporal.py: data folder not found: {args.data}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)

    clips: list[Clip] = []
    if "sintel" in args.datasets:
        clips += sintel_clips(args.data / "flow" / "sintel", args.sintel_pass, args.size, args.max_frames)
    if "video" in args.datasets:
        clips += video_clips(sorted((args.data / "video").glob("*.mp4")), args.size, args.max_frames)
    styles = {name: load_image(resolve_style(name, args.data), args.style_size) for name in args.styles}
    encoder, _ = load_encoder()
    targets = {name: style_targets(encoder, image) for name, image in styles.items()}

    rows: list[dict[str, Any]] = []
    for variant in args.variants:
        options: dict[str, Any] = {"precision": args.precision}
        if variant == "optical-flow":
            options["iterations"] = tuple(args.flow_iterations)
        stylizer = zoo.create_stylizer(variant, **options)
        for style_name, image in styles.items():
            handle = stylizer.encode_style(image)
            for clip in clips:
                result = evaluate(stylizer, handle, clip, StyleMetrics(encoder, targets[style_name]))
                rows.append({"clip": clip.name, "dataset": clip.dataset, "variant": variant, "style": style_name})
                rows[-1].update(result)
                print(
                    f"{clip.name:>24} {variant:>16} {style_name:>14}  "
                    + "  ".join(f"{k}={_fmt(result[k])}" for k, _, _ in METRICS),
                    flush=True,
                )

    summary = aggregate(rows, args.variants)
    header = [
        "# Temporal stability benchmark",
        "",
        f"- command: `{command}`",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- hardware: {hardware()}",
        f"- clips: {', '.join(f'{c.name} ({c.dataset}, {len(c.frames)} frames)' for c in clips)}",
        f"- frame size: short side {args.size}; styles: {', '.join(args.styles)} (short side {args.style_size})",
    ]
    for variant in args.variants:
        header.append(f"- `{variant}`: {json.dumps(weights_identity(variant))}")
    (out / "temporal.md").write_text(markdown(summary, args.variants, header))
    (out / "temporal.json").write_text(
        json.dumps({"command": command, "hardware": hardware(), "rows": rows, "summary": summary}, indent=1)
    )
    written = plots(summary, rows, args.variants, out)
    print((out / "temporal.md").read_text())
    print("wrote", ", ".join(str(p) for p in [out / "temporal.md", out / "temporal.json", *written]))
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
