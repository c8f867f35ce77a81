"""Load test of the web demo: concurrent users and bad uploads against a real `python app.py` server.

Issue 13 asks how the demo behaves when several visitors use it at once and some send broken files: how long each
visitor waits, whether anyone gets an error, whether each bad upload is refused in one readable line (no traceback)
while the others are served, and what the server's memory and temporary files do meanwhile. This is a measurement,
not a pass/fail test: the timings depend on the machine and its load.

    python benchmarks/load.py                  # 4 users and 3 bad uploads at once, processing size 128
    python benchmarks/load.py --users 8 --bad 5 --size 180 --clip vst/examples/bunny.mp4

The server inherits the environment (OMP_NUM_THREADS, for one, which the report's command line shows).

It starts `python app.py --host 127.0.0.1 --port P` itself, with GRADIO_TEMP_DIR and TMPDIR in a fresh folder so that
their disk use can be measured, and always stops it. Every user has its own `gradio_client.Client` and submits one
`/compare` of its own synthetic clip made with PyAV (or all of them the same --clip: gradio stores identical uploads
and outputs once, which understates the temporary files) with the same style, `baseline` against
`noise-resilient`; the bad uploads are submitted at the same moment. When all have finished, one more valid request
checks that the server still serves. Reported: each request's completion time (seconds from its submission), the
errors, how each bad upload was refused, the server's RSS (VmRSS of the server and its children, from /proc: Linux
only) before, at its peak (sampled every 0.5 s) and after, and the size of GRADIO_TEMP_DIR and TMPDIR before and after.
Writes load.md, load.json (with the RSS samples: seconds, bytes) and the server's log to --out.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from common import command_line, hardware

from vst import examples

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVERY = 0.5  # seconds between RSS samples
BAD_KINDS = ("random bytes as .mp4", "text file as style image", "truncated mp4", "image as video", "unknown variant")


@dataclass
class Outcome:
    """One request: `ok` means the side-by-side video, both downloads, the metrics and the plot for a good one, a
    clean refusal for a bad one."""

    name: str
    kind: str  # "good", "bad" or "final"
    submitted: float  # seconds since the load started
    seconds: float  # from submission to result or error
    ok: bool
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------- inputs


def write_clip(path: Path, frames: int, width: int, height: int, fps: int, shift: int = 0) -> Path:
    """Moving colour gradients as H.264, with a sine-tone AAC track of the same length (the demo keeps audio).

    Clips with different `shift`s differ in every frame.
    """
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(frames):
            k = i + 7 * shift
            rgb = np.stack([(x * 255 / width + 9 * k) % 256, (y * 255 / height + 5 * k) % 256, (x + y + 13 * k) % 256])
            frame = av.VideoFrame.from_ndarray(rgb.transpose(1, 2, 0).astype(np.uint8), format="rgb24")
            frame.pts = i
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        t = np.arange(round(16000 * Fraction(frames, fps)), dtype=np.float32) / 16000
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        fmt = sound.codec_context.format.name
        samples = av.AudioFrame.from_ndarray(
            (tone if fmt.startswith("flt") else (tone * 32767).astype(np.int16))[None], format=fmt, layout="mono"
        )
        samples.sample_rate, samples.pts = 16000, 0
        out.mux(sound.encode(samples))
        out.mux(sound.encode(None))
    return path


def bad_inputs(
    folder: Path, clip: Path, style: Path, variants: list[str], count: int
) -> list[tuple[str, tuple[Path, Path, str, str]]]:
    """`count` broken requests (kind, /compare inputs), cycling through BAD_KINDS."""
    rng = np.random.default_rng(13)
    garbage = folder / "garbage.mp4"
    garbage.write_bytes(rng.integers(0, 256, 64 * 1024, dtype=np.uint8).tobytes())
    text = folder / "style.jpg"
    text.write_text("this is not a picture\n")
    truncated = folder / "truncated.mp4"  # with the index (moov) last, as PyAV writes it, the first half has none
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    a, b = variants
    cases = {
        BAD_KINDS[0]: (garbage, style, a, b),
        BAD_KINDS[1]: (clip, text, a, b),
        BAD_KINDS[2]: (truncated, style, a, b),
        BAD_KINDS[3]: (style, style, a, b),
        BAD_KINDS[4]: (clip, style, "no-such-variant", b),
    }
    kinds = [BAD_KINDS[i % len(BAD_KINDS)] for i in range(count)]
    return [(kind, cases[kind]) for kind in kinds]


# ---------------------------------------------------------------- the server and what it uses


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str], log: Path, timeout: float) -> subprocess.Popen[bytes]:
    """`python app.py --host 127.0.0.1 --port P`, once it answers HTTP 200; its output goes to `log`."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"load.py: app.py exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                if response.status == 200:
                    return proc
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_server(proc)
            raise SystemExit(f"load.py: app.py did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")
        time.sleep(0.5)


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tree_rss(pid: int) -> int:
    """VmRSS in bytes of `pid` and all its descendants (0 for a process that has gone)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(ln.split()[1]) * 1024 for ln in status.splitlines() if ln.startswith("VmRSS:")), 0)
    return total


class RssSampler(threading.Thread):
    """Samples `tree_rss(pid)` every SAMPLE_EVERY seconds until `stop()`; keeps the peak and the series."""

    def __init__(self, pid: int, start: float) -> None:
        super().__init__(daemon=True)
        self.pid, self.start_time = pid, start
        self.samples: list[tuple[float, int]] = []
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.is_set():
            self.samples.append((round(time.monotonic() - self.start_time, 2), tree_rss(self.pid)))
            self._stopped.wait(SAMPLE_EVERY)

    def stop(self) -> int:
        """Stop sampling; the peak RSS in bytes."""
        self._stopped.set()
        self.join()
        return max((rss for _, rss in self.samples), default=0)


def dir_usage(path: Path) -> dict[str, int]:
    """Bytes and number of files under `path`."""
    files = [p for p in path.rglob("*") if p.is_file()]
    return {"bytes": sum(p.stat().st_size for p in files), "files": len(files)}


# ---------------------------------------------------------------- the clients


def video_path(value: Any) -> str:
    """gradio_client returns a Video output as a path, or as {"video": path, "subtitles": ...}."""
    return value["video"] if isinstance(value, dict) else str(value)


def frame_count(path: str) -> int:
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0))


def check_result(result: Any, variants: tuple[str, str]) -> dict[str, Any]:
    """Frames of the side-by-side video and of each variant's own, and the variants of the metrics table and the
    plot, in the order app.py's docstring gives; raises ValueError if any is missing or they disagree."""
    side_by_side, downloads, _, _, table, plot = result[:6]
    frames = [frame_count(video_path(side_by_side)), *(frame_count(path) for path in downloads)]
    rows = [row[0] for row in table["data"]]
    plotted = list(dict.fromkeys(row[plot["columns"].index("variant")] for row in plot["data"]))
    if len(frames) != 3 or len(set(frames)) != 1 or not frames[0] or rows != list(variants) or plotted != rows:
        raise ValueError(f"unexpected result: frames {frames}, metrics rows {rows}, plotted {plotted}")
    return {"frames": frames[0], "metrics_rows": rows}


