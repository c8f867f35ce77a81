"""The zoo's user-facing error."""

from __future__ import annotations

from vst.core import VstError


class ZooError(VstError):
    """An unknown variant, a broken plugin, or weights that cannot be had."""
