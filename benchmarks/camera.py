"""The live camera as a visitor sees it: Chromium's fake camera streams to a real server over WebRTC.

    python benchmarks/camera.py --seconds 60 --sizes 240 288 360      # quiet, then under a comparison

For each processing size it starts a stream on the app's /live page (a real `python app.py`, headless Chromium
with a 30 fps fake camera at 480x360) and reports, after a warm-up:
- delivered fps: distinct stylized frames the page painted, a second;
- glass-to-glass latency: from the moment the page sent a frame to the moment it painted the stylized frame (the
  page stamps a counter above each frame; the server puts it back on top of the stylized one), median and 95th
  percentile, and the medians of the first and last 10 s (latency must not grow);
- the server's CPU (its process, all threads, in cores) and what it counted: frames stylized and dropped, the
  model's time a frame and the time from a frame's arrival to its reply.
With `--concurrent`, the same again while a client runs comparisons on the Compare tab back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import command_line, hardware
from load import free_port, one_request, start_server, stop_server, write_clip

from vst import examples, zoo

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-fake-device-for-media-stream=fps=30",  # a webcam's rate (Chromium's default fake camera gives 20)
    "--use-fake-ui-for-media-stream",
]
WARM_UP = 5.0  # seconds of each stream not counted: connection, first frames, the model's first calls
DRIFT_WINDOW = 10.0  # seconds at the start and the end of a stream whose median latencies are compared


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float | None:
    return statistics.quantiles(values, n=100)[round(q) - 1] if len(values) > 1 else None


def one_stream(browser, url: str, size: int, seconds: float, pid: int) -> dict[str, Any]:
    """Stream for WARM_UP + `seconds` at processing size `size`; what the page and the server measured."""
    page = browser.new_page()
    try:
        page.goto(url + "live")
        page.locator("#style option").first.wait_for(state="attached", timeout=60_000)
        page.evaluate(f"window.vstLive.keepMs = {1000 * (WARM_UP + seconds + 60)}")  # the whole run's history
        page.locator("#size").select_option(str(size))
        page.locator("#start").click()
        page.wait_for_function("window.vstLive.painted.length > 0 || window.vstLive.error", timeout=120_000)
        error = page.evaluate("window.vstLive.error")
        if error:
            raise SystemExit(f"camera.py: the stream did not start: {error}")
        time.sleep(WARM_UP)
        start, cpu0 = page.evaluate("performance.now()"), cpu_seconds(pid)
        wall0 = time.monotonic()
        time.sleep(seconds)
        end, cpu1 = page.evaluate("performance.now()"), cpu_seconds(pid)
        wall = time.monotonic() - wall0
        live = page.evaluate("({painted: window.vstLive.painted, latencies: window.vstLive.latencies})")
        server = page.evaluate("fetch(`live/${window.vstLive.session}/stats`).then(r => r.json())")
        page.locator("#stop").click()
    finally:
        page.close()
    painted = [t for t in live["painted"] if start <= t <= end]
    latencies = [(t, ms) for t, ms in live["latencies"] if start <= t <= end]
    ms = [m for _, m in latencies]
    first = [m for t, m in latencies if t < start + 1000 * DRIFT_WINDOW]
    last = [m for t, m in latencies if t > end - 1000 * DRIFT_WINDOW]
    return {
        "size": size,
        "seconds": round((end - start) / 1000, 1),
        "delivered_fps": round(len(painted) / ((end - start) / 1000), 1),
        "latency_ms_median": round(statistics.median(ms)) if ms else None,
        "latency_ms_p95": round(percentile(ms, 95)) if len(ms) > 1 else None,
        "latency_ms_first_10s": round(statistics.median(first)) if first else None,
        "latency_ms_last_10s": round(statistics.median(last)) if last else None,
        "frames_read_back": len(ms),
        "server_cpu_cores": round((cpu1 - cpu0) / wall, 2),
        "server": server,
    }


def comparisons(url: str, stop: threading.Event, work: Path, results: list[dict]) -> None:
    """Comparisons back to back on the Compare tab until `stop` (the concurrent load)."""
    clip = write_clip(work / "clip.mp4", 48, 320, 180, 12)
    style = examples.FOLDER / "starry_night.jpg"
    while not stop.is_set():
        outcome = one_request(
            url,
            f"c{len(results)}",
            "good",
            (clip, style, "baseline", "noise-resilient"),
            180,
            work,
            time.monotonic(),
            600,
        )
        results.append({"ok": outcome.ok, "seconds": outcome.seconds, "error": outcome.error})


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# Live camera: {report['variant']}, {report['seconds']:.0f} s a stream",
        "",
        f"`{report['command']}`",
        "",
        f"Machine: {report['hardware']}",
        "",
        f"Weights: {json.dumps(report['weights'])}",
        "",
        "| load | size | delivered fps | latency median / p95 (ms) | first / last 10 s (ms) | server CPU (cores) "
        "| stylized / dropped | model / server ms a frame |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in report["runs"]:
        s = run["server"]
        lines.append(
            f"| {run['load']} | {run['size']} | {run['delivered_fps']} | {run['latency_ms_median']} / "
            f"{run['latency_ms_p95']} | {run['latency_ms_first_10s']} / {run['latency_ms_last_10s']} | "
            f"{run['server_cpu_cores']} | {s['frames']} / {s['dropped']} | {s['model_ms']} / {s['server_ms']} |"
        )
    if report.get("comparisons"):
        done = report["comparisons"]
        lines += ["", f"Comparisons run meanwhile: {len(done)}, {sum(c['ok'] for c in done)} complete."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="measured seconds a stream (after a warm-up)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[240, 288, 360], help="processing sizes")
    parser.add_argument("--concurrent", action="store_true", help="also measure under back-to-back comparisons")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/camera"))
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("camera.py: no `chromium` on PATH (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    from vst import app

    command = command_line("benchmarks/camera.py", parser, args)
    print(f"# {command}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="vst-camera-"))
    port = free_port()
    server = start_server(port, dict(os.environ), work / "server.log", timeout=300)
    url = f"http://127.0.0.1:{port}/"
    report: dict[str, Any] = {
        "command": command,
        "hardware": hardware("aiortc"),
        "variant": app.CAMERA_VARIANT,
        "weights": zoo.identity(app.CAMERA_VARIANT),  # which weights: VST_ZOO_<NAME> can point the variant elsewhere
        "seconds": args.seconds,
        "runs": [],
    }
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
            loads = ["quiet", "comparison"] if args.concurrent else ["quiet"]
            for load in loads:
                stop, done = threading.Event(), []
                worker = threading.Thread(target=comparisons, args=(url, stop, work, done), daemon=True)
                if load == "comparison":
                    worker.start()
                    time.sleep(10)  # the comparison is under way
                for size in args.sizes:
                    run = {"load": load, **one_stream(browser, url, size, args.seconds, server.pid)}
                    print(json.dumps(run), flush=True)
                    report["runs"].append(run)
                if load == "comparison":
                    stop.set()
                    worker.join()
                    report["comparisons"] = done
            browser.close()
    finally:
        stop_server(server)
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "camera.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "camera.md").write_text(markdown(report))
    print(markdown(report))
    return report


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
