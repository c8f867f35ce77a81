"""The rules on what a stylization is asked to do, each in one place.

The CLI's option types, the Python API (`vst.core.pipeline`), the app and the live camera all ask here, so that
the same bad value gets the same one-line `VstError` wherever it comes from (the CLI adds the option's name).
Each rule returns the value as the engine uses it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from .errors import VstError


def in_range(value: Any, name: str, low: float, high: float) -> float:
    """`value` as a float within [low, high]. Not a number, NaN or out of range is refused: callers such as the
    app's API or a JSON client send anything."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VstError(f"{name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise VstError(f"{name} must be within [{low:g}, {high:g}], got {number:g}")
    return number


def check_alpha(alpha: Any) -> float:
    """The style strength: 0 keeps the content, 1 is full style."""
    return in_range(alpha, "alpha", 0.0, 1.0)


def check_stabilize(stabilize: Any) -> float:
    """How strongly each frame is steadied along the optical flow: 0 (off) to 1 (strongest)."""
    return in_range(stabilize, "stabilize", 0.0, 1.0)


def check_weights(weights: Iterable[Any] | None, styles: int) -> list[float] | None:
    """Blend weights: one per style, non-negative, with a positive sum (they are normalised to sum to one).

    None stays None: the styles count equally.
    """
    if weights is None:
        return None
    try:
        numbers = [float(w) for w in weights]
    except (TypeError, ValueError):
        raise VstError(f"style weights must be a list of numbers, got {weights!r}") from None
    if len(numbers) != styles:
        raise VstError(f"{_count(len(numbers), 'style weight')} for {_count(styles, 'style')}: give one per style")
    if not all(math.isfinite(w) and w >= 0 for w in numbers) or sum(numbers) <= 0:
        shown = ", ".join(f"{w:g}" for w in numbers)
        raise VstError(f"style weights must be non-negative numbers with a positive sum, got {shown}")
    return numbers


def stabilize_per_lane(values: Sequence[Any], lanes: int) -> list[float]:
    """One stabilize value for every lane, or one per lane (`vst compare --stabilize 0 1`), each checked."""
    if len(values) not in (1, lanes):
        raise VstError(
            f"{_count(len(values), 'stabilize value')} for {_count(lanes, 'variant')}: give one for all, or one each"
        )
    checked = [check_stabilize(value) for value in values]
    return checked * lanes if len(checked) == 1 else checked


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
