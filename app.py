"""The web demo: two zoo variants side by side on one clip, with a live fps readout per variant.

    vst app [--host H] [--port P] [--share]        # installed
    python app.py [--host H] [--port P] [--share]  # from a checkout, the same

Tabs: *Compare* (a clip and a style, two variants: one video of input | A | B with its audio, each panel
labelled, stylized frames and fps streamed while they run, then the per-frame temporal error of both and
their metrics), *Photo* (a still image, the same two variants), *Camera filter* (a webcam stylized live over
WebRTC: `vst.live`'s page at /live, with Gradio's own stream as the fallback) and *Model zoo* (the registered
variants and their model cards).

The comparisons are also API endpoints. `/compare(video, style, variant_a, variant_b, alpha, preserve_color, size,
style_b, mix, stabilize_a, stabilize_b)` (all but the first four have defaults) returns, in this order: the
side-by-side video, the two variants' own videos (a list of files, A then B), the fps readouts of A and B, the
metrics table, the per-frame temporal error (a plot of columns frame, temporal error, variant) and the last
stylized frames of A and B (inline HTML). `/photo(photo, style, variant_a, variant_b, alpha, preserve_color, size)`
returns both images, then how long each variant took.

Models come only through `zoo`, clips only through `vst.core.pipeline`; this file is the web layer.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
import logging
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
import torch
from PIL import Image

from vst import examples, zoo
from vst.core import VstError
from vst.core.encoder import cache_dir
from vst.core.images import load_image, resize_frame, to_uint8
from vst.core.metrics import TemporalMetrics
from vst.core.options import check_alpha, check_stabilize, in_range
from vst.core.pipeline import Clip, Frame, Lane, Pipeline, record
from vst.live import LiveServer
from vst.zoo import hub
from vst.zoo.card import for_page

log = logging.getLogger("vst.app")

DEFAULT_VARIANTS = ("baseline", "noise-resilient")
# Short side the frames are stylized at (never enlarged: the bundled clips are 320x180), so that the bundled example
# runs both variants in seconds on a laptop CPU (measured: benchmarks/screenshots.py, docs/usage/app.md); the slider
# goes up to what a GPU handles in real time.
DEFAULT_SIZE = 180
SIZE_RANGE = (64, 720)
CAMERA_VARIANT = "lite-noise-resilient"  # the camera filter must keep up with a webcam on a laptop CPU
CAMERA_SIZE = 240  # the camera's default short side: what keeps up with a webcam on 2 CPU cores (benchmarks/camera.py)
CAMERA_SIZES = (180, 240, 288, 360)  # the live page's choices
CAMERA_STYLES = tuple(p.name for p in examples.PAINTINGS)  # the paintings the live page offers by name
CAMERA_STYLE = str(examples.FOLDER / "starry_night.jpg")
LIVE_FRAME = (  # the WebRTC camera page (vst.live), inside the Camera filter tab
    '<iframe src="live" allow="camera; autoplay" title="live camera filter" '
    'style="width:100%;height:560px;border:0"></iframe>'
)
MAX_LIVE_STREAMS = 2  # visitors streaming the camera at once: one CPU model serves them in turn
# The live camera's model runs on one thread: the codecs (and, on a laptop, the browser) need the other core,
# and a two-thread model that shares its cores with them waits on its slower thread (docs/usage/camera.md).
LIVE_MODEL_THREADS = 1
PHOTO_SIZE = 512  # a photo's default short side: one frame, so it can be larger than a clip's
# The style image's short side follows the frames': 1.25x theirs, so that the painting's strokes keep their size
# relative to the subject (chosen on contact sheets of the bundled example: with the style at a fixed 384-512 px,
# the strokes on a 180 px clip grew as large as the bunny).
STYLE_SCALE = 1.25
STYLE_SIZES = (192, 512)  # the style's short side stays within these: enough texture, and a bounded cost
MAX_SECONDS = 20.0  # the demo's policy: longer clips are for `vst stylize`
MAX_UPLOAD_MB = 50
CACHE_SWEEP = (300, 1800)  # every 5 min, Gradio deletes the uploads and results older than 30 min
MAX_HUB_BYTES = 64 * 2**20  # what one visitor's Hub checkpoint may weigh: a decoder is 14 MB, an encoder as much
MAX_HUB_REPOS = 8  # Hub repos downloaded for visitors that stay in the cache; the oldest is deleted first
MAX_RUN_SECONDS = 600  # one comparison at a time: a slow variant (optical-flow) must not hold the queue for hours
UPDATE_EVERY = 0.4  # seconds between live updates of the page; each one is an image per variant and the plot
METRIC_HEADERS = ["variant", "temporal error ↓", "SSIM to input ↑", "warping error ↓", "fps"]
PLOT_COLUMNS = ["frame", "temporal error", "variant"]


# ---------------------------------------------------------------- models and styles, cached across requests


@functools.lru_cache(maxsize=4)
def _load(ref: str) -> Pipeline:
    return zoo.load(ref)


_load_lock = threading.Lock()
_downloads = hub.BoundedDownloads(MAX_HUB_BYTES, MAX_HUB_REPOS)  # the Hub checkpoints visitors ask for


def get_pipeline(ref: str) -> Pipeline:
    """A pipeline from a small LRU cache, so a second request does not load the weights again; a Hub checkpoint is
    downloaded within the server's limits and pinned to the commit that was measured."""
    with _load_lock:  # one load at a time: two requests for the same variant share one copy
        return _load(_downloads.fetch(ref) if hub.is_hub_ref(ref) else ref)


