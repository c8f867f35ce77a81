"""Comparisons: several variants over one clip with one style, side by side.

`vst compare` and the app's Compare tab put their lanes together here, so that both load a variant once however
often it is compared (with itself, stabilized or not), encode the style once for it, and label the lanes alike.
The recording is the pipeline's (`vst.core.pipeline.record`): one decode for every lane.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from vst.core.options import stabilize_per_lane
from vst.core.pipeline import DEFAULT_STYLE_SIZE, Lane, Pipeline, StyleInput

from .registry import load


def compare_lanes(
    refs: Sequence[str],
    style: StyleInput | Sequence[StyleInput],
    *,
    weights: Sequence[float] | None = None,
    style_size: int | None = DEFAULT_STYLE_SIZE,
    alpha: float = 1.0,
    preserve_color: bool = False,
    stabilize: Sequence[float] = (0.0,),
    loader: Callable[[str], Pipeline] = load,
) -> list[Lane]:
    """One lane per entry of `refs` (variant names, folders or `hf://` references), each named by its entry.

    `style`, `weights` and `style_size` are what `Pipeline.encode_style` takes; `stabilize` is one value for every
    lane or one per lane (`vst.core.options.stabilize_per_lane`); `loader` turns a reference into a pipeline (a
    server passes its cache).
    """
    ready: dict[str, tuple[Pipeline, Any]] = {}
    lanes = []
    for ref, strength in zip(refs, stabilize_per_lane(stabilize, len(refs))):
        if ref not in ready:
            pipeline = loader(ref)
            ready[ref] = pipeline, pipeline.encode_style(style, weights, style_size)
        pipeline, handle = ready[ref]
        lanes.append(pipeline.lane(handle, alpha=alpha, preserve_color=preserve_color, stabilize=strength, name=ref))
    return lanes
