"""Checkpoint folders: `model.safetensors` + `config.json` (+ `encoder.safetensors`, `style_map.safetensors`).

The network shapes (`ARCHITECTURES`): the full VGG-19 encoder with the AdaIN
decoder, and `lite`, a student of the same shape with a quarter of the channels
and half the conv3 depth, trained against VGG-19 and always bundled as
`encoder.safetensors`. A student may read its style through VGG-19 instead of its
own encoder (`vst.core.style_map`): its map travels as `style_map.safetensors` and
its config names the VGG-19 weights the map was fitted to (`style_encoder`).

This follows huggingface_hub's PyTorchModelHubMixin layout so a folder can be
pushed to the Hub as it is, but knows nothing of the Hub. Loading refuses
anything that is not safetensors and verifies the decoder's tensor names and
shapes and the encoder's identity before a single weight is used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from .decoder import Decoder
from .encoder import VGG_DEPTHS, VGG_WIDTHS, EncoderIdentity, VGGEncoder, encoder_state, save_state_atomic
from .errors import VstError
from .files import atomic_write
from .style_map import STYLE_MAP_FILE, StyleMap, VGGStylePath

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
ENCODER_FILE = "encoder.safetensors"
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt")
M = TypeVar("M", bound=nn.Module)


@dataclass(frozen=True)
class Architecture:
    """A network shape: an encoder of VGG-19's layout up to relu4_1 at these widths and depths, and its mirror;
    the style read by that encoder, or through VGG-19 and a `StyleMap` (`style_through_vgg`); the encoder's pools
    strided max pools, or `MaxBlurPool` (`antialias`); the decoder's upsampling nearest or bilinear (`upsample`).
    None of these choices has weights, so one checkpoint's weights load into any shape of its widths and depths."""

    name: str
    widths: tuple[int, ...]
    depths: tuple[int, ...]
    style_through_vgg: bool = False
    antialias: bool = False
    upsample: str = "nearest"

    def encoder(self) -> VGGEncoder:
        return VGGEncoder(self.widths, self.depths, self.antialias)

    def decoder(self) -> Decoder:
        return Decoder(self.widths, self.depths, self.upsample)

    def style_map(self) -> StyleMap:
        return StyleMap(self.widths[-1])


FULL = Architecture("adain-vgg19-relu4_1", VGG_WIDTHS, VGG_DEPTHS)
# A small fraction of the full network's FLOPs (measured: benchmarks/speed.py, docs/results/speed.md); relu4_1
# keeps 256 channels for the style statistics.
LITE = Architecture("adain-lite-relu4_1", (16, 32, 64, 256), (2, 2, 2, 1))
# lite at 1.5x the channels below relu4_1: about twice its FLOPs (the frontier: docs/results/lite.md, Width)
LITE_WIDE = Architecture("adain-lite-1.5x-relu4_1", (24, 48, 96, 256), (2, 2, 2, 1))
# lite with its style read through VGG-19, once per style: the same per-frame network (docs/results/lite.md)
LITE_VGG_STYLE = Architecture("adain-lite-vggstyle-relu4_1", LITE.widths, LITE.depths, style_through_vgg=True)
LITE_WIDE_VGG_STYLE = Architecture(
    "adain-lite-1.5x-vggstyle-relu4_1", LITE_WIDE.widths, LITE_WIDE.depths, style_through_vgg=True
)
# lite with pools that do not alias: its strokes move with the scene, not with the 8 px pooling grid (the same weights)
LITE_AA_VGG_STYLE = Architecture(
    "adain-lite-aa-vggstyle-relu4_1", LITE.widths, LITE.depths, style_through_vgg=True, antialias=True
)
# ... and a decoder that upsamples bilinearly: neither end of the network is tied to the 8 px grid (the same weights)
LITE_SMOOTH_VGG_STYLE = Architecture(
    "adain-lite-smooth-vggstyle-relu4_1",
    LITE.widths,
    LITE.depths,
    style_through_vgg=True,
    antialias=True,
    upsample="bilinear",
)
ARCHITECTURES = {
    a.name: a
    for a in (FULL, LITE, LITE_WIDE, LITE_VGG_STYLE, LITE_WIDE_VGG_STYLE, LITE_AA_VGG_STYLE, LITE_SMOOTH_VGG_STYLE)
}


class CheckpointError(VstError):
    """A checkpoint folder that is missing, unsafe or does not fit the encoder."""


class Checkpoint(NamedTuple):
    """A verified checkpoint: the decoder, the encoder weights, the config, and the style path of an architecture
    that reads its style through VGG-19 (else None)."""

    decoder: Decoder
    encoder_state: dict[str, torch.Tensor]
    config: dict[str, Any]
    style_path: VGGStylePath | None


def save_checkpoint(
    directory: str | os.PathLike,
    decoder: Decoder,
    encoder: EncoderIdentity,
    config: dict[str, Any] | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    encoder_weights: dict[str, torch.Tensor] | None = None,
    architecture: Architecture = FULL,
    style_map: StyleMap | None = None,
) -> Path:
    """Write a checkpoint folder; `encoder_weights` are bundled when the encoder is not a built-in (always for lite),
    `style_map` where the architecture reads its style through VGG-19 (its config then names `style_encoder`)."""
    if architecture.style_through_vgg != (style_map is not None):
        raise ValueError(f"a {architecture.name} checkpoint {'needs' if style_map is None else 'has no'} style map")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", dtype) for k, v in decoder.state_dict().items()}
    save_state_atomic(state, out / MODEL_FILE, metadata={"format": "pt"})
    if encoder_weights is not None:
        save_state_atomic(encoder_weights, out / ENCODER_FILE, metadata={"format": "pt"})
    if style_map is not None:  # float32 always: it is small, and its output is exponentiated
        maps = {k: v.detach().to("cpu", torch.float32) for k, v in style_map.state_dict().items()}
        save_state_atomic(maps, out / STYLE_MAP_FILE, metadata={"format": "pt"})
    full = {"architecture": architecture.name, "encoder": encoder.to_dict(), **(config or {})}
    with atomic_write(out / CONFIG_FILE) as tmp:
        tmp.write_text(json.dumps(full, indent=2) + "\n")
    return out


