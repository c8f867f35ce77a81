"""The loop every caller shares: decode a clip once, stylize it in one or more lanes, hand each frame on.

    pipe = Pipeline(stylizer, "noise-resilient")          # what `zoo.load(name)` returns
    pipe.stylize_image("photo.jpg", style="starry.jpg")
    pipe.stylize_video("in.mp4", "out.mp4", style="starry.jpg", stabilize=0.5, progress=print)

The rules on the options (alpha, stabilize, style weights) live in `vst.core.options`, which every entry here asks.

Comparisons run several lanes over one decode, frame by frame:

    clip = Clip.open("in.mp4", size=256)
    lanes = [a.lane(style), b.lane(style)]
    for frames in record(clip, lanes, side_by_side="ab.mp4"):  # one `Frame` per lane: same index and input
        ...                                                      # score them, show them

This is diffusers' idea, that the pipeline owns the loop, kept small. The rules on sizes live in
`Clip.open` (through `images.fit_size`), so the CLI, the app and the benchmarks process a clip at the same
size for the same request. Every method enters through the `VideoStylizer` protocol; nothing here knows
which method it runs.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .errors import VstError
from .images import fit_size, load_image, resize_frame, to_uint8
from .options import check_alpha, check_stabilize, check_weights
from .stylizer import VideoStylizer
from .video import VideoError, VideoInfo, VideoWriter, decode, probe

StyleInput = str | os.PathLike | torch.Tensor
# A step after the stylizer: (the input frame, the output so far) -> the output, uint8 [H, W, 3]. It may keep state
# from one frame of a clip to the next (the stabilizer blends each output with the previous one along the flow).
Stage = Callable[[np.ndarray, np.ndarray], np.ndarray]
DEFAULT_STYLE_SIZE = 512  # the style's short side, as in the AdaIN reference


@dataclass(frozen=True)
class Frame:
    """One frame through one lane: its index in the clip, the input and output (uint8 [H, W, 3]) and the
    seconds the lane spent on it (stylization and stages; the shared decode is not counted)."""

    index: int
    input: np.ndarray
    output: np.ndarray
    seconds: float


@dataclass(frozen=True)
class Progress:
    """Where a video run stands, for progress callbacks: frames done, the expected total, the mean rate."""

    done: int
    total: int | None
    fps: float
    frame: np.ndarray


@dataclass(frozen=True)
class Clip:
    """A video opened at its processing size: what is decoded, at which size, and how many frames."""

    path: Path
    info: VideoInfo
    width: int
    height: int
    max_frames: int | None = None

    @classmethod
    def open(
        cls, path: str | os.PathLike, size: int | None = None, max_frames: int | None = None, upscale: bool = True
    ) -> Clip:
        """Probe `path` and choose the size: short side `size` (None keeps it; `upscale=False` never enlarges),
        fit under `images.MAX_PIXELS`, even (as yuv420p needs)."""
        info = probe(path)
        width, height = fit_size(info.width, info.height, size, even=True, upscale=upscale, name=str(path))
        return cls(Path(path), info, width, height, max_frames)

    @property
    def total(self) -> int | None:
        """Frames to expect: the container's count (or duration x rate), capped by `max_frames`; None if unknown."""
        info = self.info
        total = info.frames or (round(info.duration * info.fps) if info.duration else None)
        if self.max_frames is not None:
            return min(total, self.max_frames) if total else self.max_frames
        return total

    def frames(self) -> Iterator[np.ndarray]:
        """The frames as RGB uint8 [height, width, 3], decoded one at a time."""
        return decode(self.path, self.width, self.height, max_frames=self.max_frames)


class _Feed:
    """An endless iterable that hands a stylizer's `stream` exactly the frame it was last given."""

    def __init__(self) -> None:
        self.frame: np.ndarray | None = None

    def __iter__(self) -> Iterator[np.ndarray]:
        while self.frame is not None:
            frame, self.frame = self.frame, None
            yield frame


