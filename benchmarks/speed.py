"""Frames per second of the engine against a naive reference, in the same run, at a few resolutions.

The naive reference is what the AdaIN reference test script does for every frame:
fp32, default memory layout, one frame at a time, and the style image encoded
again for every frame. The engine is `vst.core.Stylizer` as `vst stylize` runs it:
the style encoded once, `--precision auto` (bf16 + channels_last on CPUs with
native bf16, fp16 on CUDA), optionally batched and compiled. Both see the same
uint8 frames and return uint8 frames, so conversions are counted on both sides.

    python benchmarks/speed.py --frames 8 --warmup 2
    python benchmarks/speed.py --sizes "" --variants optical-flow noise-resilient --video-frames 4 \\
        --option optical-flow:iterations=100,50          # end to end only, with a lighter optical-flow budget

The network table (--networks) times each variant's stylizer through `stream`, the protocol every caller uses,
on the same frames, side by side in one run, with its parameter count and GFLOP per frame (counted by torch's
FlopCounterMode on the frame size), and its speed against the first variant (the full network).

The end-to-end runs (--variants) go the way `vst stylize` goes, through `zoo.load(name).stylize_video`, so any
variant is timed alike, and each is compared with the first (above, the optical-flow method: the slow reference).

Weights: the embedded `noise-resilient` checkpoint when present, else random ones
(the cost of the network does not depend on its weights).
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from common import DATA, add_factory_options, command_line, factory_options, hardware
from torch.utils.flop_counter import FlopCounterMode

from vst import zoo
from vst.core import Decoder, StyleStats, Stylizer, VGGEncoder, load_encoder
from vst.core.adain import adain, mean_std
from vst.core.images import load_image

EMBEDDED = Path(__file__).resolve().parents[1] / "zoo" / "weights" / "noise-resilient"
STYLE = DATA / "style" / "starry_night.jpg"


def build(device: str, precision: str, compile: bool) -> tuple[Stylizer, str]:
    if (EMBEDDED / "model.safetensors").is_file():
        return Stylizer.from_pretrained(
            EMBEDDED, device=device, precision=precision, compile=compile
        ), "noise-resilient"
    torch.manual_seed(0)
    encoder, _ = load_encoder()
    return Stylizer(encoder, Decoder(), device=device, precision=precision, compile=compile), "random weights"


def naive_reference(engine: Stylizer, style: torch.Tensor) -> Callable[[np.ndarray], np.ndarray]:
    """Per frame, as the reference test script: fp32, default memory layout, style re-encoded, batch of one."""
    device = engine.device
    encoder, decoder = VGGEncoder().to(device), Decoder().to(device)  # the engine's weights, in fresh fp32 modules
    encoder.load_state_dict({k: v.float() for k, v in engine.encoder.state_dict().items()})
    decoder.load_state_dict({k: v.float() for k, v in engine.decoder.state_dict().items()})
    style = style.to(device)

    @torch.no_grad()
    def run(frame: np.ndarray) -> np.ndarray:
        content = torch.from_numpy(frame).permute(2, 0, 1)[None].to(device).float() / 255
        (content_f,) = encoder(content)
        (style_f,) = encoder(style)
        out = decoder(adain(content_f, StyleStats(*mean_std(style_f))))
        return out.clamp(0, 1).mul(255).round().to(torch.uint8)[0].permute(1, 2, 0).cpu().numpy()

    return run


def fps(run: Callable[[list[np.ndarray]], Iterable[np.ndarray]], frames: list[np.ndarray], warmup: int) -> float:
    for _ in run(frames[:warmup]):
        pass
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    count = sum(1 for _ in run(frames))
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return count / (time.perf_counter() - start)


def network_cost(stylizer: Any, style: Any, h: int, w: int) -> tuple[int | None, float | None]:
    """Parameters and GFLOP of one h x w frame for stylizers with an encoder and a decoder (None for others)."""
    if not isinstance(stylizer, Stylizer):
        return None, None
    params = sum(p.numel() for module in (stylizer.encoder, stylizer.decoder) for p in module.parameters())
    with FlopCounterMode(display=False) as counter:
        stylizer(torch.zeros(1, 3, h, w, dtype=torch.uint8), style)
    return params, counter.get_total_flops() / 1e9


def style_ms(stylizer: Any, style: torch.Tensor, repeats: int = 3) -> float:
    """Milliseconds to encode the style (the median of `repeats`, after a warm-up): paid once per style, not per
    frame, and more for a student that reads its style through VGG-19."""
    stylizer.encode_style(style)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        stylizer.encode_style(style)
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def network_table(variants: list[str], sizes: list[tuple[int, int]], style: torch.Tensor, args: Any) -> None:
    """fps through `stream` of each variant at each size, against the first, with parameters and GFLOP, and the
    time of its style encoding."""
    options = {"device": args.device, "precision": args.precision, "compile": args.compile}
    stylizers = {name: zoo.create_stylizer(name, **options) for name in variants}
    handles = {name: stylizer.encode_style(style) for name, stylizer in stylizers.items()}
    rng = np.random.default_rng(0)
    columns = " | ".join(f"{w}x{h} GFLOP | {w}x{h} fps" for w, h in sizes)
    print(f"\n| variant | parameters | {columns} | style encoding, once per style (ms) |")
    print(f"|---|---:|{'---:|---:|' * len(sizes)}---:|")
    first: dict[tuple[int, int], float] = {}
    for name, stylizer in stylizers.items():
        cells = []
        run = functools.partial(stylizer.stream, style=handles[name], batch_size=args.batch_size)
        for w, h in sizes:
            params, gflop = network_cost(stylizer, handles[name], h, w)
            frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(args.frames)]
            rate = fps(run, frames, args.warmup)
            first.setdefault((w, h), rate)
            cells += ["–" if gflop is None else f"{gflop:.3g}", f"{rate:.1f} ({rate / first[w, h]:.1f}x)"]
        count = "–" if params is None else f"{params / 1e6:.2f} M"
        print(f"| {name} | {count} | {' | '.join(cells)} | {style_ms(stylizer, style):.0f} |", flush=True)


def end_to_end_fps(
    variant: str, video: Path, style: torch.Tensor, size: int | None, max_frames: int | None, **options: Any
) -> float:
    """Decode + stylize + encode through `Pipeline.stylize_video`, in the steady state: timed from the first frame
    written to the last, so model loading, style encoding, codec set-up and first-frame warm-up are left out."""
    pipeline = zoo.load(variant, **options)
    handle = pipeline.encode_style(style)
    stamps: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        pipeline.stylize_video(
            video,
            Path(tmp) / "out.mp4",
            style=handle,
            size=size,
            max_frames=max_frames,
            progress=lambda _: stamps.append(time.perf_counter()),
        )
    if len(stamps) < 2:
        raise SystemExit("speed.py: --video-frames must be at least 2 for an end-to-end rate")
    return (len(stamps) - 1) / (stamps[-1] - stamps[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=8, help="timed frames per resolution and method")
    parser.add_argument("--warmup", type=int, default=2, help="untimed frames first")
    parser.add_argument("--sizes", default="256x256,512x512,1024x436", help="WxH,WxH,...")
    parser.add_argument(
        "--networks", nargs="*", default=["noise-resilient", "lite-noise-resilient"],
        help="variants timed through stream at --sizes, against the first",
    )  # fmt: skip
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="auto", help="the engine's precision (the reference is fp32)")
    parser.add_argument("--batch-size", type=int, default=1, help="frames per engine call")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the engine")
    parser.add_argument("--style-size", type=int, default=512, help="the style's short side (reference default 512)")
    parser.add_argument(
        "--variants", nargs="*", default=[], help="zoo variants to time end to end on --video, against the first"
    )
    parser.add_argument("--video", type=Path, default=DATA / "video" / "bbb_cutBunny_640x360.mp4")
    parser.add_argument("--video-size", type=int, default=None, help="short side for the end-to-end runs")
    parser.add_argument("--video-frames", type=int, default=24, help="frames of --video for the end-to-end runs")
    add_factory_options(parser)
    args = parser.parse_args(argv)
    options = factory_options(args.option, args.variants)
    if args.threads:
        torch.set_num_threads(args.threads)

    engine, weights = build(args.device, args.precision, args.compile)
    style = load_image(STYLE, args.style_size) if STYLE.is_file() else torch.rand(1, 3, args.style_size, 640)
    reference = naive_reference(engine, style)
    handle = engine.encode_style(style)
    rng = np.random.default_rng(0)

    print(f"# {command_line('benchmarks/speed.py', parser, args)}")
    print(f"engine: {engine.dtype}, {engine.device}, batch {args.batch_size}, compile {args.compile}; {weights}")
    print(f"style {tuple(style.shape[-2:])}; {hardware()}\n")
    print("| resolution | naive fps | engine fps | ratio |")
    print("|---|---:|---:|---:|")
    sizes = [tuple(map(int, size.split("x"))) for size in filter(None, args.sizes.split(","))]
    for w, h in sizes:  # --sizes "" times only the --variants end to end
        frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(args.frames)]
        naive = fps(lambda fs: map(reference, fs), frames, args.warmup)
        fast = fps(lambda fs: engine.stream(fs, handle, batch_size=args.batch_size), frames, args.warmup)
        print(f"| {w}x{h} | {naive:.2f} | {fast:.2f} | {fast / naive:.1f}x |", flush=True)
    if sizes and args.networks:
        network_table(args.networks, sizes, style, args)

    if args.variants:  # end to end: decode + stylize + encode, and the speed ratio against the first variant
        print(
            f"\nend to end on {args.video.name}, {args.video_frames} frames, short side {args.video_size or 'native'}"
        )
        rates = {}
        for variant in args.variants:
            chosen = {"device": args.device, "precision": args.precision, **options[variant]}
            rates[variant] = end_to_end_fps(variant, args.video, style, args.video_size, args.video_frames, **chosen)
            print(f"{variant}: {rates[variant]:.3g} fps", flush=True)
        first = args.variants[0]
        print(f"\n| variant | end-to-end fps | x {first} |\n|---|---:|---:|")
        for variant, rate in rates.items():
            print(f"| {variant} | {rate:.3g} | {rate / rates[first]:.3g}x |")


if __name__ == "__main__":
    main(sys.argv[1:])