def style_size(size: int) -> int:
    """The style image's short side for frames of short side `size` (`STYLE_SCALE`, within `STYLE_SIZES`)."""
    low, high = STYLE_SIZES
    return min(max(round(STYLE_SCALE * size), low), high)


@functools.lru_cache(maxsize=16)
def style_handle(ref: str, path: str, size: int) -> Any:
    """The encoded style for frames of short side `size`, cached: the camera filter asks for it every frame."""
    return get_pipeline(ref).encode_style(path, style_size=style_size(size))


# ---------------------------------------------------------------- checking what the visitor sent


def upload_path(payload: Any, what: str) -> str:
    """The server path of an upload (`preprocess=False` hands over the raw file payload)."""
    path = payload.get("path") if isinstance(payload, dict) else payload
    if not path:
        raise VstError(f"please give {what}")
    return str(path)


def check_clip(path: str, size: int) -> Clip:
    """Refuse clips the demo cannot take, before any model runs; the rest opened at their processing size.

    The size rules are the engine's (`Clip.open`, never enlarging here); only the length is the demo's own.
    """
    clip = Clip.open(path, size, upscale=False)  # VideoError: an image, not a video, corrupt, no stream, huge frames
    duration = clip.info.duration
    if duration is not None and duration > MAX_SECONDS:
        raise VstError(
            f"the clip is {duration:.1f} s long; the demo takes up to {MAX_SECONDS:.0f} s "
            "(trim it, or stylize it whole with `vst stylize`)"
        )
    # frames, counted: a container may state no duration
    return dataclasses.replace(clip, max_frames=math.floor(MAX_SECONDS * clip.info.fps))


def readable(error: Exception) -> str:
    """The error's message with the server's own directories cut from its paths: the visitor knows an upload by its
    name. Anything else (what the visitor typed) is shown as it was."""
    text = str(error)
    for root in sorted(_server_dirs(), key=len, reverse=True):
        text = re.sub(re.escape(root.rstrip("/")) + r"/(?:[^/\s'\"]+/)*", "", text)
    return text


def refusal(error: VstError) -> gr.Error:
    """What the visitor sent cannot be used: one line on the page, and no traceback in the server's log."""
    return gr.Error(readable(error), print_exception=False)


