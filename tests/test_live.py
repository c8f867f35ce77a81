"""The WebRTC camera (`vst.live`, served by the app at /live): its parts, then real streams in Chromium.

The browser tests use Chromium's fake camera and the real `python app.py` server (`app_server` in conftest).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from aioice.ice import get_host_addresses
from aiortc import RTCPeerConnection, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError

from vst.core import VstError
from vst.live import NO_INTERFACE, STALL_SECONDS, NewestFrame, Session, StylizedTrack, with_stamp

CHROMIUM = shutil.which("chromium")


def test_the_counter_strip_goes_back_on_top_scaled_as_the_frame_was() -> None:
    strip = np.zeros((16, 480, 3), np.uint8)
    strip[:, 240:] = 255
    out = np.full((180, 240, 3), 7, np.uint8)  # the 360-row camera image, stylized at half size
    stamped = with_stamp(strip, out, height=360)
    assert stamped.shape == (188, 240, 3)
    assert (stamped[:8, :120] == 0).all() and (stamped[:8, 120:] == 255).all()
    assert (stamped[8:] == 7).all()
    assert with_stamp(strip[:0], out, height=360) is out  # no strip asked for: the frame as it is


class Halve:
    """A filter of our own for the transport's tests: half size, or a failure on demand."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        if self.fail:
            raise RuntimeError("out of memory")
        return np.ascontiguousarray(frame[::2, ::2])


def stream_once(filter_, stamp_rows: int) -> tuple[object, object, asyncio.Event]:
    """One frame of aiortc's own test source through a session's stylized track: (reply or error, session, ended)."""

    async def main():
        ended = asyncio.Event()

        async def end() -> None:
            ended.set()

        session = Session("test", RTCPeerConnection(), filter_, stamp_rows)
        track = StylizedTrack(NewestFrame(VideoStreamTrack(), session, end), session, ThreadPoolExecutor(1), end)
        try:
            reply = await track.recv()
        except MediaStreamError as e:
            reply = e
        await asyncio.sleep(0.1)  # the ending runs as a task of its own
        for task in session.tasks:
            task.cancel()
        await session.pc.close()
        return reply, session, ended

    return asyncio.run(main())


def test_a_stylized_track_answers_with_the_stamp_on_top_and_the_cameras_clock() -> None:
    reply, session, ended = stream_once(Halve(), stamp_rows=16)
    assert (reply.width, reply.height) == (320, 8 + 232)  # aiortc's 640x480 test frame: 16 strip rows + 464 image
    assert reply.pts is not None and session.frames == 1 and not ended.is_set()


def test_a_filter_that_fails_mid_stream_ends_the_stream() -> None:
    reply, session, ended = stream_once(Halve(fail=True), stamp_rows=0)
    assert isinstance(reply, MediaStreamError) and ended.is_set() and session.frames == 0


@pytest.fixture(scope="module")
def camera_filter():
    app = pytest.importorskip("app", reason="the app's extras are not installed")
    return app.CameraFilter()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"colour": 1}, "unknown camera setting 'colour'"),
        ({"alpha": 2}, "alpha must be within [0, 1], got 2"),
        ({"alpha": "strong"}, "alpha must be a number, got 'strong'"),
        ({"size": 4000}, "processing size must be within"),
        ({"style": "/etc/passwd"}, "unknown style '/etc/passwd': pick one of"),
        ({"variant": "no-such-variant"}, "unknown variant 'no-such-variant'"),
        ({"variant": 7}, "a variant is a name or a Hub repo id, got int 7"),
        (["variant"], "camera settings are an object of named values, got list"),
    ],
)
def test_bad_camera_settings_get_one_line(camera_filter, fields: dict, message: str) -> None:
    with pytest.raises(VstError) as e:
        camera_filter.update(fields)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_camera_settings_change_and_are_offered(camera_filter) -> None:
    changed = camera_filter.update({"alpha": 0.5, "size": 180, "style": "wave.jpg", "preserve_color": True})
    assert (changed.alpha, changed.size, changed.preserve_color) == (0.5, 180, True)
    options = changed.options()
    assert options["settings"]["style"] == "wave.jpg" and "starry_night.jpg" in options["styles"]
    assert 180 in options["sizes"] and changed.variant in options["variants"]
    frame = np.random.default_rng(0).integers(0, 256, (360, 480, 3), dtype=np.uint8)
    assert changed(frame).shape == (180, 240, 3)


# ---------------------------------------------------------------- real streams, in Chromium


def streams(url: str) -> int:
    with urllib.request.urlopen(url + "live/streams", timeout=10) as response:
        return json.load(response)["streams"]