def one_request(
    url: str,
    name: str,
    kind: str,
    inputs: tuple[Path, Path, str, str],
    size: int,
    downloads: Path,
    t0: float,
    timeout: float,
    barrier: threading.Barrier | None = None,
) -> Outcome:
    """Connect a client, wait for the others at `barrier`, submit one `/compare` and time it to its end."""
    from gradio_client import Client, handle_file
    from gradio_client.exceptions import AppError

    video, style, variant_a, variant_b = inputs
    try:
        client, failure = Client(url, verbose=False, analytics_enabled=False, download_files=str(downloads / name)), ""
    except Exception as e:  # still meet the others at the barrier, or they would wait for ever
        client, failure = None, f"could not connect: {type(e).__name__}: {e}"
    if barrier is not None:
        barrier.wait()
    submitted = time.monotonic()
    outcome = Outcome(name, kind, round(submitted - t0, 2), 0.0, ok=False, error=failure or None)
    if client is None:
        return outcome
    job = None
    try:
        job = client.submit(
            handle_file(video), handle_file(style), variant_a, variant_b, 1.0, False, size, api_name="/compare"
        )
        result = job.result(timeout=timeout)
        outcome.detail = check_result(result, (variant_a, variant_b))
        outcome.ok = kind != "bad"  # a bad upload that succeeds was not refused
    except AppError as e:
        message = str(e)
        outcome.error = message
        outcome.detail = {
            "app_error": True,
            "one_line": bool(message) and "\n" not in message,
            "traceback": "Traceback" in message,
            "server_path": str(downloads.parent) in message or "/tmp/" in message,
        }
        clean = outcome.detail["one_line"] and not outcome.detail["traceback"] and not outcome.detail["server_path"]
        outcome.ok = kind == "bad" and clean
    except TimeoutError:
        outcome.error = f"no answer within {timeout:.0f} s"
        if job is not None:
            job.cancel()
    except Exception as e:  # a client-side failure, or a result that is not what the app promises
        outcome.error = f"{type(e).__name__}: {e}"
    finally:
        client.close()
    outcome.seconds = round(time.monotonic() - submitted, 2)
    return outcome


