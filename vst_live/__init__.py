"""The camera filter in real time: the browser's camera track, stylized frame by frame over WebRTC (aiortc).

The page (`page.html`, served at `/live`) sends its camera as a WebRTC video track, and the server answers with
a track of stylized frames. When the model falls behind, the newest frame wins: frames that arrived meanwhile
are dropped, never queued, so latency stays bounded. Each visitor has a session of their own, up to
`max_sessions`; one more is told so in one line. Settings and the style change while the stream runs.

The page measures what the visitor sees: distinct frames painted a second, and glass-to-glass latency. It
stamps a frame counter into a strip of `stamp_rows` rows above the camera image in each frame it sends; the
server stylizes the image alone and puts the strip back on top, and the page reads the counter off each frame
it paints (and hides the strip).

This module is the transport. What a frame becomes is a `Filter`'s business (the app's), so it knows nothing
of the zoo or of Gradio.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np
from aioice.ice import get_host_addresses
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError
from PIL import Image
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from vst.core import VstError

log = logging.getLogger("vst.live")

PAGE = Path(__file__).with_name("page.html")
MAX_STAMP_ROWS = 64
NO_INTERFACE = (  # aiortc, like browsers, never offers a loopback address as a WebRTC candidate
    "this server has no network interface but loopback, so WebRTC cannot connect: use the fallback below"
)
STALL_SECONDS = 10.0  # a stream whose camera sent nothing for this long is over (a closed tab sends no goodbye)


class Filter(Protocol):
    """What the app supplies: a frame's stylization under settings that change only by making a new filter."""

    def update(self, fields: Mapping[str, Any]) -> Filter:
        """A filter with these settings changed; a bad value raises `VstError` with one line to show."""

    def with_style(self, path: str) -> Filter:
        """A filter with the style image at `path` (an upload the transport wrote); `VstError` if it is bad."""

    def options(self) -> dict[str, Any]:
        """The settings as they are and the choices the page offers."""

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """An RGB uint8 frame stylized (at the filter's processing size)."""


@dataclass
class Session:
    """One visitor's stream: its connection, its filter and what the server counted of it."""

    id: str
    pc: RTCPeerConnection
    filter: Filter
    stamp_rows: int = 0
    style_file: Path | None = None
    received: int = 0  # camera frames that arrived
    frames: int = 0  # stylized and sent
    dropped: int = 0  # arrived while the model was busy, never stylized
    model_seconds: float = 0.0  # in the filter
    server_seconds: float = 0.0  # from a frame's arrival to its stylized reply: waiting for the model, then the model
    tasks: list[asyncio.Task] = field(default_factory=list)

    def stats(self) -> dict[str, Any]:
        def per_frame(seconds: float) -> float | None:
            return round(1000 * seconds / self.frames, 1) if self.frames else None

        return {
            "frames": self.frames,
            "dropped": self.dropped,
            "model_ms": per_frame(self.model_seconds),
            "server_ms": per_frame(self.server_seconds),
            "state": self.pc.connectionState,
        }


class NewestFrame:
    """Reads a track as fast as frames arrive and keeps only the newest: the consumer never sees a stale one."""

    def __init__(self, track: MediaStreamTrack, session: Session, on_end: Callable[[], Awaitable[None]]) -> None:
        self.session, self.frame, self.arrived = session, None, 0.0
        self.ready = asyncio.Event()
        session.tasks.append(asyncio.ensure_future(self._pull(track, on_end)))

    async def _pull(self, track: MediaStreamTrack, on_end: Callable[[], Awaitable[None]]) -> None:
        try:
            while True:
                frame = await asyncio.wait_for(track.recv(), STALL_SECONDS)
                self.session.received += 1
                if self.frame is not None:
                    self.session.dropped += 1
                self.frame, self.arrived = frame, time.perf_counter()
                self.ready.set()
        except (MediaStreamError, asyncio.TimeoutError):  # the browser stopped sending, or is gone
            self.frame = None
            self.ready.set()
            await on_end()

    async def take(self) -> tuple[av.VideoFrame, float]:
        """The newest frame and when it arrived; waits for one."""
        await self.ready.wait()
        self.ready.clear()
        frame, self.frame = self.frame, None
        if frame is None:
            raise MediaStreamError
        return frame, self.arrived