@pytest.fixture
def browser(app_server: str) -> Iterator:
    """Chromium with a fake camera, once the server streams to nobody (a closed tab's stream ends when its frames
    stop: after `STALL_SECONDS`)."""
    if CHROMIUM is None:
        pytest.skip("no `chromium` on PATH (tests/run.sh installs Debian's chromium)")
    if not get_host_addresses(use_ipv4=True, use_ipv6=True):
        pytest.skip(NO_INTERFACE)  # and the server refuses every offer in those words
    from test_browser import FLAGS

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    deadline = time.monotonic() + 3 * STALL_SECONDS
    while streams(app_server) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert streams(app_server) == 0, "streams of an earlier test never ended"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_live(browser, url: str, start: bool = True):
    page = browser.new_page()
    page.goto(url + "live")
    page.locator("#style option").first.wait_for(state="attached", timeout=30_000)
    if start:
        page.locator("#start").click()
    return page


def painted(page) -> int:
    """Frames painted since the page opened (its paint-time history is trimmed to the last minute)."""
    return page.evaluate("window.vstLive.frames")


def wait_painting(page, more_than: int, timeout_s: float = 120) -> None:
    page.wait_for_function(f"window.vstLive.frames > {more_than}", timeout=timeout_s * 1000)


def post(url: str, body: bytes) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        ("live/offer", b"{not json", 400, "the request's body must be JSON"),
        ("live/offer", b"[1, 2]", 400, "the request's body must be a JSON object"),
        ("live/offer", b'{"sdp": "v=0", "type": "offer", "stamp_rows": 999}', 400, "stamp_rows (0 to 64)"),
        ("live/offer", b'{"sdp": "v=0", "type": "offer"}', 400, "the offer has no video track"),
        ("live/offer", b'{"sdp": "m=video", "type": "offer", "settings": {"alpha": 9}}', 400, "alpha must be within"),
        ("live/offer", b'{"sdp": "m=video", "type": "offer", "settings": ["variant"]}', 400, "an object of named"),
        ("live/offer", b'{"sdp": "garbage", "type": "offer"}', 400, "the offer has no video track"),
        ("live/offer", b'{"sdp": "v=0", "type": "answer"}', 400, "the browser's offer could not be answered"),
        ("live/nosuch/settings", b"{}", 404, "no such stream"),
        ("live/nosuch/style", b"GIF89a", 404, "no such stream"),
    ],
)
def test_bad_requests_to_the_live_camera_get_one_line(app_server: str, path, body, status, message) -> None:
    got, answer = post(app_server + path, body)
    if got == 503 and answer["error"] == NO_INTERFACE:
        pytest.skip(NO_INTERFACE)
    assert got == status and message in answer["error"] and "\n" not in answer["error"], answer
    assert streams(app_server) == 0  # nothing half-made is left holding a slot


@pytest.mark.slow
def test_a_camera_stream_comes_back_stylized_with_fps_and_latency(browser, app_server: str) -> None:
    page = open_live(browser, app_server)
    wait_painting(page, 20)
    page.wait_for_function("window.vstLive.latencies.length > 5", timeout=30_000)  # counters read back
    page.wait_for_function("document.querySelector('#readout').textContent.includes('latency')", timeout=10_000)
    # painted first, in the same call: every frame painted was sent back before the server counted
    shown, stats = page.evaluate(
        """() => {
            const shown = window.vstLive.frames;
            return fetch(`live/${window.vstLive.session}/stats`).then((r) => r.json()).then((s) => [shown, s]);
        }"""
    )
    assert stats["frames"] >= shown > 20 and stats["model_ms"] > 0, stats
    # the settings change while it runs: a smaller processing size comes back at that size
    page.locator("#size").select_option("180")
    page.wait_for_function("document.querySelector('#output').videoHeight < 200", timeout=60_000)
    assert page.locator("#error").inner_text() == ""


@pytest.mark.slow
def test_a_bad_style_gets_one_line_and_the_stream_goes_on(browser, app_server: str, tmp_path) -> None:
    page = open_live(browser, app_server)
    wait_painting(page, 5)
    bad = tmp_path / "style.png"
    bad.write_text("not an image")
    page.locator("#style-file").set_input_files(str(bad))
    page.wait_for_function("window.vstLive.error !== ''", timeout=30_000)
    error = page.locator("#error").inner_text()
    assert error.startswith("the style image cannot be used:") and "\n" not in error, error
    assert "Traceback" not in error and str(tmp_path) not in error
    now = painted(page)
    wait_painting(page, now + 10, timeout_s=60)  # the old style goes on


@pytest.mark.slow
def test_two_visitors_stream_and_a_third_is_told_to_wait(browser, app_server: str) -> None:
    first, second = open_live(browser, app_server), open_live(browser, app_server)
    wait_painting(first, 5)
    wait_painting(second, 5)
    third = open_live(browser, app_server)
    third.wait_for_function("window.vstLive.error !== ''", timeout=30_000)
    assert "busy: 2 visitors are streaming" in third.locator("#error").inner_text()
    first.locator("#stop").click()  # a slot frees at once (its close is a beacon: wait for it), the next gets in
    deadline = time.monotonic() + 30
    while streams(app_server) > 1 and time.monotonic() < deadline:
        time.sleep(0.2)
    third.locator("#start").click()
    wait_painting(third, 5)
    now = painted(second)
    wait_painting(second, now + 5, timeout_s=60)
