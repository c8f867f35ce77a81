"""Conversion of the published AdaIN weights (naoto0804/pytorch-AdaIN) into a vst checkpoint folder.

`vgg_normalised.pth` is an `nn.Sequential` state dict whose index 0 is a 1x1 conv
that maps RGB in [0, 1] to the caffe input (BGR, x255, mean removed); it is folded
into conv1_1, which is exact because reflection padding commutes with a per-pixel
affine map. `decoder.pth` already has `vst.core.decoder.Decoder`'s layout. Both are
read with `torch.load(weights_only=True)`, which refuses arbitrary pickled objects.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import torch

from .checkpoint import CheckpointError, save_checkpoint
from .decoder import Decoder
from .encoder import CONV_NAMES, EncoderIdentity, VGGEncoder, file_sha256, fold_affine_input, weights_sha256

# Index of each encoder conv in the reference `net.vgg` Sequential (index 0 is the 1x1 input conv).
REFERENCE_VGG_INDICES = (2, 5, 9, 12, 16, 19, 22, 25, 29)


class AdainImportError(CheckpointError):
    """Published AdaIN weights that cannot be read or do not have the reference layout."""


def _load_state_dict(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise AdainImportError(f"weights file not found: {path}")
    try:
        with warnings.catch_warnings():  # e.g. about the pickle protocol: the one-line error below says enough
            warnings.simplefilter("ignore")
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "Weights only load failed" not in str(e):
            raise AdainImportError(f"{path} is not a readable PyTorch weights file") from None
        raise AdainImportError(f"refusing {path}: it holds Python objects, not only tensors") from None
    except Exception:  # malformed input makes the restricted unpickler raise any type; no code has run
        raise AdainImportError(f"{path} is not a readable PyTorch weights file") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise AdainImportError(f"{path} does not hold a state dict of tensors")
    for key, tensor in state.items():
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise AdainImportError(f"{path} has non-finite values in {key}")
    return state


def _take(state: dict[str, torch.Tensor], key: str, shape: tuple[int, ...], path: Path) -> torch.Tensor:
    tensor = state.get(key)
    if tensor is None or tuple(tensor.shape) != shape:
        got = "missing" if tensor is None else f"shape {tuple(tensor.shape)}"
        raise AdainImportError(f"{path} does not have the reference AdaIN layout: {key} should be {shape}, is {got}")
    return tensor.float()


def encoder_from_reference(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """`VGGEncoder` weights from a reference `net.vgg` state dict, its 1x1 input conv folded into conv1_1."""
    expected = VGGEncoder().state_dict()
    out: dict[str, torch.Tensor] = {}
    for name, index in zip(CONV_NAMES, REFERENCE_VGG_INDICES):
        for param in ("weight", "bias"):
            out[f"{name}.{param}"] = _take(state, f"{index}.{param}", tuple(expected[f"{name}.{param}"].shape), path)
    matrix = _take(state, "0.weight", (3, 3, 1, 1), path)[:, :, 0, 0]
    offset = _take(state, "0.bias", (3,), path)
    out["conv1_1.weight"], out["conv1_1.bias"] = fold_affine_input(
        out["conv1_1.weight"], out["conv1_1.bias"], matrix, offset
    )
    return out


def decoder_from_reference(state: dict[str, torch.Tensor], path: Path) -> Decoder:
    decoder = Decoder()
    expected = decoder.state_dict()
    decoder.load_state_dict({k: _take(state, k, tuple(v.shape), path) for k, v in expected.items()})
    return decoder


def import_adain(
    vgg_path: str | os.PathLike, decoder_path: str | os.PathLike, out_dir: str | os.PathLike
) -> tuple[Path, EncoderIdentity]:
    """A checkpoint folder (decoder + bundled encoder) from the reference's vgg_normalised.pth and decoder.pth."""
    vgg_path, decoder_path = Path(vgg_path), Path(decoder_path)
    encoder_weights = encoder_from_reference(_load_state_dict(vgg_path), vgg_path)
    decoder = decoder_from_reference(_load_state_dict(decoder_path), decoder_path)
    identity = EncoderIdentity(f"adain-{vgg_path.stem}", weights_sha256(encoder_weights))
    config = {
        "recipe": "adain-reference",
        "name": f"adain-{decoder_path.stem}",
        "source": {
            "implementation": "naoto0804/pytorch-AdaIN",
            "vgg": {"file": vgg_path.name, "sha256": file_sha256(vgg_path)},
            "decoder": {"file": decoder_path.name, "sha256": file_sha256(decoder_path)},
        },
    }
    out = save_checkpoint(out_dir, decoder, identity, config, encoder_weights=encoder_weights)
    return out, identity