# ---------------------------------------------------------------- the report


def mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def usage(u: dict[str, int]) -> str:
    return f"{mib(u['bytes'])} ({u['files']} files)"


def markdown(report: dict[str, Any], header: list[str]) -> str:
    """Per request, then the summary, as Markdown tables."""
    lines = [*header, "", "| request | submitted at (s) | completion (s) | result |", "|---|---:|---:|---|"]
    for o in report["requests"]:
        if o["error"] is None:
            result = f"side-by-side video and two downloads ({o['detail']['frames']} frames), metrics and plot"
            result = f"**accepted**: {result}" if o["kind"] == "bad" else result
        else:
            result = ("refused: " if o["kind"] == "bad" else "**error**: ") + o["error"].replace("|", "\\|")
            if o["kind"] == "bad" and not o["ok"]:
                result = f"**not clean** ({json.dumps(o['detail'])}): {result}"
        lines.append(f"| {o['name']} | {o['submitted']:.1f} | {o['seconds']:.1f} | {result} |")
    s, rss, disk, tmp = report["summary"], report["rss_bytes"], report["gradio_temp_dir"], report["tmpdir"]
    times = s["good_seconds"]
    lines += [
        "",
        "| | |",
        "|---|---|",
        f"| good requests | {s['good']}, of which {s['good_errors']} failed |",
        f"| completion, good requests (min / median / max) | {times['min']:.1f} / {times['median']:.1f} / "
        f"{times['max']:.1f} s |",
        f"| bad uploads refused cleanly (one-line error, no traceback, no server path) | "
        f"{s['bad_clean']} / {s['bad']} ({s['bad_accepted']} accepted) |",
        f"| final request after the load | {'served' if s['final_ok'] else '**failed**'} in "
        f"{s['final_seconds']:.1f} s |",
        f"| server RSS: before / peak / after the load / after the final request | {mib(rss['before'])} / "
        f"{mib(rss['peak'])} / {mib(rss['after'])} / {mib(rss['after_final'])} |",
        f"| GRADIO_TEMP_DIR: before / after the load / after the final request | {usage(disk['before'])} / "
        f"{usage(disk['after'])} / {usage(disk['after_final'])} |",
        f"| TMPDIR: before / after the final request; app working folders left (vst-app-*) | {usage(tmp['before'])} / "
        f"{usage(tmp['after_final'])}; {tmp['left_behind']} |",
        f"| tracebacks in the server log: of refusals (gr.Error) / others | {s['server_tracebacks_of_refusals']} / "
        f"{s['server_tracebacks'] - s['server_tracebacks_of_refusals']} |",
    ]
    return "\n".join(lines) + "\n"