def read_config(directory: str | os.PathLike) -> dict[str, Any]:
    path = Path(directory) / CONFIG_FILE
    try:
        config = json.loads(path.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{directory} is not a checkpoint folder: it has no {CONFIG_FILE}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path} is not valid JSON: {e}") from None
    if not isinstance(config, dict) or config.get("architecture") not in ARCHITECTURES:
        raise CheckpointError(f"{path} does not describe a model of vst's ({', '.join(ARCHITECTURES)})")
    return config


def architecture_of(config: dict[str, Any]) -> Architecture:
    """The network shape a checkpoint's config records."""
    return ARCHITECTURES[config["architecture"]]


def _load_verified(path: Path, module: M, what: str) -> M:
    """`module` with the weights of the safetensors file `path`, once their names, shapes and values are checked."""
    try:
        state = load_file(str(path))
    except FileNotFoundError:
        raise CheckpointError(f"{path.parent} has no {path.name}") from None
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"{path} is not a readable safetensors file: {e}") from None
    expected = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if expected != got:
        problems = {
            "missing": sorted(set(expected) - set(got)),
            "unexpected": sorted(set(got) - set(expected)),
            "wrong shape": [
                f"{k} {list(got[k])} instead of {list(expected[k])}"
                for k in sorted(set(expected) & set(got))
                if expected[k] != got[k]
            ],
        }
        details = "; ".join(
            f"{kind}: {', '.join(keys[:3])}{', …' if len(keys) > 3 else ''}" for kind, keys in problems.items() if keys
        )
        raise CheckpointError(f"{path} does not fit {what} ({details})")
    broken = [k for k, v in state.items() if not torch.isfinite(v).all()]
    if broken:
        raise CheckpointError(f"{path} holds NaN or infinite weights ({', '.join(sorted(broken)[:3])})")
    module.load_state_dict({k: v.float() for k, v in state.items()})
    return module


def _recorded_identity(config: dict[str, Any], key: str, path: Path) -> dict[str, str]:
    recorded = config.get(key)
    if not isinstance(recorded, dict) or not all(isinstance(recorded.get(k), str) for k in ("name", "sha256")):
        raise CheckpointError(
            f"{path} does not record the {key.replace('_', ' ')} the model was trained against ({key} name and "
            "sha256), so it cannot be verified"
        )
    return recorded


def _style_path(root: Path, config: dict[str, Any], architecture: Architecture) -> VGGStylePath:
    """The VGG-19 style path of a checkpoint: its map, and the VGG-19 weights it was fitted to, verified."""
    style_map = _load_verified(root / STYLE_MAP_FILE, architecture.style_map(), "a style map")
    recorded = _recorded_identity(config, "style_encoder", root / CONFIG_FILE)
    state, identity = encoder_state(recorded["name"])
    if identity.sha256 != recorded["sha256"]:
        raise CheckpointError(
            f"{root}'s style map was fitted to VGG-19 weights with sha256 {recorded['sha256'][:12]}…, but "
            f"{identity.name} has sha256 {identity.sha256[:12]}…"
        )
    vgg = FULL.encoder()
    vgg.load_state_dict(state)
    return VGGStylePath(vgg, style_map)


def load_checkpoint(directory: str | os.PathLike, encoder_source: str | None = None) -> Checkpoint:
    """A verified checkpoint from a folder: decoder, encoder weights, config and, where the architecture reads its
    style through VGG-19, the style path."""
    root = Path(directory)
    if not root.is_dir():
        raise CheckpointError(f"checkpoint folder not found: {directory}")
    pickles = sorted(p.name for p in root.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles:
        raise CheckpointError(
            f"refusing {directory}: it holds pickle files ({', '.join(pickles)}); only safetensors are loaded"
        )
    config = read_config(root)
    architecture = architecture_of(config)
    decoder = _load_verified(root / MODEL_FILE, architecture.decoder(), f"the {architecture.name} decoder")
    recorded = _recorded_identity(config, "encoder", root / CONFIG_FILE)
    bundled = root / ENCODER_FILE
    if encoder_source is None and not bundled.exists() and recorded["name"].startswith("file:"):
        raise CheckpointError(f"{directory} was trained against its own encoder, but {ENCODER_FILE} is missing")
    source = encoder_source or (str(bundled) if bundled.exists() else recorded["name"])
    enc_state, identity = encoder_state(source, architecture.encoder())
    if recorded["sha256"] != identity.sha256:
        raise CheckpointError(
            f"{directory} was trained against encoder {recorded.get('name')} (sha256 {recorded['sha256'][:12]}…), "
            f"but {identity.name} has sha256 {identity.sha256[:12]}…"
        )
    style_path = _style_path(root, config, architecture) if architecture.style_through_vgg else None
    return Checkpoint(decoder, enc_state, config, style_path)


__all__ = [
    "ARCHITECTURES",
    "FULL",
    "LITE",
    "Architecture",
    "Checkpoint",
    "CheckpointError",
    "architecture_of",
    "load_checkpoint",
    "read_config",
    "save_checkpoint",
]
