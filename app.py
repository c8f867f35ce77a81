"""The web demo: two zoo variants side by side on one clip, with a live fps readout per variant.

    vst app [--host H] [--port P] [--share]        # installed
    python app.py [--host H] [--port P] [--share]  # from a checkout, the same

Tabs: *Compare* (a clip and a style, two variants, both videos side by side with their audio, stylized
frames and fps streamed while they run, then the temporal metrics of each), *Photo* (a still image, the same
two variants), *Camera filter* (a webcam stylized live) and *Model zoo* (the registered variants and their
model cards). The comparisons are also the API endpoints `/compare(video, style, variant_a, variant_b, ...)`,
which returns the two videos first, and `/photo(photo, style, variant_a, variant_b, ...)`.

Models come only through `zoo`, frames only through `vst_core.video`; this file is the web layer.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import math
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import gradio as gr
import numpy as np

import zoo
from vst_cli import MEDIA
from vst_core import VideoStylizer, VstError
from vst_core.encoder import cache_dir
from vst_core.images import fit_size, load_image, to_uint8
from vst_core.metrics import TemporalMetrics
from vst_core.video import VIDEO_SUFFIXES, Progress, VideoInfo, iter_frames, probe, stylize_video
from zoo import ZooError, hub
from zoo.hub import SCHEME, HubRef

log = logging.getLogger("vst.app")

DEFAULT_VARIANTS = ("baseline", "noise-resilient")
# Short side the frames are stylized at. At 180 px the bundled 2.5 s example (60 frames) is meant to take
# well under a minute for both variants on a 2-core CPU; the slider goes up to what a GPU handles in real time.
DEFAULT_SIZE = 180
SIZE_RANGE = (64, 720)
PHOTO_SIZE = 512  # a photo's default short side: one frame, so it can be larger than a clip's
STYLE_SIZE = 384  # short side the style image is encoded at: brush strokes keep their scale on small frames
MAX_SECONDS = 20.0
MAX_PIXELS = 3840 * 2160
MAX_UPLOAD = "50mb"
CACHE_SWEEP = (300, 1800)  # every 5 min, Gradio deletes the uploads and results older than 30 min
MAX_HUB_BYTES = 64 * 2**20  # what one visitor's Hub checkpoint may weigh: a decoder is 14 MB, an encoder as much
MAX_HUB_REPOS = 8  # Hub repos downloaded for visitors that stay in the cache; the oldest is deleted first
MAX_RUN_SECONDS = 600  # one comparison at a time: a slow variant (optical-flow) must not hold the queue for hours
UPDATE_EVERY = 0.4  # seconds between live updates of the page; each one is an image per variant
METRIC_HEADERS = ["variant", "temporal error ↓", "SSIM to input ↑", "warping error ↓", "fps"]


# ---------------------------------------------------------------- models and styles, cached across requests


@functools.lru_cache(maxsize=4)
def _create_stylizer(ref: str) -> VideoStylizer:
    return zoo.create_stylizer(ref)


_create_lock = threading.Lock()
_fetched: list[str] = []  # the Hub repos this server downloaded for its visitors, least recently used first


def get_stylizer(ref: str) -> VideoStylizer:
    """A stylizer from a small LRU cache, so a second request does not load the weights again."""
    with _create_lock:  # one load at a time: two requests for the same variant share one copy
        return _create_stylizer(fetch(ref) if hub.is_hub_ref(ref) else ref)


def fetch(ref: str) -> str:
    """A visitor's Hub checkpoint, downloaded within the server's limits (`MAX_HUB_BYTES`, `MAX_HUB_REPOS`).

    Returns the reference pinned to the commit in the cache, so that what loads is what was measured.
    """
    repo = HubRef.parse(ref)
    cached = hub.cached_folder(repo)
    downloads = cached is None
    folder = cached or hub.download(repo, max_bytes=MAX_HUB_BYTES)
    if repo.repo_id in _fetched:  # used again: now the most recent
        _fetched.remove(repo.repo_id)
        _fetched.append(repo.repo_id)
    elif downloads:  # a repo the operator had cached is theirs: never evicted
        _fetched.append(repo.repo_id)
    while len(_fetched) > MAX_HUB_REPOS:
        hub.evict(_fetched.pop(0))
    return str(HubRef(repo.repo_id, folder.name))


@functools.lru_cache(maxsize=16)
def style_handle(ref: str, paths: tuple[str, ...], weights: tuple[float, ...] | None) -> Any:
    """The encoded style (one image, or a blend of two), cached: the camera filter asks for it every frame."""
    images = [load_image(path, STYLE_SIZE) for path in paths]
    return get_stylizer(ref).encode_style(images[0] if weights is None else images, weights)


def resolve_variant(text: str | None) -> str:
    """A zoo variant name as it is; a Hub repo id, with or without `hf://`, as an `hf://` reference.

    Local folders are not accepted from the page: a visitor must not make the server read its disk.
    """
    ref = (text or "").strip()
    names = [v.name for v in zoo.list_variants()]
    if ref in names:
        return ref
    looks_local = ref.startswith(("/", ".", "~")) or "\\" in ref
    if not looks_local:
        try:
            return str(HubRef.parse(ref if ref.startswith(SCHEME) else SCHEME + ref))
        except ZooError as e:
            if "/" in ref:  # it was meant as a Hub repo: say what is wrong with it
                raise VstError(str(e)) from None
    raise VstError(
        f"unknown variant {ref!r}: pick one of {', '.join(names)}, or type a Hub repo id such as ORG/NAME[@REVISION]"
    )


# ---------------------------------------------------------------- checking what the visitor sent


def upload_path(payload: Any, what: str) -> str:
    """The server path of an upload (`preprocess=False` hands over the raw file payload)."""
    path = payload.get("path") if isinstance(payload, dict) else payload
    if not path:
        raise VstError(f"please give {what}")
    return str(path)


def check_clip(path: str) -> VideoInfo:
    """Refuse clips the demo cannot take, before any model runs."""
    if Path(path).suffix.lower() not in VIDEO_SUFFIXES:  # FFmpeg would read a still image as a 1-frame video
        kinds = ", ".join(sorted(VIDEO_SUFFIXES))
        raise VstError(f"{Path(path).name} is not a video: the clip must be one of {kinds}")
    info = probe(path)  # VideoError: not a video, corrupt, no video stream (a clip with no frames: stylize_video)
    if info.duration is not None and info.duration > MAX_SECONDS:
        raise VstError(
            f"the clip is {info.duration:.1f} s long; the demo takes up to {MAX_SECONDS:.0f} s "
            "(trim it, or stylize it whole with `vst stylize`)"
        )
    if info.width * info.height > MAX_PIXELS:
        raise VstError(f"the clip is {info.width}x{info.height}; the demo takes up to 3840x2160 (4K)")
    return info


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

    dirs = {tempfile.gettempdir(), str(MEDIA), HF_HUB_CACHE, str(cache_dir())}
    dirs.add(os.environ.get("GRADIO_TEMP_DIR") or str(Path(tempfile.gettempdir()) / "gradio"))
    return {str(Path(d).resolve()) for d in dirs} | dirs


def in_range(value: Any, name: str, low: float, high: float) -> float:
    """Sliders are checked here too: API callers send any number (the event runs with `preprocess=False`)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise VstError(f"{name} must be a number, got {value!r}") from None
    if not low <= number <= high:
        raise VstError(f"{name} must be within [{low:g}, {high:g}], got {number:g}")
    return number


