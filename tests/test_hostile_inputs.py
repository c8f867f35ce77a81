"""Hand-made hostile files through every door: the CLI, the Python API and the app, as content and as style.

Each of the `KINDS` below goes in where a clip or photo is expected and where a style image is expected, through
`vst stylize` (in-process: the real `main`, its exit code and stderr), the Python API (`zoo.load(...)`'s
pipeline) and the app's `/compare` and `/photo` endpoints (a real server). Every one must end the same way: a
one-line error of vst's own, no traceback, no server path, no output file, and a server that keeps serving.
The fuzzer (`python -m fuzz`) looks for the files nobody thought of; the odd ones it found are in
fuzz/regressions/ and replayed by tests/test_fuzz.py.
"""

from __future__ import annotations

import struct
import sys
import zlib
from pathlib import Path

import av
import numpy as np
import pytest

import vst.cli as cli
from vst.core import VstError


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG header that claims a huge image (a decompression bomb's first bytes), with one tiny IDAT."""
    chunk = lambda kind, data: struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))  # noqa: E731
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")
    )


def _audio_only(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000, layout="mono")
        fmt = stream.codec_context.format.name
        tone = np.zeros((1, 16000), np.float32 if fmt.startswith("flt") else np.int16)
        samples = av.AudioFrame.from_ndarray(tone, format=fmt, layout="mono")
        samples.sample_rate, samples.pts = 16000, 0
        out.mux(stream.encode(samples))
        out.mux(stream.encode(None))
    return path


def _make(kind: str, folder: Path, clip: Path, style: Path) -> Path:
    """The hostile file of `kind` (a path that may not exist, or be a folder)."""
    rng = np.random.default_rng(len(kind))
    make = {
        "empty.mp4": lambda p: p.write_bytes(b""),
        "text.mp4": lambda p: p.write_text("not a video\n"),
        "text.jpg": lambda p: p.write_text("not a picture\n"),
        "noise.mp4": lambda p: p.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()),
        "noise.png": lambda p: p.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()),
        "half.mp4": lambda p: p.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2]),
        "half.jpg": lambda p: p.write_bytes(style.read_bytes()[: style.stat().st_size // 3]),
        "folder.mp4": lambda p: p.mkdir(),
        "missing.mp4": lambda p: None,
        "audio.m4a": _audio_only,
        "notes.md": lambda p: p.write_text("# a README\n"),
        "bomb.png": lambda p: p.write_bytes(_png_claiming(100_000, 100_000)),
        "flow.flo": lambda p: p.write_bytes(b"PIEH" + struct.pack("<ii", 2, 2) + bytes(32)),
        "header.mp4": lambda p: p.write_bytes(clip.read_bytes()[:64]),
        "nul.jpg": lambda p: p.write_bytes(b"\0" * 1024),
        "zero.png": lambda p: p.write_bytes(_png_claiming(0, 0)),
        "program.mp4": lambda p: p.write_bytes(Path(sys.executable).resolve().read_bytes()[:8192]),
    }
    path = folder / kind
    make[kind](path)
    return path


KINDS = [
    "empty.mp4",
    "text.mp4",
    "text.jpg",
    "noise.mp4",
    "noise.png",
    "half.mp4",
    "half.jpg",
    "folder.mp4",
    "missing.mp4",
    "audio.m4a",
    "notes.md",
    "bomb.png",
    "flow.flo",
    "header.mp4",
    "nul.jpg",
    "zero.png",
    "program.mp4",
]
ROLES = ["content", "style"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, tiny_video: Path, style_image: Path) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {kind: _make(kind, folder, tiny_video, style_image) for kind in KINDS}


def _inputs(role: str, bad: Path, tiny_video: Path, style_image: Path) -> tuple[Path, Path]:
    """(content, style) with the bad file in `role`; a good clip beside a bad style."""
    return (bad, style_image) if role == "content" else (tiny_video, bad)


def _one_line(message: str) -> None:
    assert message.strip() and "\n" not in message.strip(), message
    assert "Traceback" not in message, message


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_cli_says_one_line(kind, role, hostile, tiny_video, style_image, random_checkpoint, tmp_path, capsys):
    content, style = _inputs(role, hostile[kind], tiny_video, style_image)
    out = tmp_path / "out.mp4"
    argv = ["stylize", str(content), "--style", str(style), "--checkpoint", str(random_checkpoint), "-o", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    _one_line(err)
    assert err.startswith("vst: error: ")
    assert not out.exists() and not list(tmp_path.glob(".out*"))


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_python_api_raises_one_vst_error(kind, role, hostile, tiny_video, style_image, random_checkpoint, tmp_path):
    from vst import zoo

    pipeline = zoo.load(str(random_checkpoint))
    content, style = _inputs(role, hostile[kind], tiny_video, style_image)
    out = tmp_path / "out.mp4"
    with pytest.raises(VstError) as e:
        pipeline.stylize_video(content, out, style=style, size=64, max_frames=2)
    _one_line(str(e.value))
    assert not out.exists() and not list(tmp_path.glob(".out*"))


@pytest.fixture(scope="module")
def client(app_server: str, tmp_path_factory):
    from gradio_client import Client

    return Client(app_server, verbose=False, analytics_enabled=False, download_files=str(tmp_path_factory.mktemp("d")))


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", KINDS)
def test_the_app_refuses_in_one_line_and_serves_on(kind, role, hostile, tiny_video, style_image, client, app_tmp):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    bad = hostile[kind]
    if not bad.is_file() or bad.stat().st_size == 0:
        pytest.skip("a browser cannot upload a folder, a missing file or an empty one")  # the CLI and API cover them
    content, style = _inputs(role, bad, tiny_video, style_image)
    endpoint = "/compare" if content.suffix in (".mp4", ".m4a", ".md", ".flo") or role == "style" else "/photo"
    with pytest.raises(AppError) as e:
        client.predict(
            handle_file(str(content)), handle_file(str(style)), "baseline", "noise-resilient", api_name=endpoint
        )
    message = str(e.value)
    _one_line(message)
    assert str(app_tmp) not in message and "/tmp/" not in message, message
