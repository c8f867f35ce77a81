"""int8 for the lite network on x86, measured: PyTorch 2 export quantization (torchao's X86InductorQuantizer,
static per-channel int8 through oneDNN/VNNI) against bf16, both compiled by inductor, side by side in one run.

    pip install torchao
    python benchmarks/int8.py --variant lite-noise-resilient --sizes 256x256,1024x436

Quality is the mean absolute difference of each output from the fp32 network's on real photos (0-255 scale),
calibrated on other photos. int8 is kept only if it is faster at equal quality (docs/results/speed.md).
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import torch
from common import DATA, command_line, hardware
from torch import nn

from vst import zoo
from vst.core.adain import StyleStats, adain
from vst.core.images import load_image


class Network(nn.Module):
    """One style baked in: what a camera filter runs frame after frame."""

    def __init__(self, encoder: nn.Module, decoder: nn.Module, style: StyleStats) -> None:
        super().__init__()
        self.encoder, self.decoder, self.style = encoder, decoder, style

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(adain(self.encoder(x)[0], self.style)).clamp(0, 1)


def rate(run: nn.Module, x: torch.Tensor, frames: int) -> float:
    for _ in range(3):
        run(x)
    start = time.perf_counter()
    for _ in range(frames):
        run(x)
    return frames / (time.perf_counter() - start)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="lite-noise-resilient")
    parser.add_argument("--sizes", default="256x256,1024x436")
    parser.add_argument("--frames", type=int, default=20)
    args = parser.parse_args(argv)
    from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    from torchao.quantization.pt2e.quantizer import x86_inductor_quantizer as x86

    stylizer = zoo.create_stylizer(args.variant, precision="fp32")
    style = stylizer.encode_style(load_image(DATA / "style" / "starry_night.jpg", 256))
    net = Network(stylizer.encoder.float(), stylizer.decoder.float(), style).eval()
    photos = sorted((DATA / "content").glob("*.jpg"))
    print(f"# {command_line('benchmarks/int8.py', parser, args)}\n{hardware('torchao')}\n")
    print("| size | bf16 compiled fps | int8 compiled fps | int8 / bf16 | bf16 error | int8 error |")
    print("|---|---:|---:|---:|---:|---:|")
    for size in args.sizes.split(","):
        w, h = map(int, size.split("x"))
        fit = [nn.functional.interpolate(load_image(p, h), size=(h, w), mode="area") for p in photos]
        calibration, test = fit[: len(fit) // 2], fit[len(fit) // 2 :]
        with torch.no_grad():
            quantizer = x86.X86InductorQuantizer().set_global(x86.get_default_x86_inductor_quantization_config())
            prepared = prepare_pt2e(torch.export.export(net, (test[0],)).module(), quantizer)
            for image in calibration:
                prepared(image)
            int8 = torch.compile(convert_pt2e(prepared))
            bf16 = torch.compile(copy.deepcopy(net).to(memory_format=torch.channels_last))
            errors = {"bf16": 0.0, "int8": 0.0}
            for image in test:
                want = net(image)
                with torch.autocast("cpu", torch.bfloat16):
                    errors["bf16"] += (bf16(image).float() - want).abs().mean().item() * 255 / len(test)
                errors["int8"] += (int8(image) - want).abs().mean().item() * 255 / len(test)
            with torch.autocast("cpu", torch.bfloat16):
                fast = rate(bf16, test[0], args.frames)
            quantized = rate(int8, test[0], args.frames)
        print(
            f"| {w}x{h} | {fast:.1f} | {quantized:.1f} | {quantized / fast:.2f}x | {errors['bf16']:.2f} | "
            f"{errors['int8']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
