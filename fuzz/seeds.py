"""Each target's starting corpus, from real files: the shared evaluation data, the bundled media and weights.

Large files are cut down first (an image to 48 px, a Sintel flow field to 8x4, a clip to its first frames), so
that the fuzzer mutates small inputs and runs many of them.
"""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PIL import Image

from vst.core.flow import read_flo, write_flo
from vst.examples import CLIPS, FOLDER, PAINTINGS

from .targets import SUFFIXES, frame

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"  # absent on a fresh clone: the bundled media still seed every target
LITE = ROOT / "zoo" / "weights" / "lite"
IMAGE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".webp": "WEBP", ".gif": "GIF", ".bmp": "BMP", ".tif": "TIFF"}


def _images() -> list[Path]:
    return [*PAINTINGS, *sorted((DATA / "content").glob("*"))[:2]]


def image_files() -> dict[str, bytes]:
    """Real images at 48 px in every format vst reads, named by their suffix."""
    files = {}
    for path in _images():
        with Image.open(path) as img:
            small = img.convert("RGB")
            small.thumbnail((48, 48))
        for suffix, fmt in IMAGE_FORMATS.items():
            buffer = io.BytesIO()
            small.save(buffer, format=fmt)
            files[f"{path.stem}{suffix}"] = buffer.getvalue()
    return files


def tiny_clip() -> bytes:
    """The bundled Bunny's first 4 frames at 64x36, H.264 in mp4 with no audio."""
    buffer = io.BytesIO()
    with av.open(str(FOLDER / "bunny.mp4")) as source, av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=24)
        stream.width, stream.height, stream.pix_fmt = 64, 36, "yuv420p"
        for i, decoded in enumerate(source.decode(video=0)):
            if i == 4:
                break
            out.mux(stream.encode(decoded.reformat(64, 36, "yuv420p")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def tiny_flo() -> bytes:
    flows = sorted(DATA.glob("flow/sintel/*/flow/*.flo"))[:1]
    flow = read_flo(flows[0])[:4, :8] if flows else np.linspace(-3, 3, 64, dtype=np.float32).reshape(4, 8, 2)
    path = Path(__file__).with_name(".seed.flo")
    try:
        write_flo(path, np.ascontiguousarray(flow))
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def seeds(target: str) -> dict[str, bytes]:
    """Named seed inputs for `target`, in the target's framing."""
    suffix = SUFFIXES.index
    if target == "flo":
        good = tiny_flo()
        return {"sintel.flo": good, "truncated.flo": good[:20], "header.flo": good[:12]}
    if target == "image":
        return {name: bytes([suffix(Path(name).suffix)]) + data for name, data in image_files().items()}
    if target == "video":
        clips = {"tiny.mp4": tiny_clip(), **{p.name: p.read_bytes() for p in CLIPS}}
        return {name: bytes([suffix(".mp4")]) + data for name, data in clips.items()}
    if target == "checkpoint":
        config, model = (LITE / "config.json").read_bytes(), (LITE / "model.safetensors").read_bytes()
        return {"lite": frame(config) + model, "lite-header": frame(config) + model[:4096]}
    if target == "hub_ref":
        refs = ["hf://org/name", "hf://org/name@v1.0", "hf://org/name@" + "0" * 40, "hf://a@b", "org/name", "hf://"]
        return {f"ref{i}": ref.encode() for i, ref in enumerate(refs)}
    if target == "app_request":
        clip, style = tiny_clip(), image_files()["starry_night.jpg"]
        camera = bytes([1, 3, 0, 0, 1, 1, 7, 4, 2]) + frame(b"lite")
        compare = bytes([0]) + frame(clip) + bytes([suffix(".mp4")]) + frame(style) + bytes([suffix(".jpg"), 0, 1, 1])
        return {"camera": camera, "compare": compare + bytes([7, 1, 7, 4, 4, 7, 0, 7, 0, 7, 0])}
    raise KeyError(target)