def inline_jpeg(frame: np.ndarray, alt: str) -> str:
    """An RGB frame as an <img> with the JPEG inline. Live frames travel with the page update and are written
    nowhere: as an image output, every update would be a new file in Gradio's cache."""
    _, jpeg = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 85])
    return f'<img src="data:image/jpeg;base64,{base64.b64encode(jpeg.tobytes()).decode()}" alt="{html.escape(alt)}">'


# ---------------------------------------------------------------- the comparison


@dataclass
class Lane:
    """One variant's pass over the clip: its pipeline, its own clock and its metrics.

    The two lanes run interleaved, frame by frame, in one thread: each gets both cores while it works, both
    readouts move together, and `busy` counts only the time spent inside this lane's pipeline (decode,
    stylize, encode), so its fps is what the variant would reach alone, not half of it.
    """

    name: str
    output: Path
    frames: Iterator[Progress]
    inputs: Iterator[np.ndarray]  # the same frames at the same size, for the metrics
    metrics: TemporalMetrics = field(default_factory=TemporalMetrics)
    done: int = 0
    total: int | None = None
    busy: float = 0.0
    last: np.ndarray | None = None
    finished: bool = False

    def step(self) -> None:
        start = time.perf_counter()
        try:
            progress = next(self.frames)
        except StopIteration:  # the pipeline has closed its file: the video is complete
            self.finished = True
            return
        finally:
            self.busy += time.perf_counter() - start
        self.done, self.total, self.last = progress.done, progress.total, progress.frame
        self.metrics.update(next(self.inputs), progress.frame)

    def preview(self) -> str | None:
        """The latest frame, inline: a long run leaves no preview files behind."""
        return None if self.last is None else inline_jpeg(self.last, f"{self.name}, frame {self.done}")

    @property
    def fps(self) -> float:
        return self.done / self.busy if self.busy else 0.0

    def readout(self) -> str:
        total = self.total if self.total is not None else "?"
        state = "done" if self.finished else "running"
        return f"**{self.name}**: {self.done}/{total} frames, **{self.fps:.1f} fps** ({state})"

    def metric_row(self) -> list[Any]:
        result = self.metrics.result()
        return [
            self.name,
            *(round(result[key], 5) for key in ("temporal_error", "ssim", "warping_error")),
            round(self.fps, 2),
        ]