def _server_dirs() -> set[str]:
    """Where the server keeps uploads, runs, examples and caches."""
    from huggingface_hub.constants import HF_HUB_CACHE

    dirs = {tempfile.gettempdir(), str(examples.FOLDER), HF_HUB_CACHE, str(cache_dir())}
    dirs.add(os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio"))
    return {str(Path(d).resolve()) for d in dirs} | dirs


def inline_jpeg(frame: np.ndarray, alt: str) -> str:
    """An RGB frame as an <img> with the JPEG inline. Live frames travel with the page update and are written
    nowhere: as an image output, every update would be a new file in Gradio's cache."""
    jpeg = io.BytesIO()
    Image.fromarray(frame).save(jpeg, format="JPEG", quality=85)
    return f'<img src="data:image/jpeg;base64,{base64.b64encode(jpeg.getvalue()).decode()}" alt="{html.escape(alt)}">'


# ---------------------------------------------------------------- the comparison


@dataclass
class Track:
    """What the page shows of one lane: its temporal metrics and its latest stylized frame.

    The lanes run interleaved over one decode, in one thread: each gets both cores while it works, both
    readouts move together, and `Lane.fps` counts only the lane's own time, so it is what the variant would
    reach alone, not half of it.
    """

    lane: Lane
    metrics: TemporalMetrics = field(default_factory=TemporalMetrics)
    last: np.ndarray | None = None

    def add(self, frame: Frame) -> None:
        self.metrics.update(frame.input, frame.output)  # the frame the lane was given: no decode of its own
        self.last = frame.output

    def preview(self) -> str | None:
        """The latest frame, inline: a long run leaves no preview files behind."""
        return None if self.last is None else inline_jpeg(self.last, f"{self.lane.name}, frame {self.lane.frames}")

    def readout(self, total: int | None, finished: bool) -> str:
        state = "done" if finished else "running"
        done = self.lane.frames
        return f"**{self.lane.name}**: {done}/{total or '?'} frames, **{self.lane.fps:.1f} fps** ({state})"

    def metric_row(self) -> list[Any]:
        result = self.metrics.result()
        return [
            self.lane.name,
            *(round(result[key], 5) for key in ("temporal_error", "ssim", "warping_error")),
            round(self.lane.fps, 2),
        ]


def error_plot(tracks: Sequence[Track]) -> pd.DataFrame | None:
    """Per-frame temporal error of every lane: the term of frames t-1 and t is plotted at frame t.

    None before the first pair: Gradio's plot keeps the axis types of the first value it gets, and an empty
    table has none, so it would never draw the lines.
    """
    rows = [(t + 1, error, track.lane.name) for track in tracks for t, error in enumerate(track.metrics.temporal_terms)]
    return pd.DataFrame(rows, columns=PLOT_COLUMNS) if rows else None


def compare(
    video: Any,
    style: Any,
    variant_a: str = DEFAULT_VARIANTS[0],
    variant_b: str = DEFAULT_VARIANTS[1],
    alpha: float = 1.0,
    preserve_color: bool = False,
    size: int = DEFAULT_SIZE,
    style_b: Any = None,
    mix: float = 0.0,
    stabilize_a: float = 0.0,
    stabilize_b: float = 0.0,
) -> Iterator[tuple[Any, ...]]:
    """Stylize one clip with two variants, side by side; the outputs are listed in the module docstring.

    While running, the latest stylized frames, the fps readouts and the per-frame temporal error so far are
    streamed; at the end come the videos (audio kept), the whole plot and a metrics table. `style_b` with `mix`
    in (0, 1] interpolates between the two styles; `stabilize_a`/`_b` steady each variant's output along the flow.
    """
    try:
        request = check_request(video, style, variant_a, variant_b, alpha, size, style_b, mix, stabilize_a, stabilize_b)
        yield from _compare(request, bool(preserve_color))
    except VstError as e:
        raise refusal(e) from None
    except gr.Error:
        raise
    except Exception as e:  # the server keeps serving; the visitor gets one line, the log the traceback
        log.exception("compare failed")
        raise gr.Error(f"stylization failed: {type(e).__name__}: {readable(e)}") from None


@dataclass(frozen=True)
class Request:
    """A comparison's inputs once checked: `precheck` refuses at once what `_compare` would refuse in its turn."""

    clip: Clip
    styles: tuple[str, ...]
    weights: tuple[float, float] | None
    refs: tuple[str, str]
    alpha: float
    stabilize: tuple[float, float]

    @property
    def style(self) -> str | list[str]:
        """The style as `Pipeline.encode_style` takes it: one image, or the two to blend."""
        return self.styles[0] if self.weights is None else list(self.styles)


def check_request(
    video: Any,
    style: Any,
    variant_a: str,
    variant_b: str,
    alpha: float,
    size: int,
    style_b: Any,
    mix: float,
    stabilize_a: float,
    stabilize_b: float,
) -> Request:
    """Every check that needs no model: the uploads open, the numbers are in range, the variants exist."""
    src = upload_path(video, "a video clip")
    styles = (upload_path(style, "a style image"),)
    alpha = check_alpha(alpha)  # sliders too: API callers send any value (the event runs with `preprocess=False`)
    size = int(in_range(size, "processing size", *SIZE_RANGE))
    mix = in_range(mix, "style interpolation", 0.0, 1.0)
    stabilize = (check_stabilize(stabilize_a), check_stabilize(stabilize_b))
    weights = None
    if style_b and mix > 0:
        styles += (upload_path(style_b, "a second style image"),)
        weights = (1.0 - mix, mix)
    for path in styles:
        load_image(path, style_size(size))  # ImageError for what Pillow cannot read
    refs = (zoo.visitor_ref(variant_a), zoo.visitor_ref(variant_b))
    return Request(check_clip(src, size), styles, weights, refs, alpha, stabilize)


def precheck(
    video: Any,
    style: Any,
    variant_a: str,
    variant_b: str,
    alpha: float,
    preserve_color: bool,
    size: int,
    style_b: Any,
    mix: float,
    stabilize_a: float,
    stabilize_b: float,
) -> None:
    """The page's first step, in a slot of its own: a bad upload is refused at once, not after the runs ahead of it."""
    try:
        check_request(video, style, variant_a, variant_b, alpha, size, style_b, mix, stabilize_a, stabilize_b)
    except VstError as e:
        raise refusal(e) from None


def _file_name(text: str) -> str:
    """A lane's label as part of a download's name: no spaces, slashes or `+` for a browser to mangle."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


def _compare(request: Request, preserve_color: bool) -> Iterator[tuple[Any, ...]]:
    clip = request.clip
    lanes = zoo.compare_lanes(
        request.refs,
        request.style,
        weights=request.weights,
        style_size=style_size(min(clip.width, clip.height)),
        alpha=request.alpha,
        preserve_color=preserve_color,
        stabilize=request.stabilize,
        loader=get_pipeline,
    )
    tracks = [Track(lane) for lane in lanes]
    a, b = tracks

    with tempfile.TemporaryDirectory(prefix="vst-app-") as tmp:
        stem = clip.path.stem
        videos = [Path(tmp) / f"{stem}_{slot}_{_file_name(t.lane.name)}.mp4" for slot, t in zip("AB", tracks)]
        side_by_side = Path(tmp) / f"{stem}_side_by_side.mp4"
        steps = record(clip, lanes, videos=videos, side_by_side=side_by_side)
        try:
            yield None, None, a.readout(clip.total, False), b.readout(clip.total, False), None, None, None, None
            started = shown = time.monotonic()
            for frames in steps:
                for track, frame in zip(tracks, frames):
                    track.add(frame)
                if time.monotonic() - started > MAX_RUN_SECONDS:
                    raise VstError(
                        f"stopped after {MAX_RUN_SECONDS // 60} minutes ({a.lane.frames} frames): "
                        "choose a smaller processing size, a shorter clip or a faster variant"
                    )
                if time.monotonic() - shown >= UPDATE_EVERY:
                    skip, plot = gr.skip(), error_plot(tracks)
                    readouts = a.readout(clip.total, False), b.readout(clip.total, False)
                    yield skip, skip, *readouts, skip, skip if plot is None else plot, a.preview(), b.preview()
                    shown = time.monotonic()
        finally:
            steps.close()  # stopped early: the writers are aborted and no file is left
        done = a.lane.frames
        yield (
            str(side_by_side),
            [str(v) for v in videos],
            a.readout(done, True),
            b.readout(done, True),
            [a.metric_row(), b.metric_row()],
            error_plot(tracks),
            a.preview(),
            b.preview(),
        )


# ---------------------------------------------------------------- a photo


def compare_photo(
    photo: Any,
    style: Any,
    variant_a: str = DEFAULT_VARIANTS[0],
    variant_b: str = DEFAULT_VARIANTS[1],
    alpha: float = 1.0,
    preserve_color: bool = False,
    size: int = PHOTO_SIZE,
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Stylize one photo with two variants; returns both images and how long each variant took."""
    try:
        path = upload_path(photo, "a photo")
        style_path = upload_path(style, "a style image")
        alpha = check_alpha(alpha)
        size = int(in_range(size, "processing size", *SIZE_RANGE))
        frame = to_uint8(load_image(path, size, upscale=False))  # decoded once, for both; never enlarged
        results = []
        for ref in (zoo.visitor_ref(variant_a), zoo.visitor_ref(variant_b)):
            handle = style_handle(ref, style_path, min(frame.shape[:2]))
            start = time.perf_counter()
            out = get_pipeline(ref).stylize_image(frame, style=handle, alpha=alpha, preserve_color=bool(preserve_color))
            seconds = time.perf_counter() - start
            results.append((out, f"**{ref}**: {out.shape[1]}x{out.shape[0]} in **{seconds:.2f} s**"))
    except VstError as e:
        raise refusal(e) from None
    (a, readout_a), (b, readout_b) = results
    return a, b, readout_a, readout_b


# ---------------------------------------------------------------- the camera filter


def check_style(payload: Any) -> str | None:
    """Read the camera tab's style once, when it changes, so that a bad image gets a readable error."""
    if payload is None:
        return None
    path = upload_path(payload, "a style image")
    try:
        load_image(path, style_size(CAMERA_SIZE))
    except VstError as e:
        raise refusal(e) from None
    return path


@dataclass(frozen=True)
class CameraFilter:
    """The camera's settings, checked once when they change; applied to every frame (both camera transports)."""

    variant: str = CAMERA_VARIANT
    style: str = CAMERA_STYLE
    alpha: float = 1.0
    preserve_color: bool = False
    size: int = CAMERA_SIZE

    def update(self, fields: Mapping[str, Any]) -> CameraFilter:
        """What a visitor sent, checked: the style by a bundled painting's name (an upload comes by `with_style`)."""
        if not isinstance(fields, Mapping):
            raise VstError(f"camera settings are an object of named values, got {type(fields).__name__}")
        known = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(fields) - known)
        if unknown:
            raise VstError(f"unknown camera setting {unknown[0]!r}: the settings are {', '.join(sorted(known))}")
        changes: dict[str, Any] = {}
        if "variant" in fields:
            changes["variant"] = zoo.visitor_ref(fields["variant"])
        if "style" in fields:
            name = str(fields["style"])
            if name not in CAMERA_STYLES:
                raise VstError(f"unknown style {name!r}: pick one of {', '.join(CAMERA_STYLES)}, or upload an image")
            changes["style"] = str(examples.FOLDER / name)
        if "alpha" in fields:
            changes["alpha"] = check_alpha(fields["alpha"])
        if "size" in fields:
            changes["size"] = int(in_range(fields["size"], "processing size", *SIZE_RANGE))
        if "preserve_color" in fields:
            changes["preserve_color"] = bool(fields["preserve_color"])
        return self._ready(dataclasses.replace(self, **changes))

    def with_style(self, path: str) -> CameraFilter:
        return self._ready(dataclasses.replace(self, style=path))

    @staticmethod
    def _ready(new: CameraFilter) -> CameraFilter:
        """Load the variant and encode the style now, so that a bad one is refused before any frame uses it."""
        try:
            style_handle(new.variant, new.style, new.size)
        except VstError as e:
            raise VstError(readable(e)) from None
        return new

    def options(self) -> dict[str, Any]:
        style = Path(self.style).name if Path(self.style).parent == examples.FOLDER else "(your image)"
        settings = {**dataclasses.asdict(self), "style": style}
        return {
            "settings": settings,
            "styles": list(CAMERA_STYLES) if style in CAMERA_STYLES else [*CAMERA_STYLES, style],
            "variants": [v.name for v in zoo.list_variants()],
            "sizes": sorted({*CAMERA_SIZES, self.size}),
        }

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        frame = resize_frame(frame, self.size, upscale=False)
        handle = style_handle(self.variant, self.style, self.size)
        return get_pipeline(self.variant).stylize_image(
            frame, style=handle, alpha=self.alpha, preserve_color=self.preserve_color
        )


