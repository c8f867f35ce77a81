"""The registry of stylization variants: one door through which models enter the CLI and the app.

A `Variant` names a method and where its weights come from: a folder embedded in
this repo, any local folder, or a pinned `hf://ORG/NAME@REV` repo on the Hugging
Face Hub. `create_stylizer` turns a variant name, a checkpoint folder or an ad-hoc
`hf://` reference into a ready `VideoStylizer`. Installed packages add variants
through the `vst.zoo` entry point group (see `zoo.plugins`).
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any

from vst.core import VideoStylizer
from vst.core.checkpoint import MODEL_FILE
from vst.core.pipeline import Pipeline

from . import hub
from .errors import ZooError
from .plugins import discover
from .variant import WEIGHTS_DIR, Variant

_REGISTRY: dict[str, Variant] = {}
_PLUGIN_PROBLEMS: list[str] = []
_plugins_loaded = False
_lock = threading.RLock()


def register(variant: Variant) -> Variant:
    """Add a variant (built-ins and plugins alike); names are unique and Hub weights name a revision."""
    if not variant.name or "/" in variant.name:
        raise ZooError(f"invalid variant name {variant.name!r}: use a short name without '/'")
    ref = variant.hub_ref
    if ref is not None and ref.revision is None:
        raise ZooError(f"variant {variant.name!r}: pin the revision of its Hub weights, as in {ref}@<commit sha>")
    with _lock:
        if variant.name in _REGISTRY:
            raise ZooError(f"a variant named {variant.name!r} is registered already")
        _REGISTRY[variant.name] = variant
    return variant


def _load_plugins() -> None:
    """Register the variants of installed plugins, once; a broken plugin becomes a problem report."""
    global _plugins_loaded
    with _lock:
        if _plugins_loaded:
            return
        _plugins_loaded = True
        variants, problems = discover()
        for variant in variants:
            try:
                register(variant)
            except ZooError as e:
                problems.append(f"plugin {variant.provider}: {e}; skipped")
        _PLUGIN_PROBLEMS.extend(problems)


def plugin_problems() -> list[str]:
    """One line per plugin that failed to load or register, for the CLI and the app to show."""
    _load_plugins()
    return list(_PLUGIN_PROBLEMS)


def list_variants() -> list[Variant]:
    _load_plugins()
    return sorted(_REGISTRY.values(), key=lambda v: v.name)


def get_variant(name: str) -> Variant:
    _load_plugins()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise ZooError(
            f"unknown variant {name!r}; known variants: {known} (or a checkpoint folder, or hf://ORG/NAME[@REV])"
        ) from None


def resolve(ref: str) -> Variant:
    """A registered variant by name, or an ad-hoc one for an `hf://ORG/NAME[@REV]` reference or a checkpoint folder."""
    _load_plugins()
    if ref in _REGISTRY:
        return _REGISTRY[ref]
    if hub.is_hub_ref(ref):
        return Variant(str(hub.HubRef.parse(ref)), "checkpoint on the Hugging Face Hub", weights=ref)
    if Path(ref).is_dir():
        return Variant(ref, "checkpoint folder", weights=str(Path(ref).resolve()))
    return get_variant(ref)


def visitor_ref(text: object) -> str:
    """What someone else typed as a variant (a web visitor), as a reference to load: a registered name as it is, a
    Hub repo id, with or without `hf://`, as an `hf://` reference.

    Never a local folder: a visitor must not make the server read its disk.
    """
    if text is not None and not isinstance(text, str):
        raise ZooError(f"a variant is a name or a Hub repo id, got {type(text).__name__} {text!r}")
    ref = (text or "").strip()
    names = [v.name for v in list_variants()]
    if ref in names:
        return ref
    looks_local = ref.startswith(("/", ".", "~")) or "\\" in ref
    if not looks_local:
        try:
            return str(hub.HubRef.from_text(ref))
        except ZooError:
            if "/" in ref:  # it was meant as a Hub repo: say what is wrong with it
                raise
    raise ZooError(
        f"unknown variant {ref!r}: pick one of {', '.join(names)}, or type a Hub repo id such as ORG/NAME[@REVISION]"
    )


def create_stylizer(ref: str, **options: Any) -> VideoStylizer:
    """A stylizer from a variant name, a checkpoint folder or `hf://ORG/NAME[@REV]`; options go to the factory."""
    return resolve(ref).create(**options)


def identity(ref: str) -> dict[str, Any]:
    """What a variant runs with, for a benchmark's record: its source, recipe and training steps, and a short hash of
    its weights file where it is on disk (none for weight-free methods)."""
    variant = resolve(ref)
    config = variant.config()
    info: dict[str, Any] = {"source": variant.source, "recipe": config.get("recipe"), "steps": config.get("steps")}
    folder = variant.local_folder()
    if folder and (folder / MODEL_FILE).is_file():
        info["sha256"] = hashlib.sha256((folder / MODEL_FILE).read_bytes()).hexdigest()[:16]
    return info


def load(ref: str, **options: Any) -> Pipeline:
    """A ready pipeline, the Python face of `vst stylize`: `zoo.load("noise-resilient").stylize_video(...)`.

    `ref` is what `create_stylizer` takes; options go to the factory (device, precision, compile, ...).
    """
    return Pipeline(create_stylizer(ref, **options), ref)


def _builtin(name: str, description: str, use_for: str) -> Variant:
    """A built-in AdaIN variant: its embedded folder, unless VST_ZOO_<NAME> points it elsewhere (e.g. full-scale
    weights at hf://ORG/NAME@REV)."""
    override = os.environ.get(f"VST_ZOO_{name.upper().replace('-', '_')}")
    return Variant(name, description, weights=override or str(WEIGHTS_DIR / name), use_for=use_for)


register(
    _builtin(
        "baseline",
        "AdaIN decoder, Huang & Belongie objective (per-frame, no temporal term)",
        "photos, and the reference look the others are measured against",
    )
)
register(
    _builtin(
        "noise-resilient",
        "AdaIN decoder trained with the noise-resilience loss, which suppresses flicker between frames",
        "videos: the best look with little flicker (add --stabilize for even less); the default",
    )
)
register(
    _builtin(
        "lite",
        "A student encoder and decoder with 1/20 of the FLOPs, distilled from the full network, for real time on a CPU;"
        " it reads the painting through VGG-19, once per style",
        "real time: long clips and large batches on a laptop CPU",
    )
)
register(
    _builtin(
        "lite-noise-resilient",
        "The lite student at 1.5x the channels, also taught to stylize a frame and the frame moved by a few pixels"
        " alike: about as little flicker as the full network, for a little less texture; 0.6-0.7x lite's frame rate",
        "the live camera filter (its default), and real-time video as steady as the full network's",
    )
)


def optical_flow_factory(folder: Path | None, **options: Any) -> VideoStylizer:
    """Ruder et al. 2016 per-frame optimization; no weights, only the encoder (options: iterations, ...)."""
    from vst.core.optical_flow_stylizer import OpticalFlowStylizer  # imported on use: it pulls in OpenCV

    return OpticalFlowStylizer.build(**options)


register(
    Variant(
        "optical-flow",
        "Ruder et al. 2016 optimization with a flow-based temporal loss: the slow reference point (minutes per frame)",
        factory=optical_flow_factory,
        use_for="research: the slow, optimization-based reference (minutes per frame)",
    )
)
