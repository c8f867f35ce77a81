"""The registry of stylization variants: one door through which models enter the CLI and the app.

A `Variant` names a method and where its weights come from; `create_stylizer`
turns a variant name, a local checkpoint folder or (see `zoo.hub`) an `hf://`
reference into a ready `VideoStylizer`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vst_core import Stylizer, VideoStylizer, VstError, read_config

WEIGHTS_DIR = Path(__file__).parent / "weights"

# factory(weights_folder_or_None, device=..., precision=..., compile=...) -> VideoStylizer
Factory = Callable[..., VideoStylizer]


class ZooError(VstError):
    """An unknown variant, or weights that cannot be had."""


def adain_factory(folder: Path | None, **options: Any) -> VideoStylizer:
    """AdaIN decoders: every checkpoint folder in the vst_core layout."""
    if folder is None:
        raise ZooError("an AdaIN variant needs a weights folder")
    return Stylizer.from_pretrained(folder, **options)


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    factory: Factory = adain_factory
    weights: str | None = None  # a local folder, "hf://ORG/NAME@REV", or None for weight-free methods

    def local_folder(self) -> Path | None:
        if self.weights is None or self.weights.startswith("hf://"):
            return None
        return Path(self.weights)

    def config(self) -> dict[str, Any]:
        folder = self.local_folder()
        return read_config(folder) if folder and folder.is_dir() else {}


_REGISTRY: dict[str, Variant] = {}


def register(variant: Variant) -> Variant:
    """Add a variant (built-ins and plugins alike); names are unique."""
    if variant.name in _REGISTRY:
        raise ZooError(f"a variant named {variant.name!r} is registered already")
    _REGISTRY[variant.name] = variant
    return variant


def list_variants() -> list[Variant]:
    return sorted(_REGISTRY.values(), key=lambda v: v.name)


def get_variant(name: str) -> Variant:
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ZooError(f"unknown variant {name!r}; known variants: {known} (or a checkpoint folder, or hf://ORG/NAME)")


def create_stylizer(ref: str, **options: Any) -> VideoStylizer:
    """A stylizer from a variant name or a checkpoint folder; options go to the factory (device, precision, ...)."""
    path = Path(ref)
    if ref not in _REGISTRY and path.is_dir():
        return adain_factory(path, **options)
    variant = get_variant(ref)
    return variant.factory(variant.local_folder(), **options)


register(
    Variant(
        "baseline",
        "AdaIN decoder, Huang & Belongie objective (per-frame, no temporal term)",
        weights=str(WEIGHTS_DIR / "baseline"),
    )
)
register(
    Variant(
        "noise-resilient",
        "AdaIN decoder trained with the noise-resilience loss, which suppresses flicker between frames",
        weights=str(WEIGHTS_DIR / "noise-resilient"),
    )
)
