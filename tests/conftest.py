"""Shared fixtures: random-weight checkpoints, small generated videos and images, the shared data folder."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Generator, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
import torch
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def make_frames(n: int, width: int, height: int) -> list[np.ndarray]:
    """Moving colour gradients: content that changes from frame to frame, as a video's does."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    frames = []
    for i in range(n):
        r = (x * 255 / max(width - 1, 1) + 9 * i) % 256
        g = (y * 255 / max(height - 1, 1) + 5 * i) % 256
        b = ((x + y) * 2 + 13 * i) % 256
        frames.append(np.stack([r, g, b], axis=-1).astype(np.uint8))
    return frames


def write_video(
    path: Path,
    frames: int = 12,
    width: int = 64,
    height: int = 48,
    fps: Fraction | int = 24,
    audio: str | None = "aac",
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
) -> Path:
    """A real encoded video (PyAV, bundled ffmpeg) with an optional sine-tone audio track of the same length."""
    fps = Fraction(fps)
    with av.open(str(path), "w") as out:
        video = out.add_stream(codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, pix_fmt
        sound = out.add_stream(audio, rate=16000, layout="mono") if audio else None
        out.start_encoding()  # writes the header even when there are no frames
        for i, frame in enumerate(make_frames(frames, width, height)):
            vf = av.VideoFrame.from_ndarray(frame, format="rgb24")
            vf.pts = i
            out.mux(video.encode(vf))
        out.mux(video.encode(None))
        if sound is not None:
            samples = round(16000 * frames / fps)
            t = np.arange(samples, dtype=np.float32) / 16000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            fmt = sound.codec_context.format.name
            data = tone if fmt.startswith("flt") else (tone * 32767).astype(np.int16)
            af = av.AudioFrame.from_ndarray(data[None], format=fmt, layout="mono")
            af.sample_rate, af.pts = 16000, 0
            out.mux(sound.encode(af))
            out.mux(sound.encode(None))
    return path


@pytest.fixture(scope="session")
def random_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A checkpoint folder with a random-weight decoder against the default encoder (same cost as a trained one)."""
    from vst.core import Decoder, load_encoder, save_checkpoint

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("random_checkpoint")
    save_checkpoint(folder, Decoder(), load_encoder()[1], {"recipe": "baseline"})
    return folder


@pytest.fixture
def lite_checkpoint(tmp_path: Path) -> tuple[Path, dict[str, torch.Tensor]]:
    """A random-weight lite checkpoint that reads its own style (`LITE`), and its encoder weights."""
    from vst.core import save_checkpoint
    from vst.core.checkpoint import ENCODER_FILE, LITE
    from vst.core.encoder import EncoderIdentity, weights_sha256

    torch.manual_seed(0)
    encoder, decoder = LITE.encoder(), LITE.decoder()
    state = {k: v.clone() for k, v in encoder.state_dict().items()}
    identity = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(state))
    folder = tmp_path / "lite"
    save_checkpoint(
        folder, decoder, identity, {"recipe": "baseline", "steps": 1}, encoder_weights=state, architecture=LITE
    )
    return folder, state


@pytest.fixture
def vggstyle_checkpoint(tmp_path: Path) -> Path:
    """A random-weight lite checkpoint that reads its style through VGG-19 (`LITE_VGG_STYLE`): it carries a style
    map fitted (here: drawn) against the default VGG-19 weights, which its config names."""
    from vst.core import load_encoder, save_checkpoint
    from vst.core.checkpoint import ENCODER_FILE, LITE_VGG_STYLE
    from vst.core.encoder import EncoderIdentity, weights_sha256

    torch.manual_seed(0)
    encoder, decoder, style_map = LITE_VGG_STYLE.encoder(), LITE_VGG_STYLE.decoder(), LITE_VGG_STYLE.style_map()
    state = {k: v.clone() for k, v in encoder.state_dict().items()}
    identity = EncoderIdentity(f"file:{ENCODER_FILE}", weights_sha256(state))
    config = {"recipe": "baseline", "style_encoder": load_encoder()[1].to_dict()}
    folder = tmp_path / "lite-vggstyle"
    return save_checkpoint(
        folder, decoder, identity, config, encoder_weights=state, architecture=LITE_VGG_STYLE, style_map=style_map
    )


@pytest.fixture(scope="session")
def tiny_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12 frames of 64x48 H.264 at 24 fps with an AAC audio track."""
    return write_video(tmp_path_factory.mktemp("video") / "tiny.mp4")


@pytest.fixture
def make_video() -> Callable[..., Path]:
    """`write_video(path, frames=, width=, height=, fps=, audio=, codec=, pix_fmt=)`, for other videos."""
    return write_video


@pytest.fixture(scope="session")
def style_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small colourful PNG to use as a style."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:40, 0:56]
    stripes = np.stack([(x * 37) % 256, (y * 23) % 256, ((x // 7 + y // 5) % 2) * 255], axis=-1)
    image = np.clip(stripes + rng.integers(-20, 20, stripes.shape), 0, 255).astype(np.uint8)
    path = tmp_path_factory.mktemp("style") / "style.png"
    Image.fromarray(image).save(path)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The project's shared data folder (../shared/data), or skip."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


# ---------------------------------------------------------------- the web demo (tests/test_app.py, test_browser.py)


@pytest.fixture(scope="session")
def app_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo server's TMPDIR, to check what it leaves behind."""
    return tmp_path_factory.mktemp("app")


@pytest.fixture(scope="session")
def app_server(app_tmp: Path, random_checkpoint: Path) -> Iterator[str]:
    """The URL of a real `python app.py --port P` subprocess, shared by the app tests.

    It serves the embedded checkpoints; where they are missing, `VST_ZOO_<NAME>` points the built-in
    variants at a random-weight checkpoint, which runs the same code. Its log is shown if it fails to start.
    """
    from vst import zoo

    root = Path(__file__).resolve().parents[1]
    stand_ins = {
        f"VST_ZOO_{v.upper().replace('-', '_')}": str(random_checkpoint)
        for v in ("baseline", "noise-resilient")
        if not zoo.get_variant(v).available_offline()
    }
    env = {
        **os.environ,
        **stand_ins,
        "TMPDIR": str(app_tmp),
        "GRADIO_TEMP_DIR": str(app_tmp / "gradio"),
        "PYTHONUNBUFFERED": "1",  # its log is current when a test fails (pytest_runtest_makereport shows it)
    }
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = app_tmp / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, str(root / "app.py"), "--port", str(port)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        if proc.poll() is not None:
            pytest.fail(f"app.py exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"app.py did not answer within 180 s:\n{log.read_text()[-4000:]}")
        time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test of the demo shows the server's log, and the browser's console where a page was open:
    a failure on a CI machine is then read from its report, without a rerun."""
    report = yield
    if report.failed:
        app_tmp = item.funcargs.get("app_tmp") if "app_server" in item.fixturenames else None
        if app_tmp is not None and (app_tmp / "server.log").exists():
            report.sections.append(("app.py's log, its end", (app_tmp / "server.log").read_text()[-6000:]))
        console = getattr(item, "browser_console", None)
        if console:
            report.sections.append(("the browser's console, its end", "\n".join(console[-60:])))
    return report


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Folders of a few random content and style images: training data for the trainers' tests."""
    root = tmp_path_factory.mktemp("train-data")
    rng = np.random.default_rng(0)
    for kind, n in (("content", 3), ("style", 2)):
        (root / kind).mkdir()
        for i in range(n):
            img = rng.integers(0, 256, (48 + 8 * i, 64, 3), dtype=np.uint8)
            Image.fromarray(img).save(root / kind / f"{i}.png")
    return root / "content", root / "style"