class StylizedTrack(MediaStreamTrack):
    """The track sent back: each newest camera frame through the session's filter, on the model's one thread."""

    kind = "video"

    def __init__(
        self, source: NewestFrame, session: Session, model: ThreadPoolExecutor, on_end: Callable[[], Awaitable[None]]
    ) -> None:
        super().__init__()
        self.source, self.session, self.model, self.on_end = source, session, model, on_end

    async def recv(self) -> av.VideoFrame:
        frame, arrived = await self.source.take()
        image = frame.to_ndarray(format="rgb24")
        try:
            out = await asyncio.get_running_loop().run_in_executor(self.model, self._stylize, image)
        except Exception:  # a bug or out of memory mid-stream: the log gets the traceback, the page "stream ended"
            log.exception("stream %s: the filter failed; ending it", self.session.id[:8])
            self.session.tasks.append(asyncio.ensure_future(self.on_end()))
            raise MediaStreamError from None
        reply = av.VideoFrame.from_ndarray(out, format="rgb24")
        reply.pts, reply.time_base = frame.pts, frame.time_base  # the camera's clock: timing survives the trip
        self.session.server_seconds += time.perf_counter() - arrived
        return reply

    def _stylize(self, image: np.ndarray) -> np.ndarray:
        session = self.session
        strip, image = image[: session.stamp_rows], image[session.stamp_rows :]
        start = time.perf_counter()
        out = session.filter(image)
        session.model_seconds += time.perf_counter() - start
        session.frames += 1
        return with_stamp(strip, out, image.shape[0])


def with_stamp(strip: np.ndarray, out: np.ndarray, height: int) -> np.ndarray:
    """The page's counter strip, scaled as the frame under it was, back on top of the stylized frame.

    The page sends its counter in rows above the camera image, so the model never sees it."""
    if not len(strip):
        return out
    rows = max(1, round(len(strip) * out.shape[0] / height))
    strip = Image.fromarray(np.ascontiguousarray(strip)).resize((out.shape[1], rows), Image.Resampling.NEAREST)
    return np.concatenate([np.asarray(strip), out])