def camera(
    frame: np.ndarray | None,
    style: str | None,
    variant: str,
    alpha: float,
    preserve_color: bool,
    size: int,
    clock: dict[str, float],
) -> tuple[str | None, str, dict[str, float]]:
    """Stylize one webcam frame (the fallback transport: Gradio's stream). The readout is what the visitor sees:
    frames delivered per second (the time between answers, transport and queue included), then the model's own
    time a frame."""
    if frame is None:
        return None, "waiting for the camera", clock
    if not style:
        return inline_jpeg(resize_frame(frame, CAMERA_SIZE, upscale=False), "camera"), "choose a style image", clock
    try:
        settings = {"variant": variant, "alpha": alpha, "preserve_color": preserve_color, "size": size}
        stylize = CameraFilter(style=style).update(settings)  # the upload, checked with the rest
    except VstError as e:
        raise refusal(e) from None
    start = time.perf_counter()
    out = stylize(frame)
    now = time.perf_counter()
    model_ms = (now - start) * 1000
    gap = now - clock.get("t", -math.inf)
    if gap > 2.0:  # the first frame, or a stream started again: nothing delivered to count yet
        readout, clock = f"measuring the delivered frame rate; model {model_ms:.0f} ms a frame", {"t": now}
    else:
        fps = 1.0 / gap if "fps" not in clock else 0.8 * clock["fps"] + 0.2 / gap
        clock = {"t": now, "fps": fps}
        readout = f"**{fps:.1f} fps** delivered; model {model_ms:.0f} ms a frame at {out.shape[1]}x{out.shape[0]}"
    return inline_jpeg(out, "stylized camera"), readout, clock


