"""Streaming video I/O with PyAV (its wheels bundle ffmpeg with libx264 and aac; there is no ffmpeg on PATH).

Frames flow one at a time from the decoder through the stylizer into the encoder,
so memory does not grow with the video's length (`pipeline` owns that loop). The output is what browsers
play: H.264, yuv420p, BT.709-tagged, in an mp4 with its index at the front
(faststart), at the input's exact frame rate, with the input's audio copied as it
is (or re-encoded to AAC when mp4 cannot carry it). It is written under a hidden
temporary name and renamed only when complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.video.reformatter import Colorspace, Interpolation

from .errors import VstError, make_parent, require_file
from .files import atomic_write
from .images import MAX_INPUT_PIXELS, fit_size
from .media import require_kind

logger = logging.getLogger(__name__)

# Audio codecs that mp4 carries and browsers play; anything else is re-encoded to AAC.
_COPY_AUDIO = frozenset({"aac", "mp3", "opus", "flac"})
_X264_OPTIONS = {"crf": "18", "preset": "medium"}


class VideoError(VstError):
    """A video that cannot be found, read or written."""


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: Fraction
    frames: int | None  # as the container says; None when it does not
    duration: float | None  # seconds
    has_audio: bool


# A clip whose metadata (title, encoder, ...) is not UTF-8 is still a clip: its odd bytes are replaced, never
# an error (found by the fuzzer: fuzz/regressions/video).
METADATA_ERRORS = "replace"


def _open_input(path: str | os.PathLike) -> Any:
    path = Path(path)
    require_file(path, VideoError, "video")
    require_kind(path, "video", VideoError)
    try:
        container = av.open(str(path), metadata_errors=METADATA_ERRORS)
    except av.FFmpegError as e:
        raise VideoError(f"{path} is not a video that can be read ({e.strerror or e})") from None
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path} has no video stream")
    if not getattr(container.streams.video[0], "width", 0):  # an image format (SVG, ...) may have no width
        container.close()
        raise VideoError(f"{path} has no video frames")
    return container


def probe(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate, frame count, duration and audio presence, from the container (nothing is decoded).

    Frames over `images.MAX_INPUT_PIXELS` are refused here, as images are: decoding them would take gigabytes.
    """
    with _open_input(path) as container:
        stream = container.streams.video[0]
        if stream.width * stream.height > MAX_INPUT_PIXELS:
            raise VideoError(
                f"refusing {path}: {stream.width}x{stream.height} frames are over the "
                f"{MAX_INPUT_PIXELS / 1e6:.0f}-megapixel limit"
            )
        fps = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not fps:
            raise VideoError(f"{path}: the frame rate is unknown")
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = None
        return VideoInfo(
            stream.width, stream.height, Fraction(fps), stream.frames or None, duration, bool(container.streams.audio)
        )