class Lane:
    """One method's pass over a clip: a stylizer, its encoded style and options, then its stages in order.

    Frames are pushed one at a time (`process`), so several lanes share one decode. The stylizer's
    `stream` is driven frame by frame (the protocol's contract: each output is yielded before the next
    frame is read), which keeps methods and stages that carry state across frames (optical flow, the
    stabilizer) in step with the clip. `name` is the lane's label (`lane_name`). The options are taken as
    given: `Pipeline.lane` checks them and builds the stages.
    """

    def __init__(
        self,
        name: str,
        stylizer: VideoStylizer,
        style: Any,
        *,
        alpha: float = 1.0,
        preserve_color: bool = False,
        stages: Sequence[Stage] = (),
    ) -> None:
        self.name = name
        self.stages = tuple(stages)
        self._feed = _Feed()
        self._outputs = stylizer.stream(self._feed, style, alpha, preserve_color)
        self.frames = 0
        self.seconds = 0.0

    def process(self, index: int, frame: np.ndarray) -> Frame:
        """Stylize the next frame of the clip (uint8 [H, W, 3])."""
        start = time.perf_counter()
        self._feed.frame = frame
        output = next(self._outputs)
        for stage in self.stages:
            output = stage(frame, output)
        seconds = time.perf_counter() - start
        self.frames += 1
        self.seconds += seconds
        return Frame(index, frame, output, seconds)

    @property
    def fps(self) -> float:
        """The lane's own rate: frames over the time spent in it, as if it ran alone."""
        return self.frames / self.seconds if self.seconds else 0.0

    def close(self) -> None:
        self._outputs.close()


def lane_name(name: str, stabilize: float = 0.0) -> str:
    """How a lane is labelled everywhere (panels, tables, plots, file names): the method, and its stabilization."""
    return f"{name} + stabilize {stabilize:g}" if stabilize else name


def run(frames: Iterable[np.ndarray] | Clip, lanes: Sequence[Lane]) -> Iterator[tuple[Frame, ...]]:
    """Each input frame through every lane, in order: one decode however many lanes compare.

    The lanes are closed at the end, or when the caller stops early.
    """
    source = frames.frames() if isinstance(frames, Clip) else frames
    try:
        for index, frame in enumerate(source):
            yield tuple(lane.process(index, frame) for lane in lanes)
    finally:
        for lane in lanes:
            lane.close()


