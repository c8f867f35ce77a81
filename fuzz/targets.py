"""One fuzz target for each door through which outside bytes enter vst, and the contract each one asserts.

The contract (`door`): every input either works or raises `VstError` (vst's own error, one line); nothing
else escapes. libFuzzer's own bounds catch the rest: `-timeout` (a hang), `-rss_limit_mb` (memory). Targets
that write an output also check that nothing appears under the output's name when they fail.

A target gets raw bytes; `Input` splits them into the parts a door takes (files, text, numbers).
"""

from __future__ import annotations

import dataclasses
import shutil
import struct
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from vst.core import VstError
from vst.core.flow import read_flo
from vst.core.images import load_image, save_image
from vst.core.pipeline import Clip
from vst.core.video import VideoWriter
from vst.zoo import hub
from vst.zoo.hub import HubRef

WORK = Path(tempfile.mkdtemp(prefix="vst-fuzz-"))  # each worker's scratch folder
LITE_ENCODER = Path(__file__).resolve().parents[1] / "zoo" / "weights" / "lite" / "encoder.safetensors"
SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".jpg", ".png", ".webp", ".gif", ".bmp", ".tif", ".txt", ".flo", "")


class ContractBroken(AssertionError):
    """What the fuzzer reports as a crash: vst broke its contract with this input."""


def door(target: Callable[[bytes], Any]) -> Callable[[bytes], None]:
    """`target`, held to the contract: it works, or it raises a one-line VstError."""

    def run(data: bytes) -> None:
        try:
            target(data)
        except VstError as e:
            message = str(e)
            if not message.strip() or "\n" in message:
                raise ContractBroken(f"a VstError that is not one line: {message!r}") from e

    run.__name__ = target.__name__
    return run


def file_of(data: bytes, suffix: str, name: str = "input") -> Path:
    path = WORK / f"{name}{suffix}"
    path.write_bytes(data)
    return path


@contextmanager
def output(name: str) -> Iterator[Path]:
    """An output's path, cleared first; if the call fails, nothing may be left under it."""
    path = WORK / name
    path.unlink(missing_ok=True)
    try:
        yield path
    except VstError:
        if path.exists():
            raise ContractBroken(f"a failed call left {path.name} behind") from None
        raise


class Input:
    """The fuzzer's bytes read front to back as the values a door takes, in a framing simple enough that seeds
    are written by hand (`frame`): a byte picks among options, four bytes (little-endian) give a length."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += len(chunk)
        return chunk

    def pick(self, options: list[Any] | tuple[Any, ...]) -> Any:
        byte = self.take(1)
        return options[byte[0] % len(options)] if byte else options[0]

    def blob(self) -> bytes:
        return self.take(int.from_bytes(self.take(4), "little"))

    def text(self) -> str:
        return self.blob().decode("utf-8", "replace")

    def suffix(self) -> str:
        return self.pick(SUFFIXES)

    def value(self) -> Any:
        """What a JSON client or a form field might send for a number or a switch."""
        kind = self.pick(range(8))
        if kind == 0:
            return int.from_bytes(self.take(8), "little", signed=True)
        if kind == 1:
            return struct.unpack("<d", self.take(8).ljust(8, b"\0"))[0]  # NaN and infinities included
        if kind == 2:
            return self.text()
        if kind == 3:
            return bool(self.pick((0, 1)))
        if kind == 4:
            return None
        if kind == 5:
            return [self.value()]
        if kind == 6:
            return {"path": self.text()}
        return self.pick((0, 1, 0.5, 64, 180, 720, 4096, -1))

    def rest(self) -> bytes:
        return self.take(len(self.data))


def frame(*parts: bytes | int) -> bytes:
    """A seed in `Input`'s framing: an int is one picking byte, bytes are a length-prefixed blob."""
    return b"".join(bytes([p]) if isinstance(p, int) else len(p).to_bytes(4, "little") + p for p in parts)


# ---------------------------------------------------------------- the doors


def flo(data: bytes) -> None:
    """A `.flo` optical-flow file (Sintel's ground truth, `vst.core.flow.read_flo`)."""
    read_flo(file_of(data, ".flo"))


def image(data: bytes) -> None:
    """A content or style image: loaded as the CLI, the API and the app load it, then saved."""
    source = Input(data)
    path = file_of(source.rest(), source.suffix())
    with output("out.png") as out:
        save_image(load_image(path, 64, upscale=False), out)


def video(data: bytes) -> None:
    """A clip: probed and opened as `Clip.open` does, its first frames decoded and written as `vst stylize` writes."""
    source = Input(data)
    path = file_of(source.rest(), source.suffix())
    with output("out.mp4") as out:
        clip = Clip.open(path, 48, max_frames=3)
        with VideoWriter(out, clip.info.fps, clip.width, clip.height, audio_from=path) as writer:
            for frame in clip.frames():
                writer.write(frame)


def checkpoint(data: bytes) -> None:
    """A checkpoint folder (config.json, model.safetensors) through the zoo's verified loading."""
    source = Input(data)
    folder = WORK / "checkpoint"
    if not folder.is_dir():  # the lite network's real encoder, not fuzzed: a valid decoder can pass all checks
        folder.mkdir()
        shutil.copy(LITE_ENCODER, folder / "encoder.safetensors")
    (folder / "config.json").write_bytes(source.blob())
    (folder / "model.safetensors").write_bytes(source.rest())
    hub.verify(folder)


def hub_ref(data: bytes) -> None:
    """A Hub reference and revision as a user types it (CLI `--variant`, the app's variant box)."""
    text = data.decode("utf-8", "replace")
    ref = HubRef.parse(text)
    if not ref.repo_id or "/" not in ref.repo_id:
        raise ContractBroken(f"{text!r} parsed to {ref}, which names no repo")


def app_request(data: bytes) -> None:
    """What a visitor's browser or an API client sends: a comparison's inputs, and live camera settings."""
    from vst import app  # here: the other targets need no Gradio (fuzz.worker imports it instrumented for this one)

    source = Input(data)
    kind = source.pick((0, 1, 2))
    if kind == 1:  # the live camera's settings, as a JSON client sends them
        names = [f.name for f in dataclasses.fields(app.CameraFilter)]
        fields = {source.pick([*names, "colour"]): source.value() for _ in range(source.pick(range(4)))}
        app.CameraFilter().update(fields)
        return
    if kind == 2:  # settings that are not an object at all
        app.CameraFilter().update(source.value())
        return
    video_file = file_of(source.blob(), source.suffix(), "clip")
    style_file = file_of(source.blob(), source.suffix(), "style")
    upload = source.pick([str(video_file), {"path": str(video_file)}, None, "", {}])
    variants = ("baseline", "lite", "hf://org/name@main", "../../etc", "")
    app.check_request(
        upload,
        {"path": str(style_file)},
        source.pick(variants),
        source.pick(variants),
        *(source.value() for _ in range(6)),
    )


TARGETS: dict[str, Callable[[bytes], None]] = {
    f.__name__: door(f) for f in (flo, image, video, checkpoint, hub_ref, app_request)
}