def compare(
    video: Any,
    style: Any,
    variant_a: str = DEFAULT_VARIANTS[0],
    variant_b: str = DEFAULT_VARIANTS[1],
    alpha: float = 1.0,
    keep_color: bool = False,
    size: int = DEFAULT_SIZE,
    style_b: Any = None,
    mix: float = 0.0,
) -> Iterator[tuple[Any, ...]]:
    """Stylize one clip with two variants, side by side.

    Yields (video A, video B, fps A, fps B, metrics, frame A, frame B): while running, the latest stylized
    frames and the fps readouts; at the end, both videos (audio kept) and a metrics table per variant.
    `style_b` with `mix` in (0, 1] interpolates between the two styles.
    """
    try:
        request = check_request(video, style, variant_a, variant_b, alpha, size, style_b, mix)
        yield from _compare(request, bool(keep_color))
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

    src: str
    info: VideoInfo
    styles: tuple[str, ...]
    weights: tuple[float, float] | None
    refs: tuple[str, str]
    alpha: float
    size: int


def check_request(
    video: Any, style: Any, variant_a: str, variant_b: str, alpha: float, size: int, style_b: Any, mix: float
) -> Request:
    """Every check that needs no model: the uploads open, the numbers are in range, the variants exist."""
    src = upload_path(video, "a video clip")
    styles = (upload_path(style, "a style image"),)
    alpha = in_range(alpha, "alpha", 0.0, 1.0)
    size = int(in_range(size, "processing size", *SIZE_RANGE))
    mix = in_range(mix, "style interpolation", 0.0, 1.0)
    weights = None
    if style_b and mix > 0:
        styles += (upload_path(style_b, "a second style image"),)
        weights = (1.0 - mix, mix)
    for path in styles:
        load_image(path, STYLE_SIZE)  # ImageError for what Pillow cannot read
    refs = (resolve_variant(variant_a), resolve_variant(variant_b))
    info = check_clip(src)
    size = min(size, info.width, info.height)  # never upscale: it would cost time and add nothing
    return Request(src, info, styles, weights, refs, alpha, size)


def precheck(
    video: Any,
    style: Any,
    variant_a: str,
    variant_b: str,
    alpha: float,
    keep_color: bool,
    size: int,
    style_b: Any,
    mix: float,
) -> None:
    """The page's first step, in a slot of its own: a bad upload is refused at once, not after the runs ahead of it."""
    try:
        check_request(video, style, variant_a, variant_b, alpha, size, style_b, mix)
    except VstError as e:
        raise refusal(e) from None