def parse(argv: list[str] | None) -> tuple[argparse.Namespace, str]:
    """The options, and the command line that reproduces them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=4, help="concurrent valid comparisons")
    parser.add_argument("--bad", type=int, default=3, help=f"concurrent bad uploads, cycling through {BAD_KINDS}")
    parser.add_argument("--size", type=int, default=128, help="processing size (short side) of each comparison")
    parser.add_argument("--style", type=Path, default=examples.FOLDER / "starry_night.jpg")
    parser.add_argument("--variants", nargs=2, default=["baseline", "noise-resilient"], metavar=("A", "B"))
    parser.add_argument("--clip", type=Path, default=None, help="a video file (default: a synthetic 192x108 clip)")
    parser.add_argument("--frames", type=int, default=24, help="frames of the synthetic clip")
    parser.add_argument("--fps", type=int, default=12, help="frame rate of the synthetic clip")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a request counts as hung")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/load"))
    args = parser.parse_args(argv)
    if args.users < 1 or args.bad < 0:
        parser.error("--users must be at least 1 and --bad at least 0")
    return args, command_line("benchmarks/load.py", parser, args)


@dataclass
class Workspace:
    """A fresh folder for one run: the server's GRADIO_TEMP_DIR and TMPDIR (so that their use can be measured),
    the inputs, and the clients' downloads."""

    root: Path
    gradio_tmp: Path
    server_tmp: Path
    media: Path
    downloads: Path

    @classmethod
    def create(cls) -> Workspace:
        root = Path(tempfile.mkdtemp(prefix="vst-load-"))
        folders = [root / d for d in ("gradio", "tmp", "media", "downloads")]
        for folder in folders:
            folder.mkdir()
        return cls(root, *folders)

    def server_env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GRADIO_TEMP_DIR": str(self.gradio_tmp),
            "TMPDIR": str(self.server_tmp),
            "GRADIO_ANALYTICS_ENABLED": "False",
        }


@dataclass
class Run:
    """What one load run saw: every request's outcome, the final request's, and the server's resources."""

    outcomes: list[Outcome]
    final: Outcome
    rss: dict[str, Any]
    disk: dict[str, Any]
    tmp: dict[str, Any]
    rss_samples: list[tuple[float, int]]


def load(args: argparse.Namespace, ws: Workspace, clips: list[Path], bad: list[tuple[str, tuple]], log: Path) -> Run:
    """Start the server, send every user and bad upload at once, then one final request; always stop it."""
    proc = None
    try:
        print("starting app.py ...", flush=True)
        port = free_port()
        proc = start_server(port, ws.server_env(), log, timeout=180)
        url = f"http://127.0.0.1:{port}/"
        rss, disk, tmp = {"before": tree_rss(proc.pid)}, {"before": dir_usage(ws.gradio_tmp)}, {}
        tmp["before"] = dir_usage(ws.server_tmp)
        t0 = time.monotonic()
        sampler = RssSampler(proc.pid, t0)
        sampler.start()

        requests = [(f"user-{i + 1}", "good", (clips[i], args.style, *args.variants)) for i in range(args.users)]
        requests += [(f"bad-{i + 1} ({kind})", "bad", inputs) for i, (kind, inputs) in enumerate(bad)]
        barrier = threading.Barrier(len(requests))
        print(f"{args.users} users and {args.bad} bad uploads against {url} ...", flush=True)
        with ThreadPoolExecutor(len(requests)) as pool:
            outcomes = list(
                pool.map(lambda r: one_request(url, *r, args.size, ws.downloads, t0, args.timeout, barrier), requests)
            )
        for o in outcomes:
            print(f"{o.name:>34}  {o.seconds:7.1f} s  {'ok' if o.ok else 'NOT OK'}  {o.error or ''}", flush=True)
        rss["after"], disk["after"] = tree_rss(proc.pid), dir_usage(ws.gradio_tmp)

        inputs = (clips[-1], args.style, *args.variants)
        final = one_request(url, "final", "final", inputs, args.size, ws.downloads, t0, args.timeout)
        print(f"{final.name:>34}  {final.seconds:7.1f} s  {'ok' if final.ok else 'NOT OK'}  {final.error or ''}")
        rss["after_final"], rss["peak"] = tree_rss(proc.pid), sampler.stop()
        disk["after_final"] = dir_usage(ws.gradio_tmp)
        disk["files_after_final"] = sorted(
            str(f.relative_to(ws.gradio_tmp)) for f in ws.gradio_tmp.rglob("*") if f.is_file()
        )
        tmp["after_final"] = dir_usage(ws.server_tmp)
        tmp["left_behind"] = len(list(ws.server_tmp.glob("vst-app-*")))
        return Run(outcomes, final, rss, disk, tmp, sampler.samples)
    finally:
        if proc is not None:
            stop_server(proc)


