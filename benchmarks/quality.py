"""Quality bar of the training issue, measured on every content x style pair of ../shared/data.

    python benchmarks/quality.py [--variants baseline noise-resilient] [--size 256] [--out benchmarks/results]

Per variant, averaged over the pairs:
- style ratio: style distance of the output / style distance of the unstylized content
  (VGG taps normalised by the style's own magnitude; the bar is <= 0.5);
- content distance: relu4_1 of the output against the AdaIN target, relative;
- noise sensitivity: mean |g(n(x)) - g(x)| in [0, 1] units, for Gaussian (sigma 0.03) and
  impulse (0.3 % of the pixels) noise, fixed seeds; the bar is noise-resilient <= 0.7 x baseline.
Writes quality.json, quality.md and a contact sheet PNG per variant.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import zoo
from vst_core import TAPS, load_encoder
from vst_core.images import load_image
from vst_core.metrics import content_distance, style_distance, style_targets
from vst_core.noise import add_noise

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
NOISE = (("gaussian", 0.03), ("impulse", 0.003))


def measure(
    name: str, contents: list[Path], styles: list[Path], size: int, style_size: int
) -> tuple[dict, Image.Image]:
    stylizer = zoo.create_stylizer(name)
    encoder, _ = load_encoder()
    sheet = Image.new("RGB", (128 * (len(styles) + 1), 128 * (len(contents) + 1)), "white")
    rows: dict[str, list[float]] = {"style_ratio": [], "content_distance": []}
    rows.update({f"noise_{kind}": [] for kind, _ in NOISE})
    gen = torch.Generator().manual_seed(0)
    for j, style_path in enumerate(styles):
        style_img = load_image(style_path, style_size)
        targets = style_targets(encoder, style_img)
        style = stylizer.encode_style(style_img)
        sheet.paste(_thumb(style_img), (128 * (j + 1), 0))
        for i, content_path in enumerate(contents):
            x = load_image(content_path, size)
            out = stylizer(x, style)
            with torch.inference_mode():
                out_feats = encoder(out, TAPS)
                content_feats = encoder(x, TAPS)
            rows["style_ratio"].append(style_distance(out_feats, targets) / style_distance(content_feats, targets))
            rows["content_distance"].append(content_distance(out_feats[-1], content_feats[-1], targets[-1]))
            for kind, amount in NOISE:
                noisy = stylizer(add_noise(x, kind, amount, gen), style)
                rows[f"noise_{kind}"].append(float((noisy - out).abs().mean()))
            sheet.paste(_thumb(out), (128 * (j + 1), 128 * (i + 1)))
            if j == 0:
                sheet.paste(_thumb(x), (0, 128 * (i + 1)))
    return {k: round(float(np.mean(v)), 5) for k, v in rows.items()}, sheet


def _thumb(image: torch.Tensor) -> Image.Image:
    array = (image[0].permute(1, 2, 0).clamp(0, 1).numpy() * 255).round().astype(np.uint8)
    thumb = Image.fromarray(array)
    thumb.thumbnail((128, 128))
    return thumb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", nargs="+", default=["baseline", "noise-resilient"])
    parser.add_argument("--size", type=int, default=256, help="content short side")
    parser.add_argument("--style-size", type=int, default=256, help="style short side")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    contents = sorted((args.data / "content").iterdir())
    styles = sorted((args.data / "style").iterdir())
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.variants:
        results[name], sheet = measure(name, contents, styles, args.size, args.style_size)
        sheet.save(args.out / f"contact_sheet_{Path(name).name}.jpg", quality=85)
    base = results.get("baseline")
    lines = [
        f"`{' '.join(['python', *sys.argv])}` — {len(contents)} contents x {len(styles)} styles at {args.size} px, "
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}",
        "",
        "| variant | style ratio (<= 0.5) | content distance | noise, Gaussian | noise, impulse |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        rel = ""
        if base and name != "baseline":
            rel = " / ".join(f"{100 * (r[k] / base[k] - 1):+.1f}%" for k in ("noise_gaussian", "noise_impulse"))
            rel = f" ({rel} vs baseline)"
        lines.append(
            f"| {name} | {r['style_ratio']:.3f} | {r['content_distance']:.3f} | "
            f"{r['noise_gaussian']:.5f} | {r['noise_impulse']:.5f}{rel} |"
        )
    (args.out / "quality.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "quality.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
