"""The AdaIN decoder: the encoder mirrored, nearest upsampling, reflection padding.

Its state-dict layout is the one of the reference AdaIN PyTorch decoder
(naoto0804/pytorch-AdaIN `net.decoder`), so published weights load unchanged.
"""

from __future__ import annotations

from torch import nn

from .encoder import VGG_DEPTHS, VGG_WIDTHS


def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
    return layers + [nn.ReLU()] if relu else layers


def _up() -> nn.Module:
    return nn.Upsample(scale_factor=2, mode="nearest")


class Decoder(nn.Sequential):
    """relu4_1 features to an RGB image in about [0, 1]: the encoder of these widths and depths, mirrored."""

    def __init__(self, widths: tuple[int, ...] = VGG_WIDTHS, depths: tuple[int, ...] = VGG_DEPTHS) -> None:
        layers = [*_conv(widths[3], widths[2]), _up()]
        for block in (2, 1):
            width = widths[block]
            layers += [m for _ in range(depths[block] - 1) for m in _conv(width, width)]
            layers += [*_conv(width, widths[block - 1]), _up()]
        layers += [m for _ in range(depths[0] - 1) for m in _conv(widths[0], widths[0])]
        super().__init__(*layers, *_conv(widths[0], 3, relu=False))