# ---------------------------------------------------------------- the zoo tab


def zoo_rows() -> list[list[str]]:
    rows = []
    for v in zoo.list_variants():
        config = v.config()
        state = "ready" if v.available_offline() else "downloads on first use" if v.hub_ref else "weights missing"
        rows.append([v.name, v.use_for, v.description, config.get("recipe", ""), v.source, state])
    return rows


def model_card(name: str) -> str:
    try:
        card = zoo.get_variant(name).card()
    except VstError as e:
        return f"*{e}*"
    if not card:
        return f"*{name} has no model card.*"
    return for_page(card)


# ---------------------------------------------------------------- the page


def _examples() -> list[list[str]]:
    pairs = [("bunny.mp4", "starry_night.jpg"), ("cockatoo.mp4", "wave.jpg"), ("bunny.mp4", "composition_vii.jpg")]
    folder = examples.FOLDER
    return [[str(folder / clip), str(folder / style)] for clip, style in pairs if (folder / clip).is_file()]


def _variant_dropdown(label: str, value: str) -> gr.Dropdown:
    return gr.Dropdown(
        [v.name for v in zoo.list_variants()],
        value=value,
        label=label,
        allow_custom_value=True,
        info="a zoo variant, or type a Hub repo id (ORG/NAME[@REV])",
    )