def label(frame: np.ndarray, text: str) -> np.ndarray:
    """A copy of `frame` with `text` in a dark box at its top left, sized to the frame."""
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image, "RGBA")
    font = ImageFont.load_default(size=max(10, frame.shape[0] // 18))
    pad = max(2, frame.shape[0] // 80)
    *_, right, bottom = draw.textbbox((pad, pad), text, font=font)
    draw.rectangle((0, 0, right + pad, bottom + pad), fill=(0, 0, 0, 160))
    draw.text((pad, pad), text, font=font, fill=(255, 255, 255, 255))
    return np.asarray(image)


def side_by_side_frame(frames: Sequence[np.ndarray], labels: Sequence[str]) -> np.ndarray:
    """Panels of the same size in a row, each labelled: input | A | B."""
    return np.concatenate([label(frame, text) for frame, text in zip(frames, labels, strict=True)], axis=1)


class Pipeline:
    """A stylization method made ready to use on files: images, videos and comparisons.

    `zoo.load(name)` returns one; any `VideoStylizer` can be wrapped. Styles are paths or float
    [1, 3, H, W] tensors in [0, 1], or a list of them to blend (with `style_weights`).
    """

    def __init__(self, stylizer: VideoStylizer, name: str = "model") -> None:
        self.stylizer = stylizer
        self.name = name

    def __repr__(self) -> str:
        return f"Pipeline({self.name!r}, {type(self.stylizer).__name__})"

    def encode_style(
        self,
        style: StyleInput | Sequence[StyleInput],
        weights: Sequence[float] | None = None,
        style_size: int | None = DEFAULT_STYLE_SIZE,
    ) -> Any:
        """The stylizer's handle for a style image or a blend; pass it as `style` to skip re-encoding."""
        many = isinstance(style, (list, tuple))
        styles = list(style) if many else [style]
        weights = check_weights(weights, len(styles))  # before any image is read
        images = [_style_image(s, style_size) for s in styles]
        return self.stylizer.encode_style(images if many else images[0], weights)

    def lane(
        self, style: Any, *, alpha: float = 1.0, preserve_color: bool = False, stabilize: float = 0.0, name: str = ""
    ) -> Lane:
        """A lane over a clip with an encoded style (see `encode_style`); `stabilize` > 0 adds the stabilizer."""
        alpha, stabilize = check_alpha(alpha), check_stabilize(stabilize)
        stages = []
        if stabilize:
            from .stabilize import Stabilizer  # imported on use: it needs OpenCV (the `metrics` extra)

            stages.append(Stabilizer(stabilize))
        label = lane_name(name or self.name, stabilize)
        return Lane(label, self.stylizer, style, alpha=alpha, preserve_color=preserve_color, stages=stages)

    def stylize_image(
        self,
        image: str | os.PathLike | np.ndarray,
        *,
        style: Any,
        alpha: float = 1.0,
        preserve_color: bool = False,
        size: int | None = None,
        upscale: bool = True,
    ) -> np.ndarray:
        """Stylize one image (a path or uint8 [H, W, 3]); returns uint8 [H, W, 3].

        style: a path, a float [1, 3, H, W] tensor, a list of them to blend, or a handle from `encode_style`.
        alpha: style strength, 0 (the photo) to 1 (full style); preserve_color: keep the photo's colours.
        size: the short side to process at (None: as it is; images over 4K are scaled to fit); upscale=False
        never enlarges.
        """
        alpha = check_alpha(alpha)
        if isinstance(image, np.ndarray):
            frame = resize_frame(image, size, upscale)
        else:
            frame = to_uint8(load_image(image, size, upscale))
        handle = self._handle(style)
        (out,) = self.stylizer.stream([frame], handle, alpha, preserve_color)
        return out

    def stylize_video(
        self,
        src: str | os.PathLike,
        dst: str | os.PathLike,
        *,
        style: Any,
        alpha: float = 1.0,
        preserve_color: bool = False,
        stabilize: float = 0.0,
        size: int | None = None,
        max_frames: int | None = None,
        progress: Callable[[Progress], None] | None = None,
    ) -> Path:
        """Stylize `src` into the mp4 `dst` (audio kept), calling `progress` after each frame is written.

        style, alpha, preserve_color, size: as in `stylize_image`. stabilize: 0 (off) to 1, how strongly each frame
        is steadied along the clip's optical flow (less flicker, about 20 % slower). max_frames: stop after this
        many frames (None: the whole clip). progress: called with a `Progress` (done, total, fps) per frame.
        `dst` appears only when complete: an error or an interrupt leaves nothing under its name.
        """
        clip = Clip.open(src, size, max_frames)
        lane = self.lane(self._handle(style), alpha=alpha, preserve_color=preserve_color, stabilize=stabilize)
        follow(record(clip, [lane], videos=[dst]), clip.total, progress)
        return Path(dst)

    def _handle(self, style: Any) -> Any:
        """An encoded style as it is; a path, tensor or list of them encoded now."""
        is_input = isinstance(style, (str, os.PathLike, torch.Tensor)) or (
            isinstance(style, (list, tuple)) and all(isinstance(s, (str, os.PathLike, torch.Tensor)) for s in style)
        )
        return self.encode_style(style) if is_input else style


def _style_image(style: StyleInput, size: int | None) -> torch.Tensor:
    return style if isinstance(style, torch.Tensor) else load_image(style, size)


def record(
    clip: Clip,
    lanes: Sequence[Lane],
    *,
    videos: Sequence[str | os.PathLike | None] = (),
    side_by_side: str | os.PathLike | None = None,
    labels: Sequence[str] | None = None,
) -> Iterator[tuple[Frame, ...]]:
    """Run `lanes` over `clip`, encoding as it goes, and yield each step once its frames are written.

    `videos[i]` is lane i's own mp4 (None: not written); `side_by_side` is one mp4 of the input and every
    lane in a row, each panel labelled (`labels`: the input's, then each lane's; default the lane names).
    All carry the clip's audio and frame rate. The files appear when the iterator is exhausted; an error,
    or stopping early, leaves none of them behind.
    """
    names = list(labels) if labels is not None else ["input", *(lane.name for lane in lanes)]
    if len(names) != len(lanes) + 1:
        raise VstError(f"a side-by-side video of {len(lanes)} lanes needs {len(lanes) + 1} labels, got {len(names)}")
    audio = clip.path if clip.info.has_audio else None
    with contextlib.ExitStack() as stack:

        def writer(path: str | os.PathLike, panels: int) -> VideoWriter:
            video = VideoWriter(path, clip.info.fps, clip.width * panels, clip.height, audio_from=audio)
            return stack.enter_context(video)

        own = [writer(path, 1) if path is not None else None for path in videos]
        joint = writer(side_by_side, len(lanes) + 1) if side_by_side is not None else None
        written = 0
        for frames in run(clip, lanes):
            for out, frame in zip(own, frames):
                if out is not None:
                    out.write(frame.output)
            if joint is not None:
                joint.write(side_by_side_frame([frames[0].input, *(f.output for f in frames)], names))
            written += 1
            yield frames
        if not written:
            raise VideoError(f"{clip.path} has no frames to stylize")


def follow(steps: Iterable[tuple[Frame, ...]], total: int | None, progress: Callable[[Progress], None] | None) -> int:
    """Drive a recording to its end, reporting after every frame; returns the number of frames."""
    done, start = 0, time.perf_counter()
    for frames in steps:
        done += 1
        if progress is not None:
            progress(Progress(done, total, done / (time.perf_counter() - start), frames[-1].output))
    return done
