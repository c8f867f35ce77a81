"""A wider student that starts as the narrow one: Net2WiderNet (Chen, Goodfellow & Shlens 2016) on a lite checkpoint.

    python -m vst.training.widen zoo/weights/lite --architecture adain-lite-1.5x-vggstyle-relu4_1 -o runs/wide-init
    python -m vst.training.distill --data runs/teacher-data --architecture adain-lite-1.5x-vggstyle-relu4_1 \
        --init runs/wide-init -o runs/lite-1.5x

A student keeps its style path: one that reads its style through VGG-19 (the embedded `lite`) keeps its style map,
one that reads its own (`adain-lite-relu4_1`) widens to `adain-lite-1.5x-relu4_1`.

Each widened layer's new channels copy randomly chosen old ones, and the next layer divides the weights it reads
from a copied channel by the number of copies, so the wider network computes what the narrow one did (ReLU,
reflection padding, pooling and upsampling act on each channel alone). A little noise on the copies lets them
part ways once training starts. The wider student therefore begins at the narrow one's quality instead of at
random weights, which a CPU budget could not make up.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from vst.core import load_checkpoint
from vst.core.checkpoint import ARCHITECTURES, ENCODER_FILE, FULL, Architecture, architecture_of, save_checkpoint
from vst.core.encoder import EncoderIdentity, weights_sha256
from vst.core.style_map import StyleMap

from .loop import TrainError


def convs(module: nn.Module) -> list[nn.Conv2d]:
    """A network's 3x3 convolutions in the order a frame meets them (encoder and decoder are both chains)."""
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def widen_chain(narrow: list[nn.Conv2d], wide: list[nn.Conv2d], gen: torch.Generator, noise: float) -> None:
    """Copy a chain of convolutions into a wider chain of the same length, function-preserving (up to `noise`)."""
    pick = torch.arange(narrow[0].in_channels)  # which old input channel each new input channel copies
    for old, new in zip(narrow, wide):
        extra = new.out_channels - old.out_channels
        out_pick = torch.cat([torch.arange(old.out_channels), torch.randint(old.out_channels, (extra,), generator=gen)])
        copies = torch.bincount(pick, minlength=old.in_channels).float()
        weight = old.weight.detach()[:, pick] / copies[pick].view(1, -1, 1, 1)  # each copy carries its share
        weight = weight[out_pick]
        weight = weight + noise * weight.std() * torch.randn(weight.shape, generator=gen)
        with torch.no_grad():
            new.weight.copy_(weight)
            new.bias.copy_(old.bias.detach()[out_pick])
        pick = out_pick


WIDENABLE = sorted(a.name for a in ARCHITECTURES.values() if a is not FULL)


def widen(
    directory: str | Path, architecture: Architecture, noise: float, seed: int
) -> tuple[nn.Module, nn.Module, StyleMap | None, dict]:
    """(wide encoder, wide decoder, style map, narrow config) from a lite checkpoint folder. A student that reads its
    style through VGG-19 keeps its style map as it is: the map predicts relu4_1's statistics, and a widening keeps
    relu4_1's width and function."""
    decoder, enc_state, config, style_path = load_checkpoint(directory)
    narrow = architecture_of(config)
    if (
        narrow is FULL
        or (architecture.depths, architecture.widths[-1]) != (narrow.depths, narrow.widths[-1])
        or any(w < n for w, n in zip(architecture.widths, narrow.widths))
        or architecture.style_through_vgg != narrow.style_through_vgg
    ):
        raise TrainError(
            f"{architecture.name} is not a widening of {narrow.name} (the same depths, relu4_1 width and style path)"
        )
    encoder = narrow.encoder()
    encoder.load_state_dict(enc_state)
    wide_encoder, wide_decoder = architecture.encoder(), architecture.decoder()
    gen = torch.Generator().manual_seed(seed)
    widen_chain(convs(encoder), convs(wide_encoder), gen, noise)
    widen_chain(convs(decoder), convs(wide_decoder), gen, noise)
    return wide_encoder, wide_decoder, style_path.map if style_path else None, config


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m vst.training.widen", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a lite checkpoint folder")
    parser.add_argument("--architecture", required=True, choices=WIDENABLE)
    parser.add_argument("--noise", type=float, default=0.01, help="on the copies, relative to each layer's weights")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    architecture = ARCHITECTURES[args.architecture]
    encoder, decoder, style_map, narrow = widen(args.checkpoint, architecture, args.noise, args.seed)
    bundled = {k: v.detach().float() for k, v in encoder.state_dict().items()}
    config = {
        **{k: v for k, v in narrow.items() if k not in ("architecture", "encoder")},
        "widened_from": {"from": args.checkpoint, "architecture": narrow["architecture"], "noise": args.noise},
    }
    own = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(bundled))
    return save_checkpoint(
        args.output, decoder, own, config, encoder_weights=bundled, architecture=architecture, style_map=style_map
    )


if __name__ == "__main__":
    print(main())
