"""The web demo in a real browser: Debian's chromium, driven by Playwright (no browser is downloaded).

tests/run.sh installs chromium with apt and playwright with pip; this test installs nothing itself.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_app import MEDIA, fps_of

CHROMIUM = shutil.which("chromium")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from camera import CHROMIUM_FLAGS as FLAGS  # noqa: E402  (one home for how a test browser is started)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no `chromium` on PATH (tests/run.sh installs Debian's chromium)"),
]


@pytest.fixture
def page(app_server: str, request: pytest.FixtureRequest) -> Iterator:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            request.node.browser_console = console = []  # shown with a failure (conftest)
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"page error: {e}"))
            page.goto(app_server)
            page.locator("#run").wait_for(timeout=60_000)
            yield page
        finally:
            browser.close()


def set_slider(page, elem_id: str, value: str, tries: int = 5) -> None:
    """Type `value` into a Gradio slider's number box until the slider itself holds it.

    The page sends what the range input holds. On a fresh CI clone a value typed into a just-opened
    accordion once never reached it (it stayed 0), so type again until it sticks, then fail loudly.
    """
    box = page.locator(f"#{elem_id} input[type=number]")
    slider = page.locator(f"#{elem_id} input[type=range]")
    slider.wait_for(timeout=10_000)
    for _ in range(tries):
        box.fill(value)
        box.press("Enter")
        try:
            expect(slider).to_have_value(value, timeout=3_000)
            return
        except AssertionError:
            continue
    expect(slider).to_have_value(value, timeout=1)


def test_upload_compare_and_screenshot(page, make_video, tmp_path: Path) -> None:
    clip = make_video(tmp_path / "clip.mp4", frames=24, width=160, height=96, fps=12)
    page.locator("#video-in input[type=file]").set_input_files(str(clip))
    page.locator("#style-in input[type=file]").set_input_files(str(MEDIA / "starry_night.jpg"))
    page.locator("#video-in video").wait_for(timeout=30_000)
    page.locator("#style-in img").wait_for(timeout=30_000)
    page.get_by_text("Settings").click()
    set_slider(page, "stabilize-b", "0.5")
    page.locator("#run").click()

    # stylized frames and fps readouts appear while it runs, then the side-by-side video and the plot
    page.locator("#live-a img").wait_for(timeout=180_000)
    page.locator("#video-compare video").wait_for(timeout=300_000)
    for slot, name in (("a", "baseline"), ("b", "noise-resilient + stabilize 0.5")):
        expect(page.locator(f"#fps-{slot}")).to_contain_text(f"{name}: 24/24 frames", timeout=30_000)
        assert fps_of(page.locator(f"#fps-{slot}").inner_text()) > 0
    # the plot draws a line per variant, and its legend (waited on: the last update draws the plot again)
    plot = page.locator("#temporal-plot")
    expect(plot.locator(".mark-line path")).to_have_count(2, timeout=30_000)
    bottom = plot.bounding_box()["y"] + plot.bounding_box()["height"]
    for name in ("baseline", "noise-resilient + stabilize 0.5"):  # inside the plot's box
        entry = plot.locator("text", has_text=name).first
        entry.wait_for(timeout=10_000)
        assert entry.bounding_box()["y"] + entry.bounding_box()["height"] <= bottom
    page.get_by_text("Downloads").click()  # each variant's own video
    for stem in ("clip_A_baseline", "clip_B_noise-resilient-stabilize-0.5"):  # shown apart from their ".mp4"
        page.locator("#downloads").get_by_text(stem, exact=True).wait_for(timeout=10_000)
    assert "Blender Foundation" in page.locator("#attribution").inner_text()

    shot = tmp_path / "app.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


def test_camera_filter_streams_stylized_frames(page, tmp_path: Path, app_tmp: Path) -> None:
    cache = app_tmp / "gradio"
    before = set(cache.rglob("*"))
    page.get_by_role("tab", name="Camera filter").click()
    page.get_by_text("Fallback: the camera through Gradio's stream").click()
    page.locator("#cam-in").get_by_text("Click to Access Webcam").click()
    # as a visitor would: start the stream once the preview shows the camera
    page.wait_for_function("() => document.querySelector('#cam-in video')?.videoWidth > 0", timeout=60_000)
    page.locator("#cam-in").get_by_role("button", name="capture photo").click()  # starts the stream
    page.locator("#cam-out img").wait_for(timeout=180_000)
    # read in the same call that sees it: the readout says "measuring…" again when answers pause
    readout = page.wait_for_function(
        "() => { const t = document.querySelector('#cam-fps').innerText; return / fps/.test(t) && t; }",
        timeout=60_000,
    )
    assert fps_of(readout.json_value()) > 0
    # While it streams, the output is drawn at full strength: no "pending" fade (once 0.2 for the whole stream).
    opacity = """() => { let o = 1; for (let e = document.querySelector('#cam-out img'); e; e = e.parentElement)
                          o *= parseFloat(getComputedStyle(e).opacity); return o; }"""
    seen = []
    for _ in range(10):  # more frames: the stream writes none of them to the server's disk
        seen.append(page.evaluate(opacity))
        page.wait_for_timeout(200)
    assert min(seen) == 1.0, seen
    assert not [p for p in set(cache.rglob("*")) - before if p.is_file()]
    page.screenshot(path=str(tmp_path / "camera.png"))


def test_a_clip_over_the_limit_is_refused_before_the_queue(page, make_video, tmp_path: Path) -> None:
    long_clip = make_video(tmp_path / "long.mp4", frames=88, width=64, height=48, fps=4)  # 22 s: over the 20 s limit
    page.locator("#video-in input[type=file]").set_input_files(str(long_clip))
    page.locator("#style-in input[type=file]").set_input_files(str(MEDIA / "starry_night.jpg"))
    page.locator("#video-in video").wait_for(timeout=30_000)
    page.locator("#style-in img").wait_for(timeout=30_000)
    page.locator("#run").click()
    page.get_by_text("the clip is 22.0 s long; the demo takes up to 20 s").first.wait_for(timeout=30_000)
    assert "frames" not in page.locator("#fps-a").inner_text()  # the comparison itself never started