def decode(
    path: str | os.PathLike, width: int | None, height: int | None, every: int = 1, max_frames: int | None = None
) -> Iterator[np.ndarray]:
    if every < 1:
        raise ValueError(f"every must be at least 1, got {every}")
    with _open_input(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        resize: dict[str, Any] = {}
        if width and height and (width, height) != (stream.width, stream.height):
            resize = {"width": width, "height": height, "interpolation": Interpolation.AREA}
        kept = 0
        try:
            for i, frame in enumerate(container.decode(stream)):
                if max_frames is not None and kept >= max_frames:
                    return
                if i % every:
                    continue
                # The frame's own colour matrix (BT.601/709/...) is used for the conversion.
                yield frame.to_ndarray(format="rgb24", **resize)
                kept += 1
        except av.FFmpegError as e:
            raise VideoError(f"{path}: decoding failed after {kept} frames ({e.strerror or e})") from None


def iter_frames(
    path: str | os.PathLike, every: int = 1, size: int | None = None, max_frames: int | None = None
) -> Iterator[np.ndarray]:
    """Decode frames one at a time as RGB uint8 [H, W, 3]; keeps every `every`-th, at most `max_frames`.

    Frames come at the size `pipeline.Clip.open` chooses for the same `size`: the short
    side resized to `size` (None keeps it), fit under `images.MAX_PIXELS`, and rounded
    down to even dimensions (as yuv420p needs).
    """
    info = probe(path)
    width, height = fit_size(info.width, info.height, size, even=True, name=str(path))
    return decode(path, width, height, every, max_frames)


def frame_count(path: str | os.PathLike) -> int:
    """Number of video frames, from the container when it says, else by demuxing (no decoding)."""
    with _open_input(path) as container:
        stream = container.streams.video[0]
        if stream.frames:
            return stream.frames
        return sum(1 for packet in container.demux(stream) if packet.size)


class VideoWriter:
    """H.264 mp4 writer that only ever shows a complete file under its final name.

    Use as a context manager: frames go to a hidden temporary file next to `path`,
    which is renamed to `path` on a clean exit and deleted on an error. With
    `audio_from`, that file's first audio track is muxed in alongside the video and
    cut where the video ends.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        fps: Fraction | int | float,
        width: int,
        height: int,
        audio_from: str | os.PathLike | None = None,
    ) -> None:
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError(f"H.264 yuv420p needs positive even dimensions, got {width}x{height}")
        self.path = Path(path)
        self.fps = Fraction(fps).limit_denominator(1_000_000)
        if self.fps <= 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.width, self.height = width, height
        self.audio_from = audio_from
        self.frames = 0
        self._file = contextlib.ExitStack()  # holds `atomic_write`'s temporary file while the writer is open
        self._out: Any = None
        self._audio_in: Any = None  # the source container while its audio is being muxed
        self._copy_audio = True
        self._pending: Any = None  # the first audio packet past the video written so far

    def __enter__(self) -> VideoWriter:
        make_parent(self.path, VideoError)
        try:
            tmp = self._file.enter_context(atomic_write(self.path))
            self._out = av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"})
            video = self._out.add_stream("libx264", rate=self.fps, options=_X264_OPTIONS)
            video.width, video.height, video.pix_fmt = self.width, self.height, "yuv420p"
            ctx = video.codec_context
            ctx.colorspace, ctx.color_primaries, ctx.color_trc, ctx.color_range = 1, 1, 1, 1  # BT.709, limited
            self._video = video
            if self.audio_from is not None:
                self._open_audio(self.audio_from)
        except BaseException as e:
            self._abort(e)
            if isinstance(e, av.FFmpegError):
                raise VideoError(f"cannot write {self.path}: {e.strerror or e}") from None
            raise
        return self

    def _open_audio(self, source: str | os.PathLike) -> None:
        container = av.open(str(source), metadata_errors=METADATA_ERRORS)
        if not container.streams.audio:
            container.close()
            return
        self._audio_in = container
        in_stream = container.streams.audio[0]
        self._copy_audio = in_stream.codec_context.codec.canonical_name in _COPY_AUDIO
        if self._copy_audio:
            self._audio = self._out.add_stream_from_template(in_stream)
        else:
            self._audio = self._out.add_stream("aac", rate=in_stream.rate)
            self._audio.layout = in_stream.layout
        self._audio_packets = container.demux(in_stream)

    def _mux_audio(self, until: float) -> None:
        """Mux the source's audio packets that start before `until` seconds, keeping the file interleaved."""
        while self._audio_in is not None:
            packet, self._pending = self._pending or next(self._audio_packets, None), None
            if packet is None:
                self._finish_audio()
                return
            if packet.dts is None or packet.pts is None:
                continue
            if packet.pts * packet.time_base >= until:
                self._pending = packet
                return
            if self._copy_audio:
                packet.stream = self._audio
                self._out.mux(packet)
            else:
                for frame in packet.decode():
                    frame.pts = None
                    self._out.mux(self._audio.encode(frame))

    def write(self, frame: np.ndarray) -> None:
        """Encode one RGB uint8 [H, W, 3] frame of the writer's size."""
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise VideoError(
                f"a {self.width}x{self.height} video got a frame of shape {frame.shape} and type {frame.dtype}"
            )
        rgb = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        yuv = rgb.reformat(format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range="MPEG")
        yuv.pts = self.frames
        yuv.time_base = 1 / self.fps
        try:
            self._out.mux(self._video.encode(yuv))
            self.frames += 1
            self._mux_audio(self.frames / self.fps)
        except (av.FFmpegError, OSError) as e:  # the disk is full, the place refuses writes, ...
            raise VideoError(f"cannot write {self.path}: {getattr(e, 'strerror', None) or e}") from None

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc is not None:
            self._abort(exc)
            return
        try:
            self._out.mux(self._video.encode(None))
            self._mux_audio(self.frames / self.fps)
            self._finish_audio()
            self._out.close()
            self._file.close()  # complete: now under its name
        except BaseException as e:
            self._abort(e)
            if isinstance(e, av.FFmpegError | OSError):
                raise VideoError(f"cannot write {self.path}: {e}") from None
            raise

    def _finish_audio(self) -> None:
        """Flush the AAC encoder when re-encoding, and close the audio source."""
        if self._audio_in is not None:
            if not self._copy_audio:
                self._out.mux(self._audio.encode(None))
            self._close_inputs()

    def _close_inputs(self) -> None:
        if self._audio_in is not None:
            self._audio_in.close()
            self._audio_in = None

    def _abort(self, error: BaseException) -> None:
        self._close_inputs()
        if self._out is not None:
            with contextlib.suppress(av.FFmpegError):  # the file is thrown away; its trailer does not matter
                self._out.close()
        self._file.__exit__(type(error), error, error.__traceback__)  # `atomic_write` removes the temporary file