def _variant_pair(run_id: str) -> tuple[list[gr.Dropdown], gr.Button]:
    """Variants A and B, and the button that stylizes with both, in one column."""
    with gr.Column():
        variants = [_variant_dropdown(f"Variant {slot}", value) for slot, value in zip("AB", DEFAULT_VARIANTS)]
        run = gr.Button("Stylize with both", variant="primary", elem_id=run_id)
    return variants, run


def _alpha_slider() -> gr.Slider:
    return gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="Style strength (alpha)")


def _size_slider(value: int, label: str = "Processing size (short side, px)") -> gr.Slider:
    return gr.Slider(*SIZE_RANGE, value=value, step=2, label=label)


def build_demo() -> gr.Blocks:
    """The page: one tab per use, each built and wired by its own function below."""
    with gr.Blocks(title="vst: video style transfer", analytics_enabled=False, delete_cache=CACHE_SWEEP) as demo:
        gr.Markdown(
            "# vst: real-time, temporally stable video style transfer\n"
            "Stylize a clip with two variants side by side. The `noise-resilient` decoder was trained so that "
            "a frame and the same frame plus a little noise are stylized alike, which suppresses flicker."
        )
        with gr.Tabs():
            with gr.Tab("Compare", id="compare"):
                _compare_tab()
            with gr.Tab("Photo", id="photo"):
                _photo_tab()
            with gr.Tab("Camera filter", id="camera"):
                _camera_tab()
            with gr.Tab("Model zoo", id="zoo"):
                _zoo_tab()
    return demo


