"""Third-party variants, discovered through the `vst.zoo` entry point group.

A plugin package declares, in its pyproject.toml,

    [project.entry-points."vst.zoo"]
    my-variants = "my_package:variants"

where the object is a `zoo.Variant`, a list of them, or a callable returning
either. Installing the package is all it takes; a plugin that fails to import or
returns something else is reported, and never takes the registry down with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from importlib.metadata import EntryPoint, entry_points

from .variant import Variant

GROUP = "vst.zoo"


def _variants_of(entry_point: EntryPoint) -> list[Variant]:
    obj = entry_point.load()
    if callable(obj) and not isinstance(obj, Variant):
        obj = obj()
    items = [obj] if isinstance(obj, Variant) else list(obj) if isinstance(obj, Iterable) else [obj]
    for item in items:
        if not isinstance(item, Variant):
            raise TypeError(f"it gave a {type(item).__name__}, not a zoo.Variant")
    return items


def discover() -> tuple[list[Variant], list[str]]:
    """The variants of every installed plugin, each marked with its distribution, and one line per broken plugin."""
    variants: list[Variant] = []
    problems: list[str] = []
    for ep in entry_points(group=GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.module
        try:
            found = _variants_of(ep)
        except Exception as e:  # a plugin's bug must not break `vst` or the app
            problems.append(f"plugin {ep.name!r} ({dist}, {ep.value}) failed to load: {type(e).__name__}: {e}")
            continue
        variants += [replace(v, provider=dist) for v in found]
    return variants, problems
