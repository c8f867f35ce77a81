"""Checkpoint folders: `model.safetensors` + `config.json` (+ optional `encoder.safetensors`).

Two network shapes exist (`ARCHITECTURES`): the full VGG-19 encoder with the AdaIN
decoder, and `lite`, a student of the same shape with a quarter of the channels
and half the conv3 depth, trained against VGG-19 and always bundled as
`encoder.safetensors`.

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
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .decoder import Decoder
from .encoder import VGG_DEPTHS, VGG_WIDTHS, EncoderIdentity, VGGEncoder, encoder_state, save_state_atomic
from .errors import VstError
from .files import atomic_write

MODEL_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
ENCODER_FILE = "encoder.safetensors"
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt")


@dataclass(frozen=True)
class Architecture:
    """A network shape: an encoder of VGG-19's layout up to relu4_1 at these widths and depths, and its mirror."""

    name: str
    widths: tuple[int, ...]
    depths: tuple[int, ...]

    def encoder(self) -> VGGEncoder:
        return VGGEncoder(self.widths, self.depths)

    def decoder(self) -> Decoder:
        return Decoder(self.widths, self.depths)


FULL = Architecture("adain-vgg19-relu4_1", VGG_WIDTHS, VGG_DEPTHS)
# A small fraction of the full network's FLOPs (measured: benchmarks/speed.py, docs/results/speed.md); relu4_1
# keeps 256 channels for the style statistics.
LITE = Architecture("adain-lite-relu4_1", (16, 32, 64, 256), (2, 2, 2, 1))
# lite at 1.5x the channels below relu4_1: about twice its FLOPs (the frontier: docs/results/lite.md, Width)
LITE_WIDE = Architecture("adain-lite-1.5x-relu4_1", (24, 48, 96, 256), (2, 2, 2, 1))
ARCHITECTURES = {a.name: a for a in (FULL, LITE, LITE_WIDE)}


class CheckpointError(VstError):
    """A checkpoint folder that is missing, unsafe or does not fit the encoder."""


def save_checkpoint(
    directory: str | os.PathLike,
    decoder: Decoder,
    encoder: EncoderIdentity,
    config: dict[str, Any] | None = None,
    *,
    dtype: torch.dtype = torch.float32,
    encoder_weights: dict[str, torch.Tensor] | None = None,
    architecture: Architecture = FULL,
) -> Path:
    """Write a checkpoint folder; `encoder_weights` are bundled when the encoder is not a built-in (always for lite)."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", dtype) for k, v in decoder.state_dict().items()}
    save_state_atomic(state, out / MODEL_FILE, metadata={"format": "pt"})
    if encoder_weights is not None:
        save_state_atomic(encoder_weights, out / ENCODER_FILE, metadata={"format": "pt"})
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


def load_checkpoint(
    directory: str | os.PathLike, encoder_source: str | None = None
) -> tuple[Decoder, dict[str, torch.Tensor], dict[str, Any]]:
    """Verified decoder, encoder weights and config from a checkpoint folder."""
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
    try:
        state = load_file(str(root / MODEL_FILE))
    except FileNotFoundError:
        raise CheckpointError(f"{directory} has no {MODEL_FILE}") from None
    except (SafetensorError, OSError) as e:
        raise CheckpointError(f"{root / MODEL_FILE} is not a readable safetensors file: {e}") from None
    decoder = architecture.decoder()
    expected = {k: tuple(v.shape) for k, v in decoder.state_dict().items()}
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
            f"{what}: {', '.join(keys[:3])}{', …' if len(keys) > 3 else ''}" for what, keys in problems.items() if keys
        )
        raise CheckpointError(f"{root / MODEL_FILE} does not fit the {architecture.name} decoder ({details})")
    broken = [k for k, v in state.items() if not torch.isfinite(v).all()]
    if broken:
        raise CheckpointError(f"{root / MODEL_FILE} holds NaN or infinite weights ({', '.join(sorted(broken)[:3])})")
    decoder.load_state_dict({k: v.float() for k, v in state.items()})

    recorded = config.get("encoder")
    if not isinstance(recorded, dict) or not all(isinstance(recorded.get(k), str) for k in ("name", "sha256")):
        raise CheckpointError(
            f"{root / CONFIG_FILE} does not record the encoder the decoder was trained against (encoder name and "
            "sha256), so it cannot be verified"
        )
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
    return decoder, enc_state, config


__all__ = [
    "ARCHITECTURES",
    "FULL",
    "LITE",
    "Architecture",
    "CheckpointError",
    "architecture_of",
    "load_checkpoint",
    "read_config",
    "save_checkpoint",
]