def _compare(request: Request, keep_color: bool) -> Iterator[tuple[Any, ...]]:
    src, size = request.src, request.size
    limit = math.floor(MAX_SECONDS * request.info.fps)  # frames, counted: a container may state no duration

    with tempfile.TemporaryDirectory(prefix="vst-app-") as tmp:
        lanes = []
        for slot, ref in zip("AB", request.refs):
            stylizer = get_stylizer(ref)
            handle = style_handle(ref, request.styles, request.weights)
            output = Path(tmp) / f"{Path(src).stem}_{slot}_{re.sub(r'[^A-Za-z0-9_.-]+', '-', ref)}.mp4"
            frames = stylize_video(
                src,
                output,
                stylizer,
                handle,
                alpha=request.alpha,
                keep_color=keep_color,
                size=size,
                max_frames=limit,
            )
            lanes.append(Lane(ref, output, frames, iter_frames(src, size=size, max_frames=limit)))

        def update() -> tuple[Any, ...]:
            a, b = lanes
            return gr.skip(), gr.skip(), a.readout(), b.readout(), gr.skip(), a.preview(), b.preview()

        yield None, None, lanes[0].readout(), lanes[1].readout(), None, None, None
        started = shown = time.monotonic()
        while not all(lane.finished for lane in lanes):
            for lane in lanes:
                if not lane.finished:
                    lane.step()
            if time.monotonic() - started > MAX_RUN_SECONDS:
                raise VstError(
                    f"stopped after {MAX_RUN_SECONDS // 60} minutes ({lanes[0].done} frames): "
                    "choose a smaller processing size, a shorter clip or a faster variant"
                )
            if time.monotonic() - shown >= UPDATE_EVERY:
                yield update()
                shown = time.monotonic()
        a, b = lanes
        yield (
            str(a.output),
            str(b.output),
            a.readout(),
            b.readout(),
            [a.metric_row(), b.metric_row()],
            a.preview(),
            b.preview(),
        )


# ---------------------------------------------------------------- a photo


