"""The README's pictures, from a real run: a `python app.py` server driven in Chromium, as a visitor uses it.

    python benchmarks/screenshots.py          # docs/screenshot.jpg, docs/camera.jpg, docs/before-after.jpg

It clicks the Compare tab's first example and *Stylize with both*, waits for the result, and shoots the page;
the side-by-side video that run produced gives the before/after strip (frames of input | A | B). Then it starts
the Camera filter tab's live stream on Chromium's fake camera and shoots that. Run it whenever the page changes.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import av
import numpy as np
from camera import CHROMIUM_FLAGS
from load import free_port, start_server, stop_server
from PIL import Image


def before_after(video: bytes, frames: int, width: int) -> Image.Image:
    """`frames` evenly spaced frames of the side-by-side video (input | A | B), stacked, `width` px wide."""
    with av.open(io.BytesIO(video)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    picked = [decoded[round(i * (len(decoded) - 1) / max(frames - 1, 1))] for i in range(frames)]
    strip = Image.fromarray(np.concatenate(picked, axis=0))
    return strip.resize((width, round(strip.height * width / strip.width)), Image.Resampling.LANCZOS)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs"))
    parser.add_argument("--frames", type=int, default=2, help="rows of the before/after strip")
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("screenshots.py: no `chromium` on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="vst-shots-"))
    port = free_port()
    server = start_server(port, dict(os.environ), work / "server.log", timeout=300)
    url = f"http://127.0.0.1:{port}/"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.goto(url)
            page.locator("#run").wait_for(timeout=60_000)
            page.locator("#examples tbody tr").first.click()  # the first example: the bunny and Starry Night
            page.locator("#video-in video").wait_for(timeout=60_000)
            start = time.monotonic()
            page.locator("#run").click()
            page.locator("#video-compare video").wait_for(timeout=600_000)
            page.locator("#fps-b").get_by_text("done").wait_for(timeout=60_000)
            print(f"the example ran in {time.monotonic() - start:.1f} s, as a visitor waits for it")
            page.locator("#temporal-plot").scroll_into_view_if_needed()
            page.wait_for_timeout(1500)  # the plot draws
            page.screenshot(
                path=str(work / "compare.png"), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1680}
            )
            source = page.locator("#video-compare video").get_attribute("src")
            with urllib.request.urlopen(urllib.parse.urljoin(url, source), timeout=60) as response:
                video = response.read()

            page.get_by_role("tab", name="Camera filter").click()
            live = page.frame_locator("#live-camera iframe")
            live.locator("#start").click()
            page.wait_for_timeout(8000)  # the readout settles
            page.screenshot(path=str(work / "camera.png"), clip={"x": 0, "y": 0, "width": 1280, "height": 860})
            live.locator("#stop").click()
            browser.close()
    finally:
        stop_server(server)
    Image.open(work / "compare.png").convert("RGB").save(args.out / "screenshot.jpg", quality=82)
    Image.open(work / "camera.png").convert("RGB").save(args.out / "camera.jpg", quality=82)
    before_after(video, args.frames, 960).save(args.out / "before-after.jpg", quality=85)
    shutil.rmtree(work, ignore_errors=True)
    print(*(args.out / n for n in ("screenshot.jpg", "camera.jpg", "before-after.jpg")))


if __name__ == "__main__":
    main(sys.argv[1:])
