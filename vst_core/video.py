"""Streaming video I/O with PyAV (its wheels bundle ffmpeg; there is no ffmpeg on PATH)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np


def iter_frames(path: str | os.PathLike, every: int = 1) -> Iterator[np.ndarray]:
    """Decode frames one at a time as RGB uint8 [H, W, 3]; keeps every `every`-th."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for i, frame in enumerate(container.decode(stream)):
            if i % every == 0:
                yield frame.to_ndarray(format="rgb24")


def frame_count(path: str | os.PathLike) -> int:
    """Number of video frames, from the container when it says, else by demuxing (no decoding)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return stream.frames
        return sum(1 for packet in container.demux(stream) if packet.size)