def shrink(frame: np.ndarray, size: int) -> np.ndarray:
    """An RGB frame with its short side brought down to `size`, never up: upscaling costs time and adds nothing."""
    frame = np.ascontiguousarray(frame[..., :3])  # RGBA from some browsers
    width, height = fit_size(frame.shape[1], frame.shape[0], min(int(size), *frame.shape[:2]))
    if (width, height) == (frame.shape[1], frame.shape[0]):
        return frame
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def compare_photo(
    photo: Any,
    style: Any,
    variant_a: str = DEFAULT_VARIANTS[0],
    variant_b: str = DEFAULT_VARIANTS[1],
    alpha: float = 1.0,
    keep_color: bool = False,
    size: int = PHOTO_SIZE,
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """Stylize one photo with two variants; returns both images and how long each variant took."""
    try:
        frame = to_uint8(load_image(upload_path(photo, "a photo")))
        style_path = upload_path(style, "a style image")
        alpha = in_range(alpha, "alpha", 0.0, 1.0)
        frame = shrink(frame, int(in_range(size, "processing size", *SIZE_RANGE)))
        results = []
        for ref in (resolve_variant(variant_a), resolve_variant(variant_b)):
            handle = style_handle(ref, (style_path,), None)
            start = time.perf_counter()
            (out,) = get_stylizer(ref).stream([frame], handle, alpha=alpha, keep_color=bool(keep_color))
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
        load_image(path, STYLE_SIZE)
    except VstError as e:
        raise refusal(e) from None
    return path


def camera(
    frame: np.ndarray | None,
    style: str | None,
    variant: str,
    alpha: float,
    keep_color: bool,
    size: int,
    fps: float,
) -> tuple[str | None, str, float]:
    """Stylize one webcam frame; the fps readout is a running average of the stylization rate."""
    if frame is None:
        return None, "waiting for the camera", fps
    frame = shrink(frame, size)
    if not style:
        return inline_jpeg(frame, "camera"), "choose a style image", fps
    try:
        ref = resolve_variant(variant)
        handle = style_handle(ref, (style,), None)
        stylizer = get_stylizer(ref)
    except VstError as e:
        raise refusal(e) from None
    start = time.perf_counter()
    (out,) = stylizer.stream([frame], handle, alpha=float(alpha), keep_color=bool(keep_color))
    rate = 1.0 / max(time.perf_counter() - start, 1e-6)
    fps = rate if not fps else 0.8 * fps + 0.2 * rate
    return inline_jpeg(out, "stylized camera"), f"**{fps:.1f} fps** at {frame.shape[1]}x{frame.shape[0]}", fps


# ---------------------------------------------------------------- the zoo tab


def zoo_rows() -> list[list[str]]:
    rows = []
    for v in zoo.list_variants():
        config = v.config()
        state = "ready" if v.available_offline() else "downloads on first use" if v.hub_ref else "weights missing"
        rows.append([v.name, v.description, config.get("recipe", ""), v.source, state])
    return rows


def model_card(name: str) -> str:
    try:
        card = zoo.get_variant(name).card()
    except VstError as e:
        return f"*{e}*"
    if not card:
        return f"*{name} has no model card.*"
    return re.sub(r"\A---\n.*?\n---\n", "", card, flags=re.S)  # the Hub metadata block is for machines


# ---------------------------------------------------------------- the page


def _examples() -> list[list[str]]:
    pairs = [("bunny.mp4", "starry_night.jpg"), ("cockatoo.mp4", "wave.jpg"), ("bunny.mp4", "composition_vii.jpg")]
    return [[str(MEDIA / clip), str(MEDIA / style)] for clip, style in pairs if (MEDIA / clip).is_file()]


def _variant_dropdown(label: str, value: str) -> gr.Dropdown:
    return gr.Dropdown(
        [v.name for v in zoo.list_variants()],
        value=value,
        label=label,
        allow_custom_value=True,
        info="a zoo variant, or type a Hub repo id (ORG/NAME[@REV])",
    )


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="vst: video style transfer", analytics_enabled=False, delete_cache=CACHE_SWEEP) as demo:
        gr.Markdown(
            "# vst: real-time, temporally stable video style transfer\n"
            "Stylize a clip with two variants side by side. The `noise-resilient` decoder was trained so that "
            "a frame and the same frame plus a little noise are stylized alike, which suppresses flicker."
        )
        with gr.Tabs():
            with gr.Tab("Compare", id="compare"):
                with gr.Row():
                    video = gr.Video(label="Clip", sources=["upload"], elem_id="video-in", height=240)
                    style = gr.Image(label="Style", type="filepath", elem_id="style-in", height=240)
                    with gr.Column():
                        variant_a = _variant_dropdown("Variant A", DEFAULT_VARIANTS[0])
                        variant_b = _variant_dropdown("Variant B", DEFAULT_VARIANTS[1])
                        run = gr.Button("Stylize with both", variant="primary", elem_id="run")
                with gr.Accordion("Settings", open=False):
                    with gr.Row():
                        alpha = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="Style strength (alpha)")
                        size = gr.Slider(
                            *SIZE_RANGE, value=DEFAULT_SIZE, step=2, label="Processing size (short side, px)"
                        )
                        keep_color = gr.Checkbox(label="Preserve the clip's colors")
                    with gr.Row():
                        style_b = gr.Image(label="Second style (optional)", type="filepath", height=160)
                        mix = gr.Slider(0.0, 1.0, value=0.0, step=0.05, label="Interpolation toward the second style")
                with gr.Row(equal_height=True):
                    outputs = []
                    for slot in "AB":
                        with gr.Column():
                            fps = gr.Markdown(label=f"fps {slot}", elem_id=f"fps-{slot.lower()}")
                            frame = gr.HTML(label=f"Live {slot}", elem_id=f"live-{slot.lower()}", min_height=200)
                            result = gr.Video(
                                label=f"Stylized {slot}",
                                buttons=["download"],
                                elem_id=f"video-{slot.lower()}",
                                height=280,
                            )
                            outputs.append((result, fps, frame))
                metrics = gr.Dataframe(headers=METRIC_HEADERS, label="Temporal metrics", interactive=False)
                gr.Markdown(
                    "*Temporal error*: the poster's E_tempAvg, how much each output pixel changes between frames "
                    "beyond how much the input pixel changed. *SSIM*: structure kept from the input frame. "
                    "*Warping error*: the output's change along the input's optical flow (Lai et al. 2018). "
                    "Lower errors mean less flicker; *fps* counts only that variant's own time."
                )
                (video_a, fps_a, frame_a), (video_b, fps_b, frame_b) = outputs
                compare_inputs = [video, style, variant_a, variant_b, alpha, keep_color, size, style_b, mix]
                run.click(
                    precheck,
                    inputs=compare_inputs,
                    preprocess=False,
                    show_progress="minimal",
                    api_visibility="private",
                    concurrency_limit=4,  # a slot of its own: it never waits behind a comparison
                    concurrency_id="precheck",
                ).success(
                    compare,
                    inputs=compare_inputs,
                    outputs=[video_a, video_b, fps_a, fps_b, metrics, frame_a, frame_b],
                    api_name="compare",
                    preprocess=False,  # uploads are checked by `compare` itself, so bad ones get a readable error
                    show_progress="minimal",
                    concurrency_limit=1,
                    concurrency_id="stylize",
                )
                gr.Examples(_examples(), inputs=[video, style], label="Examples (click one, then Stylize)")
                gr.Markdown((MEDIA / "ATTRIBUTION.md").read_text(), elem_id="attribution")

            with gr.Tab("Photo", id="photo"):
                with gr.Row():
                    photo = gr.Image(label="Photo", type="filepath", elem_id="photo-in", height=240)
                    photo_style = gr.Image(label="Style", type="filepath", elem_id="photo-style-in", height=240)
                    with gr.Column():
                        photo_a = _variant_dropdown("Variant A", DEFAULT_VARIANTS[0])
                        photo_b = _variant_dropdown("Variant B", DEFAULT_VARIANTS[1])
                        photo_run = gr.Button("Stylize with both", variant="primary", elem_id="photo-run")
                with gr.Row():
                    photo_alpha = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="Style strength (alpha)")
                    photo_size = gr.Slider(
                        *SIZE_RANGE, value=PHOTO_SIZE, step=2, label="Processing size (short side, px)"
                    )
                    photo_keep = gr.Checkbox(label="Preserve the photo's colors")
                with gr.Row(equal_height=True):
                    images, times = [], []
                    for slot in "AB":
                        with gr.Column():
                            times.append(gr.Markdown(elem_id=f"photo-time-{slot.lower()}"))
                            images.append(
                                gr.Image(label=f"Stylized {slot}", format="jpeg", elem_id=f"photo-{slot.lower()}")
                            )
                photo_run.click(
                    compare_photo,
                    inputs=[photo, photo_style, photo_a, photo_b, photo_alpha, photo_keep, photo_size],
                    outputs=[*images, *times],
                    api_name="photo",
                    preprocess=False,
                    concurrency_limit=1,
                    concurrency_id="stylize",
                )

            with gr.Tab("Camera filter", id="camera"):
                gr.Markdown("Your webcam, stylized live. The frames go to the server running the model.")
                with gr.Row():
                    cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Camera", elem_id="cam-in")
                    cam_out = gr.HTML(label="Stylized", elem_id="cam-out", min_height=240)
                with gr.Row():
                    cam_style_in = gr.Image(
                        value=str(MEDIA / "starry_night.jpg"), type="filepath", label="Style", height=160
                    )
                    with gr.Column():
                        cam_variant = _variant_dropdown("Variant", DEFAULT_VARIANTS[1])
                        cam_fps = gr.Markdown(label="fps", elem_id="cam-fps")
                    with gr.Column():
                        cam_alpha = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="Style strength (alpha)")
                        cam_size = gr.Slider(
                            SIZE_RANGE[0], 480, value=DEFAULT_SIZE, step=2, label="Processing size (px)"
                        )
                        cam_keep = gr.Checkbox(label="Preserve colors")
                cam_style = gr.State(str(MEDIA / "starry_night.jpg"))
                cam_rate = gr.State(0.0)
                cam_style_in.change(
                    check_style, cam_style_in, cam_style, preprocess=False, api_visibility="undocumented"
                )
                cam.stream(
                    camera,
                    inputs=[cam, cam_style, cam_variant, cam_alpha, cam_keep, cam_size, cam_rate],
                    outputs=[cam_out, cam_fps, cam_rate],
                    stream_every=0.1,
                    time_limit=300,
                    concurrency_limit=1,
                    concurrency_id="camera",
                    api_name="camera",
                )

            with gr.Tab("Model zoo", id="zoo"):
                names = [v.name for v in zoo.list_variants()]
                gr.Dataframe(
                    zoo_rows(),
                    headers=["variant", "description", "recipe", "source", "weights"],
                    column_widths=["14%", "46%", "12%", "14%", "14%"],
                    interactive=False,
                    wrap=True,
                )
                problems = zoo.plugin_problems()
                if problems:
                    gr.Markdown("\n".join(f"- plugin problem: {p}" for p in problems))
                card_name = gr.Dropdown(names, value=names[0] if names else None, label="Model card")
                card = gr.Markdown(model_card(names[0]) if names else "")
                card_name.change(model_card, card_name, card, api_visibility="private")
    return demo


def serve(host: str | None = None, port: int | None = None, share: bool = False) -> None:
    """Build the page and serve it until interrupted; None means Gradio's own default (and its variables)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    demo = build_demo()
    demo.queue(default_concurrency_limit=1, max_size=16)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share,
        max_file_size=MAX_UPLOAD,
        allowed_paths=[str(MEDIA)],
        footer_links=["api"],
    )


if __name__ == "__main__":  # `python app.py [--host H] [--port P] [--share]` from a checkout: `vst app`
    from vst_cli import main

    raise SystemExit(main(["app", *sys.argv[1:]]))