class LiveServer:
    """The `/live` routes: the page, the WebRTC offer, and each session's settings, style, stats and close."""

    def __init__(
        self,
        make_filter: Callable[[], Filter],
        max_sessions: int,
        max_style_bytes: int,
        model_setup: Callable[[], None] | None = None,
    ) -> None:
        """`model_setup` runs once in the thread that runs every session's filter, in turn (say, its torch threads)."""
        self.make_filter, self.max_sessions, self.max_style_bytes = make_filter, max_sessions, max_style_bytes
        self.sessions: dict[str, Session] = {}
        self.model = ThreadPoolExecutor(1, thread_name_prefix="vst-live-model", initializer=model_setup)
        self.uploads = Path(tempfile.mkdtemp(prefix="vst-live-"))
        self.html = PAGE.read_text()

    def routes(self) -> list[Route]:
        return [
            Route("/live", self.page, methods=["GET"]),
            Route("/live/options", self.options, methods=["GET"]),
            Route("/live/streams", self.streams, methods=["GET"]),
            Route("/live/offer", self.offer, methods=["POST"]),
            Route("/live/{id}/settings", self.settings, methods=["POST"]),
            Route("/live/{id}/style", self.style, methods=["POST"]),
            Route("/live/{id}/stats", self.stats, methods=["GET"]),
            Route("/live/{id}/close", self.close, methods=["POST"]),
        ]

    async def page(self, request: Request) -> Response:
        return HTMLResponse(self.html)

    async def options(self, request: Request) -> Response:
        return JSONResponse(self.make_filter().options())

    async def streams(self, request: Request) -> Response:
        """How many visitors stream now, of how many the server takes."""
        return JSONResponse({"streams": len(self.sessions), "max": self.max_sessions})

    async def offer(self, request: Request) -> Response:
        """Answer a browser's offer with a stylized track, or say in one line why not."""
        if len(self.sessions) >= self.max_sessions:
            return refuse(
                f"the camera filter is busy: {self.max_sessions} visitors are streaming; try again in a minute", 503
            )
        if not get_host_addresses(use_ipv4=True, use_ipv6=True):
            return refuse(NO_INTERFACE, 503)
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        try:
            stamp_rows = int(body.get("stamp_rows", 0))
            if not 0 <= stamp_rows <= MAX_STAMP_ROWS:
                raise ValueError
            description = RTCSessionDescription(sdp=str(body["sdp"]), type=str(body["type"]))
        except (KeyError, TypeError, ValueError):
            return refuse(f"an offer is JSON with sdp, type and stamp_rows (0 to {MAX_STAMP_ROWS})", 400)
        try:
            filter_ = await asyncio.to_thread(self.make_filter().update, body.get("settings") or {})
        except VstError as e:
            return refuse(str(e), 400)
        session = Session(uuid.uuid4().hex, RTCPeerConnection(RTCConfiguration(iceServers=[])), filter_, stamp_rows)
        self.sessions[session.id] = session
        self._wire(session)
        try:
            await session.pc.setRemoteDescription(description)
            if not any(t.kind == "video" for t in session.pc.getTransceivers()):
                await self._end(session)
                return refuse("the offer has no video track: the page sends its camera", 400)
            await session.pc.setLocalDescription(await session.pc.createAnswer())
        except Exception as e:  # aiortc's errors for a malformed or unsupported offer are of many types
            await self._end(session)
            return refuse(f"the browser's offer could not be answered: {e}", 400)
        session.tasks.append(asyncio.ensure_future(self._expire_unless_streaming(session)))
        answer = session.pc.localDescription
        return JSONResponse({"sdp": answer.sdp, "type": answer.type, "session": session.id})

    def _session(self, request: Request) -> Session | Response:
        """The stream the request's path names, or the one line saying it is gone."""
        session = self.sessions.get(request.path_params["id"])
        return refuse("no such stream: it ended, or the server restarted", 404) if session is None else session

    async def _expire_unless_streaming(self, session: Session) -> None:
        """A session whose camera never sent a frame gives its slot back (a client that offered and left)."""
        await asyncio.sleep(STALL_SECONDS)
        if session.received == 0:
            await self._end(session)

    def _wire(self, session: Session) -> None:
        pc = session.pc

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if track.kind == "video":
                end = lambda: self._end(session)  # noqa: E731
                pc.addTrack(StylizedTrack(NewestFrame(track, session, end), session, self.model, end))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self._end(session)

    async def settings(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        body = await json_body(request)
        if isinstance(body, Response):
            return body
        try:
            session.filter = await asyncio.to_thread(session.filter.update, body)
        except VstError as e:
            return refuse(str(e), 400)
        return JSONResponse(session.filter.options())

    async def style(self, request: Request) -> Response:
        """A style image of the visitor's, as the request's body; the stream goes on with the old one if it is bad."""
        session = self._session(request)
        if isinstance(session, Response):
            return session
        data = bytearray()
        async for chunk in request.stream():
            data += chunk
            if len(data) > self.max_style_bytes:
                return refuse(f"the style image is over {self.max_style_bytes // 2**20} MB", 413)
        path = self.uploads / f"{session.id}-{uuid.uuid4().hex[:8]}"
        path.write_bytes(bytes(data))
        try:
            session.filter = await asyncio.to_thread(session.filter.with_style, str(path))
        except VstError as e:
            path.unlink(missing_ok=True)
            return refuse(f"the style image cannot be used: {e}".replace(str(path), "the upload"), 400)
        if session.style_file is not None:
            session.style_file.unlink(missing_ok=True)
        session.style_file = path
        return JSONResponse(session.filter.options())

    async def stats(self, request: Request) -> Response:
        session = self._session(request)
        if isinstance(session, Response):
            return session
        return JSONResponse(session.stats())

    async def close(self, request: Request) -> Response:
        session = self.sessions.get(request.path_params["id"])
        if session is not None:
            await self._end(session)
        return JSONResponse({"closed": True})

    async def _end(self, session: Session) -> None:
        if self.sessions.pop(session.id, None) is None:
            return
        for task in session.tasks:
            if task is not asyncio.current_task():  # a stalled stream's reader ends its session from inside
                task.cancel()
        await session.pc.close()
        if session.style_file is not None:
            session.style_file.unlink(missing_ok=True)
        log.info("stream %s ended: %s", session.id[:8], session.stats())


async def json_body(request: Request) -> dict[str, Any] | Response:
    try:
        body = await request.json()
    except ValueError:
        return refuse("the request's body must be JSON", 400)
    return body if isinstance(body, dict) else refuse("the request's body must be a JSON object", 400)


def refuse(message: str, status: int) -> JSONResponse:
    """One line for the page to show; never a traceback."""
    return JSONResponse({"error": message}, status_code=status)
