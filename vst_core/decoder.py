"""The AdaIN decoder: the encoder mirrored, nearest (or bilinear) upsampling, reflection padding.

Its state-dict layout is the one of the reference AdaIN PyTorch decoder
(naoto0804/pytorch-AdaIN `net.decoder`), so published weights load unchanged.
"""

from __future__ import annotations

from torch import nn

from .encoder import VGG_DEPTHS, VGG_WIDTHS


def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
    return layers + [nn.ReLU()] if relu else layers


def _up(mode: str) -> nn.Module:
    return nn.Upsample(scale_factor=2, mode=mode)


class Decoder(nn.Sequential):
    """relu4_1 features to an RGB image in about [0, 1]: the encoder of these widths and depths, mirrored.

    `upsample` is "nearest" (AdaIN's) or "bilinear", which has no weights either and does not paint the 8 px grid
    of the three 2x upsamplings into the output (a student's strokes then move with the scene)."""

    def __init__(
        self, widths: tuple[int, ...] = VGG_WIDTHS, depths: tuple[int, ...] = VGG_DEPTHS, upsample: str = "nearest"
    ) -> None:
        layers = [*_conv(widths[3], widths[2]), _up(upsample)]
        for block in (2, 1):
            width = widths[block]
            layers += [m for _ in range(depths[block] - 1) for m in _conv(width, width)]
            layers += [*_conv(width, widths[block - 1]), _up(upsample)]
        layers += [m for _ in range(depths[0] - 1) for m in _conv(widths[0], widths[0])]
        super().__init__(*layers, *_conv(widths[0], 3, relu=False))