def _compare_tab() -> None:
    run, inputs = _compare_inputs()
    outputs = _compare_outputs()
    run.click(
        precheck,
        inputs=inputs,
        preprocess=False,
        show_progress="minimal",
        api_visibility="private",
        concurrency_limit=4,  # a slot of its own: it never waits behind a comparison
        concurrency_id="precheck",
    ).success(
        compare,
        inputs=inputs,
        outputs=outputs,
        api_name="compare",
        preprocess=False,  # uploads are checked by `compare` itself, so bad ones get a readable error
        show_progress="minimal",
        concurrency_limit=1,
        concurrency_id="stylize",
    )
    video, style = inputs[:2]
    gr.Examples(_examples(), inputs=[video, style], label="Examples (click one, then Stylize)", elem_id="examples")
    gr.Markdown(examples.ATTRIBUTION.read_text(), elem_id="attribution")


def _compare_inputs() -> tuple[gr.Button, list[gr.components.Component]]:
    """The clip, the style, the variants and the settings, in the order of `compare`'s arguments."""
    with gr.Row():
        video = gr.Video(label="Clip", sources=["upload"], elem_id="video-in", height=240)
        style = gr.Image(label="Style", type="filepath", elem_id="style-in", height=240)
        variants, run = _variant_pair("run")
    with gr.Accordion("Settings", open=False):
        with gr.Row():
            alpha = _alpha_slider()
            size = _size_slider(DEFAULT_SIZE)
            preserve_color = gr.Checkbox(label="Preserve the clip's colors")
        with gr.Row():
            style_b = gr.Image(label="Second style (optional)", type="filepath", height=160)
            mix = gr.Slider(0.0, 1.0, value=0.0, step=0.05, label="Interpolation toward the second style")
        with gr.Row():
            stabilize = [
                gr.Slider(
                    0.0,
                    1.0,
                    value=0.0,
                    step=0.05,
                    label=f"Stabilize {slot}",
                    info="blend with the previous output along the clip's motion (0: off)",
                    elem_id=f"stabilize-{slot.lower()}",
                )
                for slot in "AB"
            ]
    return run, [video, style, *variants, alpha, preserve_color, size, style_b, mix, *stabilize]


def _compare_outputs() -> list[gr.components.Component]:
    """The live readouts and frames, the videos, the plot and the metrics, in the order `compare` yields them."""
    with gr.Row(equal_height=True):
        (fps_a, frame_a), (fps_b, frame_b) = [_live_lane(slot) for slot in "AB"]
    side_by_side = gr.Video(label="Input | A | B", buttons=["download"], elem_id="video-compare", height=320)
    plot = gr.LinePlot(
        x=PLOT_COLUMNS[0],
        y=PLOT_COLUMNS[1],
        color=PLOT_COLUMNS[2],
        label="Temporal error per frame (lower: less flicker)",
        elem_id="temporal-plot",  # no height: with one, the legend overflows the block (Gradio 6)
    )
    metrics = gr.Dataframe(headers=METRIC_HEADERS, label="Temporal metrics", interactive=False)
    gr.Markdown(
        "*Temporal error*: the poster's E_tempAvg, how much each output pixel changes between frames "
        "beyond how much the input pixel changed. *SSIM*: structure kept from the input frame. "
        "*Warping error*: the output's change along the input's optical flow (Lai et al. 2018). "
        "Lower errors mean less flicker; *fps* counts only that variant's own time."
    )
    with gr.Accordion("Downloads", open=False):
        downloads = gr.File(label="Each variant's video", file_count="multiple", interactive=False, elem_id="downloads")
    return [side_by_side, downloads, fps_a, fps_b, metrics, plot, frame_a, frame_b]


def _live_lane(slot: str) -> tuple[gr.Markdown, gr.HTML]:
    """One variant's fps readout and latest frame, updated while the comparison runs."""
    with gr.Column():
        fps = gr.Markdown(label=f"fps {slot}", elem_id=f"fps-{slot.lower()}")
        frame = gr.HTML(label=f"Live {slot}", elem_id=f"live-{slot.lower()}", min_height=200)
    return fps, frame


