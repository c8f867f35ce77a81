"""A wider student that starts as the narrow one, with new channels of its own.

    python -m vst.training.widen zoo/weights/lite --architecture adain-lite-1.5x-vggstyle-relu4_1 -o runs/wide-init
    python -m vst.training.distill --data runs/teacher-data --architecture adain-lite-1.5x-vggstyle-relu4_1 \
        --init runs/wide-init -o runs/lite-1.5x

A student keeps its style path: one that reads its style through VGG-19 (the embedded `lite`) keeps its style map,
one that reads its own (`adain-lite-relu4_1`) widens to `adain-lite-1.5x-relu4_1`.

Each widened layer keeps the old channels' weights and adds new channels with fresh random weights, and the next
layer reads the new channels with zero weights, so the wider network computes exactly what the narrow one did and
begins at its quality instead of at random weights, which a CPU budget could not make up. Training grows the zero
reads first (their gradient is the new channels' activity), then the new channels themselves. Copies of old
channels (Net2WiderNet, Chen, Goodfellow & Shlens 2016, which this module made until 2026-12-08) keep the function
too, but a copy and its source get near-identical gradients: 7,810 steps after its widening, the 1.5x student's
encoder still held its copies within 1-7 % of their sources (docs/results/lite.md), a narrow network in wide clothes.
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

from .loop import TrainError, command


def convs(module: nn.Module) -> list[nn.Conv2d]:
    """A network's 3x3 convolutions in the order a frame meets them (encoder and decoder are both chains)."""
    return [m for m in module.modules() if isinstance(m, nn.Conv2d)]


def widen_chain(narrow: list[nn.Conv2d], wide: list[nn.Conv2d], gen: torch.Generator) -> None:
    """Copy a chain of convolutions into a wider chain of the same length: old channels as they were, new ones
    He-initialised and read by the next layer with zero weights, so the chain computes what the narrow one did."""
    for old, new in zip(narrow, wide):
        o, i = old.out_channels, old.in_channels
        with torch.no_grad():
            nn.init.kaiming_normal_(new.weight, nonlinearity="relu", generator=gen)  # the new channels' own weights
            new.weight[:o, i:] = 0  # old channels do not read new ones yet
            new.weight[:o, :i] = old.weight
            new.bias.zero_()
            new.bias[:o] = old.bias


def new_channels(
    narrow: Architecture, encoder: nn.Module, decoder: nn.Module
) -> list[tuple[nn.Parameter, torch.Tensor]]:
    """Each parameter of a student widened from `narrow`, with a mask of what the widening added: the new channels'
    own weights and biases, and the next layer's reads of them (`--new-channel-lr-scale` in `training.distill`)."""
    added = []
    for old_chain, chain in ((narrow.encoder(), encoder), (narrow.decoder(), decoder)):
        for old, new in zip(convs(old_chain), convs(chain), strict=True):
            o, i = old.out_channels, old.in_channels
            weight, bias = torch.ones_like(new.weight, dtype=torch.bool), torch.ones_like(new.bias, dtype=torch.bool)
            weight[:o, :i], bias[:o] = False, False
            added += [(p, mask) for p, mask in ((new.weight, weight), (new.bias, bias)) if mask.any()]
    return added


WIDENABLE = sorted(a.name for a in ARCHITECTURES.values() if a is not FULL)


def check_widening(narrow: Architecture, architecture: Architecture) -> None:
    """Refuse a pair that is not a widening: another depth, relu4_1 width or style path, or a narrower layer."""
    if (
        narrow is FULL
        or (architecture.depths, architecture.widths[-1]) != (narrow.depths, narrow.widths[-1])
        or any(w < n for w, n in zip(architecture.widths, narrow.widths))
        or architecture.style_through_vgg != narrow.style_through_vgg
    ):
        raise TrainError(
            f"{architecture.name} is not a widening of {narrow.name} (the same depths, relu4_1 width and style path)"
        )


def widen(
    directory: str | Path, architecture: Architecture, seed: int
) -> tuple[nn.Module, nn.Module, StyleMap | None, dict]:
    """(wide encoder, wide decoder, style map, narrow config) from a lite checkpoint folder. A student that reads its
    style through VGG-19 keeps its style map as it is: the map predicts relu4_1's statistics, and a widening keeps
    relu4_1's width and function."""
    decoder, enc_state, config, style_path = load_checkpoint(directory)
    narrow = architecture_of(config)
    check_widening(narrow, architecture)
    encoder = narrow.encoder()
    encoder.load_state_dict(enc_state)
    wide_encoder, wide_decoder = architecture.encoder(), architecture.decoder()
    gen = torch.Generator().manual_seed(seed)
    widen_chain(convs(encoder), convs(wide_encoder), gen)
    widen_chain(convs(decoder), convs(wide_decoder), gen)
    return wide_encoder, wide_decoder, style_path.map if style_path else None, config


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m vst.training.widen", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a lite checkpoint folder")
    parser.add_argument("--architecture", required=True, choices=WIDENABLE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    architecture = ARCHITECTURES[args.architecture]
    encoder, decoder, style_map, narrow = widen(args.checkpoint, architecture, args.seed)
    bundled = {k: v.detach().float() for k, v in encoder.state_dict().items()}
    config = {
        **{k: v for k, v in narrow.items() if k not in ("architecture", "encoder")},
        "widened_from": {"from": args.checkpoint, "architecture": narrow["architecture"], "new_channels": "fresh"},
    }
    own = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(bundled))
    return save_checkpoint(
        args.output, decoder, own, config, encoder_weights=bundled, architecture=architecture, style_map=style_map
    )


if __name__ == "__main__":
    command(lambda: print(main()))