def summary(run: Run, server_log: str) -> dict[str, Any]:
    """The verdicts a reader looks for first: who waited how long, who got an error, how bad uploads were refused."""
    good = [o for o in run.outcomes if o.kind == "good"]
    bad = [o for o in run.outcomes if o.kind == "bad"]
    times = [o.seconds for o in good]
    return {
        "good": len(good),
        "good_errors": sum(not o.ok for o in good),
        "good_seconds": {"min": min(times), "median": statistics.median(times), "max": max(times)},
        "bad": len(bad),
        "bad_clean": sum(o.ok for o in bad),
        "bad_accepted": sum(o.error is None for o in bad),
        "final_ok": run.final.ok,
        "final_seconds": run.final.seconds,
        "server_tracebacks": server_log.count("Traceback (most recent call last)"),
        # a refusal (gr.Error) that gradio prints to the console; any other traceback is a real failure
        "server_tracebacks_of_refusals": server_log.count("\ngradio.exceptions.Error: "),
    }


def header(args: argparse.Namespace, command: str, machine: str) -> list[str]:
    """The report's opening lines: how to run it again, on what, under which load."""
    source = (
        f"{args.clip} for every request"
        if args.clip
        else f"synthetic, one per request, {args.frames} frames 192x108 at {args.fps} fps with audio"
    )
    return [
        "# Load test of the web demo",
        "",
        f"- command: `{command}`",
        f"- date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- hardware: {machine}",
        "- server: `python app.py --host 127.0.0.1 --port P`, its own GRADIO_TEMP_DIR and TMPDIR",
        f"- load: {args.users} users and {args.bad} bad uploads submitted at once, then one final request; "
        f"clip: {source}; style {args.style.name}; `{args.variants[0]}` vs `{args.variants[1]}` at size {args.size}",
        "- completion: seconds from a request's submission to its result or error (queue wait included)",
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args, command = parse(argv)
    print(f"# {command}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    ws = Workspace.create()
    log = ws.root / "server.log"
    try:
        clips = [  # one per user, and one for the final request
            args.clip or write_clip(ws.media / f"clip{i}.mp4", args.frames, 192, 108, args.fps, shift=i)
            for i in range(args.users + 1)
        ]
        bad = bad_inputs(ws.media, clips[0], args.style, args.variants, args.bad)
        run = load(args, ws, clips, bad, log)
    finally:
        server_log = log.read_text() if log.is_file() else ""
        shutil.rmtree(ws.root, ignore_errors=True)

    report: dict[str, Any] = {"command": command, "hardware": hardware("gradio", "gradio_client")}
    report["requests"] = [asdict(o) for o in [*run.outcomes, run.final]]
    report["summary"] = summary(run, server_log)
    report |= {"rss_bytes": run.rss, "gradio_temp_dir": run.disk, "tmpdir": run.tmp, "rss_samples": run.rss_samples}
    (args.out / "load.md").write_text(markdown(report, header(args, command, report["hardware"])))
    (args.out / "load.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / "server.log").write_text(server_log)
    print((args.out / "load.md").read_text())
    print("wrote", ", ".join(str(args.out / f) for f in ("load.md", "load.json", "server.log")))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