def _photo_tab() -> None:
    with gr.Row():
        photo = gr.Image(label="Photo", type="filepath", elem_id="photo-in", height=240)
        style = gr.Image(label="Style", type="filepath", elem_id="photo-style-in", height=240)
        variants, run = _variant_pair("photo-run")
    with gr.Row():
        alpha = _alpha_slider()
        size = _size_slider(PHOTO_SIZE)
        preserve_color = gr.Checkbox(label="Preserve the photo's colors")
    with gr.Row(equal_height=True):
        images, times = [], []
        for slot in "AB":
            with gr.Column():
                times.append(gr.Markdown(elem_id=f"photo-time-{slot.lower()}"))
                images.append(gr.Image(label=f"Stylized {slot}", format="jpeg", elem_id=f"photo-{slot.lower()}"))
    run.click(
        compare_photo,
        inputs=[photo, style, *variants, alpha, preserve_color, size],
        outputs=[*images, *times],
        api_name="photo",
        preprocess=False,
        concurrency_limit=1,
        concurrency_id="stylize",
    )


def _camera_tab() -> None:
    gr.Markdown(
        "Your webcam, stylized live over WebRTC: the frames go to the server running the model and "
        "come back as a video track. Where WebRTC cannot connect (a firewall that blocks UDP between "
        "you and the server), use the fallback below."
    )
    gr.HTML(LIVE_FRAME, elem_id="live-camera")
    with gr.Accordion("Fallback: the camera through Gradio's stream (a few frames a second)", open=False):
        _camera_fallback()


def _camera_fallback() -> None:
    """The camera through Gradio's own stream, for where WebRTC cannot connect."""
    with gr.Row():
        cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Camera", elem_id="cam-in")
        out = gr.HTML(label="Stylized", elem_id="cam-out", min_height=240)
    with gr.Row():
        style_in = gr.Image(value=CAMERA_STYLE, type="filepath", label="Style", height=160)
        with gr.Column():
            variant = _variant_dropdown("Variant", CAMERA_VARIANT)
            fps = gr.Markdown(label="fps", elem_id="cam-fps")
        with gr.Column():
            alpha = _alpha_slider()
            size = _size_slider(CAMERA_SIZE, label="Processing size (px)")
            preserve_color = gr.Checkbox(label="Preserve colors")
    style = gr.State(CAMERA_STYLE)
    rate = gr.State({})  # when the last frame was answered, and the delivered rate
    style_in.change(check_style, style_in, style, preprocess=False, api_visibility="undocumented")
    cam.stream(
        camera,
        inputs=[cam, style, variant, alpha, preserve_color, size, rate],
        outputs=[out, fps, rate],
        stream_every=0.1,
        show_progress="hidden",  # else the live output is drawn faded (pending) for the whole stream
        time_limit=300,
        concurrency_limit=1,
        concurrency_id="camera",
        api_name="camera",
    )


def _zoo_tab() -> None:
    names = [v.name for v in zoo.list_variants()]
    gr.Dataframe(
        zoo_rows(),
        headers=["variant", "use it for", "description", "recipe", "source", "weights"],
        column_widths=["12%", "24%", "32%", "10%", "11%", "11%"],
        interactive=False,
        wrap=True,
    )
    problems = zoo.plugin_problems()
    if problems:
        gr.Markdown("\n".join(f"- plugin problem: {p}" for p in problems))
    card_name = gr.Dropdown(names, value=names[0] if names else None, label="Model card")
    card = gr.Markdown(model_card(names[0]) if names else "")
    card_name.change(model_card, card_name, card, api_visibility="private")


def serve(host: str | None = None, port: int | None = None, share: bool = False) -> None:
    """Build the page and serve it until interrupted; None means Gradio's own default (and its variables)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    demo = build_demo()
    demo.queue(default_concurrency_limit=1, max_size=16)
    live = LiveServer(
        CameraFilter,
        MAX_LIVE_STREAMS,
        MAX_UPLOAD_MB * 2**20,
        functools.partial(torch.set_num_threads, LIVE_MODEL_THREADS),
    )
    demo.launch(
        app_kwargs={"routes": live.routes()},  # the WebRTC camera at /live, on the same server
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=f"{MAX_UPLOAD_MB}mb",
        allowed_paths=[str(examples.FOLDER)],
        footer_links=["api"],
    )


if __name__ == "__main__":  # `python app.py [--host H] [--port P] [--share]` from a checkout: `vst app`
    from vst.cli import main

    raise SystemExit(main(["app", *sys.argv[1:]]))
