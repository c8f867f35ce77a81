"""The AdaIN decoder: the encoder mirrored, nearest upsampling, reflection padding.

Its state-dict layout is the one of the reference AdaIN PyTorch decoder
(naoto0804/pytorch-AdaIN `net.decoder`), so published weights load unchanged.
"""

from __future__ import annotations

from torch import nn


def _conv(cin: int, cout: int, relu: bool = True) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3)]
    return layers + [nn.ReLU()] if relu else layers


def _up() -> nn.Module:
    return nn.Upsample(scale_factor=2, mode="nearest")


class Decoder(nn.Sequential):
    """relu4_1 features (512 channels) to an RGB image in about [0, 1]."""

    def __init__(self) -> None:
        super().__init__(
            *_conv(512, 256),
            _up(),
            *_conv(256, 256),
            *_conv(256, 256),
            *_conv(256, 256),
            *_conv(256, 128),
            _up(),
            *_conv(128, 128),
            *_conv(128, 64),
            _up(),
            *_conv(64, 64),
            *_conv(64, 3, relu=False),
        )
