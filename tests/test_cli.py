"""`vst stylize`, `vst compare` and `vst import-adain` end to end: real files, real codecs, random weights.

Every bad input must end in one `vst: error: ...` line on stderr and exit code 2,
never a traceback, and never leave a file under the output name.
"""

from __future__ import annotations

import pickle
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

import vst.cli as cli
from vst import examples
from vst.core import VstError, images
from vst.core.images import load_image
from vst.core.video import probe

VARIANTS = Path(cli.__file__).parents[1] / "zoo" / "weights"


def stylize(*args: str | Path, checkpoint: Path | None = None) -> int:
    """`vst stylize ARGS` in-process; the small test styles keep their size unless the test says otherwise."""
    argv = ["stylize", *map(str, args), "--device", "cpu"]
    argv += [] if "--style-size" in argv else ["--style-size", "0"]
    return cli.main(argv + (["--checkpoint", str(checkpoint)] if checkpoint else []))


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith("vst: error: "), err
    return lines[0]


def _gradient(h: int, w: int) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 4 % 256], -1).astype(np.uint8)


def _huge_png(path: Path, width: int, height: int) -> Path:
    """A PNG whose header claims width x height (the pixel data is not there): refused before decoding."""
    Image.new("L", (1, 1)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    path.write_bytes(bytes(data))
    return path


# ---------------------------------------------------------------- what works


@pytest.mark.slow
def test_stylize_video_end_to_end(tiny_video, style_image, random_checkpoint, tmp_path, capsys):
    out = tmp_path / "out.mp4"
    assert stylize(tiny_video, "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    captured = capsys.readouterr()
    assert "fps=" in captured.err  # the progress bar shows the rate
    assert f"wrote {out}" in captured.out
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (64, 48, 24, 12, True)


@pytest.mark.slow
def test_stylize_video_options(tiny_video, style_image, random_checkpoint, tmp_path):
    out = tmp_path / "out.mp4"
    args = [tiny_video, "--style", style_image, "--style", style_image, "--style-weights", "1,3", "--alpha", "0.5"]
    args += ["--preserve-color", "--size", "32", "--style-size", "0", "--max-frames", "5", "--precision", "fp32"]
    args += ["--stabilize", "0.5"]
    assert stylize(*args, "-o", out, checkpoint=random_checkpoint) == 0
    info = probe(out)
    assert (info.width, info.height, info.frames) == (42, 32, 5)


def test_stylize_image_keeps_size(style_image, random_checkpoint, tmp_path):
    Image.fromarray(_gradient(37, 53)).save(tmp_path / "in.png")
    for suffix in (".png", ".jpg"):
        out = tmp_path / f"out{suffix}"
        assert stylize(tmp_path / "in.png", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
        with Image.open(out) as result:
            assert result.size == (53, 37) and result.mode == "RGB"
            assert result.format == ("PNG" if suffix == ".png" else "JPEG")


@pytest.mark.skipif(not (VARIANTS / "noise-resilient" / "model.safetensors").is_file(), reason="no embedded weights")
def test_default_variant_is_noise_resilient(style_image, tmp_path, capsys):
    Image.fromarray(_gradient(24, 32)).save(tmp_path / "in.png")
    assert stylize(tmp_path / "in.png", "--style", style_image, "-o", tmp_path / "out.png") == 0


def _write_mode(path: Path, mode: str) -> Path:
    rgb = Image.fromarray(_gradient(24, 32))
    if mode == "I;16":
        Image.fromarray(np.asarray(rgb.convert("L"), np.uint16) * 257).save(path)
    elif mode == "RGB;16":  # 16-bit RGB PNG, which Pillow reads reduced to 8 bits
        cv2.imwrite(str(path), np.asarray(rgb, np.uint16)[..., ::-1] * 257)
    elif mode == "P+transparency":
        rgb.convert("P").save(path, transparency=0)
    else:
        rgb.convert(mode).save(path)
    return path


MODES = ["RGBA", "LA", "L", "1", "I;16", "RGB;16", "P", "P+transparency", "CMYK"]


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_unusual_image_modes_work_as_content_and_style(mode, random_checkpoint, tmp_path):
    suffix = ".jpg" if mode == "CMYK" else ".png"
    image = _write_mode(tmp_path / f"image{suffix}", mode)
    out = tmp_path / "out.png"
    assert stylize(image, "--style", image, "--style-size", "0", "-o", out, checkpoint=random_checkpoint) == 0
    with Image.open(out) as result:
        assert result.size == (32, 24) and result.mode == "RGB"


def test_load_image_reads_modes_faithfully(tmp_path):
    expected = torch.from_numpy(_gradient(24, 32)).permute(2, 0, 1)[None].float() / 255
    sixteen = load_image(_write_mode(tmp_path / "g16.png", "I;16"))
    eight = load_image(_write_mode(tmp_path / "g8.png", "L"))
    assert sixteen.shape == (1, 3, 24, 32) and sixteen.mean() < 0.9  # not clipped to white by an 8-bit conversion
    torch.testing.assert_close(sixteen, eight, atol=1e-6, rtol=0)
    transparent = tmp_path / "clear.png"
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(transparent)
    assert load_image(transparent).min() == 1.0  # transparency shows as white, as in a viewer
    torch.testing.assert_close(load_image(_write_mode(tmp_path / "rgb16.png", "RGB;16")), expected, atol=1e-6, rtol=0)


def test_huge_image_is_downscaled_with_a_notice(style_image, random_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(images, "MAX_PIXELS", 40 * 30)
    Image.fromarray(_gradient(60, 80)).save(tmp_path / "big.png")
    out = tmp_path / "out.png"
    assert stylize(tmp_path / "big.png", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert "downscaled to 40x30" in capsys.readouterr().err
    with Image.open(out) as result:
        assert result.size == (40, 30)


def test_huge_video_is_downscaled_with_a_notice(tiny_video, style_image, random_checkpoint, tmp_path, capsys,
                                                monkeypatch):  # fmt: skip
    monkeypatch.setattr(images, "MAX_PIXELS", 32 * 24)
    out = tmp_path / "out.mp4"
    args = [tiny_video, "--style", style_image, "--max-frames", "2", "-o", out]
    assert stylize(*args, checkpoint=random_checkpoint) == 0
    assert "downscaled to 32x24" in capsys.readouterr().err
    assert (probe(out).width, probe(out).height) == (32, 24)


# ---------------------------------------------------------------- what fails, with one line


def _bad_inputs(tmp: Path, make_video) -> dict[str, tuple[Path, str]]:
    text = tmp / "notes.mp4"
    text.write_text("this is a text file\n" * 50)
    empty_video, empty_image = tmp / "empty.mp4", tmp / "empty.png"
    empty_video.touch()
    empty_image.touch()
    corrupt_video, corrupt_image = tmp / "corrupt.mp4", tmp / "corrupt.png"
    corrupt_video.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    corrupt_image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    truncated = tmp / "truncated.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:6000])
    no_media = tmp / "no-media"
    no_media.mkdir()
    (no_media / "notes.txt").write_text("not an image\n")
    return {
        "missing video": (tmp / "nope.mp4", "not found"),
        "missing image": (tmp / "nope.png", "not found"),
        "empty video": (empty_video, "is empty"),
        "empty image": (empty_image, "is empty"),
        "corrupt video": (corrupt_video, "not a video"),
        "corrupt image": (corrupt_image, "not an image"),
        "truncated image": (truncated, "damaged or truncated"),
        "text named .mp4": (text, "not a video"),
        "zero-frame video": (make_video(tmp / "zero.mp4", frames=0, audio=None), "no video"),
        "directory": (tmp, "not a file"),
        "folder without media": (no_media, "no images or videos in"),
        "missing folder": (tmp / "no-such-folder", "not found"),
        "over the pixel limit": (_huge_png(tmp / "huge.png", 9000, 9000), "refusing"),
        "a decompression bomb": (_huge_png(tmp / "bomb.png", 30000, 30000), "refusing"),
    }


BAD_INPUTS = [
    "missing video",
    "missing image",
    "empty video",
    "empty image",
    "corrupt video",
    "corrupt image",
    "truncated image",
    "text named .mp4",
    "zero-frame video",
    "folder without media",
    "missing folder",
    "over the pixel limit",
    "a decompression bomb",
]


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_content_gives_one_line(case, make_video, style_image, random_checkpoint, tmp_path, capsys):
    path, message = _bad_inputs(tmp_path, make_video)[case]
    out = tmp_path / ("out.png" if path.suffix == ".png" else "out.mp4")
    assert stylize(path, "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 2
    assert message in one_error_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize("case", ["missing image", "empty image", "corrupt image", "text named .mp4", "directory"])
def test_bad_style_gives_one_line(case, make_video, tiny_video, random_checkpoint, tmp_path, capsys):
    path, _ = _bad_inputs(tmp_path, make_video)[case]
    out = tmp_path / "out.mp4"
    assert stylize(tiny_video, "--style", path, "-o", out, checkpoint=random_checkpoint) == 2
    assert str(path) in one_error_line(capsys)
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "{tmp}/out.avi"], "must be an .mp4"),
        (["-o", "{tmp}/out.png"], "must be an .mp4"),
        (["-o", "{tmp}/out.mp4", "--style-weights", "1,2"], "2 style weights for 1 style: give one per style"),
        (["-o", "{tmp}/out.mp4", "--style", "{style}", "--style-weights", "nan,1"], "must be non-negative"),
        (["-o", "{tmp}/out.mp4", "--style", "{style}", "--style-weights=-1,2"], "must be non-negative"),
        (["-o", "{tmp}/out.mp4", "--precision", "fp16", "--device", "cpu"], "fp16"),
        (["-o", "{tmp}/out.mp4", "--variant", "no-such-variant"], "no-such-variant"),
    ],
)
def test_bad_options_give_one_line(extra, message, tiny_video, style_image, tmp_path, capsys):
    argv = ["stylize", str(tiny_video), "--style", str(style_image)]
    argv += [a.format(tmp=tmp_path, style=style_image) for a in extra]
    assert cli.main(argv) == 2
    assert message in one_error_line(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "style", "out", "style_size", "message"),
    [
        ("{video}", "{tiny}", "{tmp}/out.mp4", "0", "a 1x1 style image is too small"),
        ("{video}", "{style}", "{tmp}/out.mp4", "1", "style image is too small"),
        ("{video}", "{style}", "{tmp}/a-file/out.mp4", "0", "a-file is a file, not a folder"),
        ("{style}", "{style}", "{tmp}/a-file/out.png", "0", "a-file is a file, not a folder"),
        ("{svg}", "{style}", "{tmp}/out.mp4", "0", "is neither an image nor a video"),
    ],
)
def test_bad_files_give_one_line(content, style, out, style_size, message, tiny_video, style_image, tmp_path, capsys):
    (tmp_path / "a-file").write_text("")
    Image.new("RGB", (1, 1), "red").save(tmp_path / "tiny.png")
    (tmp_path / "x.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"></svg>')
    paths = {"video": tiny_video, "style": style_image, "tiny": tmp_path / "tiny.png", "svg": tmp_path / "x.svg"}
    argv = [a.format(tmp=tmp_path, **paths) for a in ("stylize", content, "--style", style, "-o", out)]
    assert cli.main([*argv, "--style-size", style_size]) == 2
    assert message in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "tiny.png", "x.svg"]


def _wrong_kind(tmp: Path, tiny_video: Path, style_image: Path) -> dict[str, tuple[Path, Path, str]]:
    """(content, style, expected words) for files of the wrong kind."""
    (tmp / "README.md").write_text("# not a picture\n")
    (tmp / "song.mp3").write_bytes(bytes(range(256)) * 64)
    (tmp / "styles").mkdir()
    neither = "is neither an image nor a video that vst reads"
    return {
        "text as content": (tmp / "README.md", style_image, neither),
        "audio as content": (tmp / "song.mp3", style_image, neither),
        "video as style": (tiny_video, tiny_video, "is a video, and an image is needed here"),
        "folder as style": (tiny_video, tmp / "styles", "not a file"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("case", ["text as content", "audio as content", "video as style", "folder as style"])
def test_a_file_of_the_wrong_kind_gets_the_same_line_from_the_cli_and_the_api(
    case, tiny_video, style_image, random_checkpoint, tmp_path, capsys
):
    """`vst stylize README.md ...` says what README.md is, not that the output must be an .mp4 (the old message);
    the Python API raises the same sentence."""
    from vst import zoo

    content, style, words = _wrong_kind(tmp_path, tiny_video, style_image)[case]
    out = tmp_path / ("out.mp4" if content.suffix == ".mp4" else "out.png")
    assert stylize(content, "--style", style, "-o", out, checkpoint=random_checkpoint) == 2
    line = one_error_line(capsys)
    assert words in line and not out.exists()
    pipeline = zoo.load(str(random_checkpoint))
    with pytest.raises(VstError) as raised:
        handle = pipeline.encode_style(style)
        if content.suffix == ".mp4":
            pipeline.stylize_video(content, out, style=handle)
        else:
            pipeline.stylize_image(content, style=handle)
    assert line == f"vst: error: {raised.value}"


RULES = {  # a bad value of each option, and the one sentence `vst.core.options` says about it
    "alpha": (1.5, "alpha must be within [0, 1], got 1.5"),
    "alpha, not a number": ("strong", "alpha must be a number, got 'strong'"),
    "stabilize": (-0.5, "stabilize must be within [0, 1], got -0.5"),
    "stabilize, NaN": (float("nan"), "stabilize must be within [0, 1], got nan"),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(RULES))
def test_a_bad_option_gets_the_same_sentence_from_the_cli_the_api_and_the_app(
    case, tiny_video, style_image, random_checkpoint, tmp_path, capsys
):
    """One rule, one sentence: `vst stylize --alpha 1.5` (after the option's name), `Pipeline.stylize_video` and the
    app's request check (the camera's settings: tests/test_live.py) all say the same."""
    from vst import zoo

    option = case.split(",")[0]
    value, sentence = RULES[case]
    out = tmp_path / "out.mp4"
    with pytest.raises(SystemExit) as done:
        stylize(tiny_video, "--style", style_image, f"--{option}", str(value), "-o", out, checkpoint=random_checkpoint)
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"vst stylize: error: argument --{option}: {sentence}"
    pipeline = zoo.load(str(random_checkpoint), device="cpu")
    with pytest.raises(VstError) as raised:
        pipeline.stylize_video(tiny_video, out, style=style_image, **{option: value})
    assert str(raised.value) == sentence
    pytest.importorskip("gradio", reason="the app's extras are not installed")
    from vst import app

    alpha, stabilize = (value, 0.0) if option == "alpha" else (1.0, value)
    uploads = (str(tiny_video), str(style_image), "baseline", "noise-resilient")
    with pytest.raises(VstError) as raised:  # after the uploads: alpha, size, style_b, mix, stabilize A and B
        app.check_request(*uploads, alpha, 64, None, 0.0, 0.0, stabilize)
    assert str(raised.value) == sentence
    assert not out.exists()


@pytest.mark.parametrize(
    ("weights", "sentence"),
    [
        ("1,2,3", "3 style weights for 2 styles: give one per style"),
        ("1,-1", "style weights must be non-negative numbers with a positive sum, got 1, -1"),
        ("0,0", "style weights must be non-negative numbers with a positive sum, got 0, 0"),
    ],
)
def test_bad_style_weights_get_the_same_sentence_from_the_cli_and_the_api(
    weights, sentence, tiny_video, style_image, random_checkpoint, tmp_path, capsys
):
    """The app cannot send a bad count: its two styles' weights come from one slider, checked within [0, 1]."""
    from vst import zoo

    out = tmp_path / "out.mp4"
    styles = ["--style", style_image, "--style", style_image]
    assert stylize(tiny_video, *styles, f"--style-weights={weights}", "-o", out, checkpoint=random_checkpoint) == 2
    assert one_error_line(capsys) == f"vst: error: {sentence}"
    pipeline = zoo.load(str(random_checkpoint), device="cpu")
    with pytest.raises(VstError) as raised:
        pipeline.encode_style([style_image] * 2, [float(w) for w in weights.split(",")])
    assert str(raised.value) == sentence
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--steps", "-5"], "--steps must be a positive"),
        (["--batch-size", "0"], "--batch-size must be a positive"),
        (["--size", "0"], "--size must be a positive"),
        (["--lr", "nan"], "--lr must be a positive"),
        (["--noise-amount", "-1"], "--noise-amount must be a non-negative"),
        (["--style-mix", "2"], "--style-mix is a probability"),
        (["--noise-shift", "2", "--noise-space", "feature"], "--noise-space pixel"),
        (["--content", "{tmp}/missing"], "training data not found"),
        (["--style", "{tmp}/empty"], "no images or videos"),
        (["--content", "{tmp}/bad"], "cannot read training image"),
        (["-o", "{tmp}/a-file"], "is a file"),
    ],
)
def test_bad_training_options_give_one_line(extra, message, style_image, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "photo.jpg").write_text("not a photo")
    (tmp_path / "a-file").write_text("")
    argv = ["train", "--content", str(style_image.parent), "--style", str(style_image.parent), "-o", f"{tmp_path}/run"]
    assert cli.main(argv + [a.format(tmp=tmp_path) for a in extra]) == 2
    assert message in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "bad", "empty"]  # no run folder was started


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_gives_one_line(tiny_video, style_image, random_checkpoint, tmp_path, capsys):
    argv = ["stylize", str(tiny_video), "--style", str(style_image), "--checkpoint", str(random_checkpoint)]
    assert cli.main([*argv, "--device", "cuda", "-o", str(tmp_path / "out.mp4")]) == 2
    assert "CUDA" in one_error_line(capsys)


def test_output_never_overwrites_input(style_image, random_checkpoint, tmp_path, capsys):
    Image.fromarray(_gradient(24, 32)).save(tmp_path / "in.png")
    path = tmp_path / "in.png"
    assert stylize(path, "--style", style_image, "-o", path, checkpoint=random_checkpoint) == 2
    assert "overwrite the input" in one_error_line(capsys)


def _vst() -> list[str]:
    script = shutil.which("vst", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "vst.cli"]


@pytest.mark.slow
@pytest.mark.parametrize("case", ["text named .mp4"])
def test_real_process_prints_one_line_and_no_traceback(case, make_video, style_image, random_checkpoint, tmp_path):
    path, message = _bad_inputs(tmp_path, make_video)[case]
    out = tmp_path / ("out.png" if path.suffix == ".png" else "out.mp4")
    args = ["stylize", str(path), "--style", str(style_image), "--checkpoint", str(random_checkpoint), "-o", str(out)]
    proc = subprocess.run(_vst() + args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vst: error: ") and message in lines[0]
    assert not out.exists()


# ---------------------------------------------------------------- vst compare


def compare(*args: str | Path) -> int:
    """`vst compare ARGS` in-process, on the CPU, with the small test styles at their own size."""
    return cli.main(["compare", *map(str, args), "--device", "cpu", "--style-size", "0"])


@pytest.mark.slow
def test_compare_writes_one_side_by_side_video(tiny_video, style_image, random_checkpoint, tmp_path, capsys):
    out = tmp_path / "ab.mp4"
    variants = ["--variants", random_checkpoint, random_checkpoint, "--stabilize", "0", "1"]
    assert compare(tiny_video, "--style", style_image, *variants, "-o", out) == 0
    info = probe(out)
    assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (3 * 64, 48, 24, 12, True)
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"wrote {out} (192x48, 12 frames; {random_checkpoint} ")
    assert f"{random_checkpoint} + stabilize 1 " in line and line.count(" fps") == 2  # each lane's own rate
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ab.mp4"]


@pytest.mark.slow
def test_compare_at_a_size_and_frame_limit(tiny_video, style_image, random_checkpoint, tmp_path):
    out = tmp_path / "sub" / "abc.mp4"
    variants = ["--variants", random_checkpoint, random_checkpoint, random_checkpoint, "--stabilize", "0.5"]
    assert compare(tiny_video, "--style", style_image, *variants, "--size", "24", "--max-frames", "4", "-o", out) == 0
    info = probe(out)
    assert (info.width, info.height, info.frames) == (4 * 32, 24, 4)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["{video}", "-o", "{tmp}/ab.avi"], "must be an .mp4"),
        (["{video}", "-o", "{tmp}/ab.mp4", "--variants", "{ckpt}"], "two or more variants"),
        (
            ["{video}", "-o", "{tmp}/ab.mp4", "--variants", "{ckpt}", "{ckpt}", "--stabilize", "0", "1", "1"],
            "3 stabilize values for 2 variants: give one for all, or one each",
        ),
        (["{video}", "-o", "{tmp}/ab.mp4", "--variants", "{ckpt}", "no-such-variant"], "no-such-variant"),
        (["{text}", "-o", "{tmp}/ab.mp4", "--variants", "{ckpt}", "{ckpt}"], "not a video"),
        (["{tmp}/missing.mp4", "-o", "{tmp}/ab.mp4", "--variants", "{ckpt}", "{ckpt}"], "not found"),
    ],
)
def test_compare_errors_are_one_line(extra, message, tiny_video, style_image, random_checkpoint, tmp_path, capsys):
    text = tmp_path / "notes.mp4"
    text.write_text("this is a text file\n" * 50)
    paths = {"video": tiny_video, "text": text, "ckpt": random_checkpoint, "tmp": tmp_path}
    assert compare(*(a.format(**paths) for a in extra), "--style", style_image) == 2
    assert message in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.mp4"]


# ---------------------------------------------------------------- batches: folders, globs, resuming, torchrun


def _library(folder: Path, make_video) -> dict[str, str]:
    """A folder of tiny media in a small tree (and a file that is not media); its outputs' relative paths."""
    (folder / "sub").mkdir(parents=True)
    Image.fromarray(_gradient(24, 32)).save(folder / "a.png")
    Image.fromarray(_gradient(20, 28)).save(folder / "sub" / "b.jpg")
    Image.fromarray(_gradient(16, 16)).save(folder / "sub" / "c.webp")
    make_video(folder / "sub" / "clip.mov", frames=3)
    (folder / "notes.txt").write_text("not media\n")
    return {"a.png": "a.png", "sub/b.jpg": "sub/b.jpg", "sub/c.webp": "sub/c.webp", "sub/clip.mov": "sub/clip.mp4"}


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
def test_stylize_a_folder_mirrors_it_and_resumes(make_video, style_image, random_checkpoint, tmp_path, capsys):
    outputs = _library(tmp_path / "in", make_video)
    out = tmp_path / "out"
    assert stylize(tmp_path / "in", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert capsys.readouterr().out.startswith("4 files to stylize, 0 done already\n")
    assert _tree(out) == sorted(outputs.values())
    with Image.open(out / "sub" / "c.webp") as image:
        assert image.size == (16, 16) and image.format == "WEBP"
    info = probe(out / "sub" / "clip.mp4")
    assert (info.width, info.height, info.frames, info.has_audio) == (64, 48, 3, True)

    written = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    assert stylize(tmp_path / "in", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert capsys.readouterr().out == "0 files to stylize, 4 done already\n"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == written

    (out / "sub" / "b.jpg").unlink()  # as if interrupted before it
    assert stylize(tmp_path / "in", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1 files to stylize, 3 done already",
        f"wrote {out}/sub/b.jpg (28x20)",
    ]
    assert _tree(out) == sorted(outputs.values())


def test_a_batch_inside_its_own_input_folder_resumes(style_image, random_checkpoint, tmp_path, capsys):
    """The outputs under the input folder are not taken for new inputs on the next run."""
    Image.fromarray(_gradient(24, 32)).save(tmp_path / "a.png")
    args = [tmp_path, "--style", style_image, "-o", tmp_path / "styled"]
    assert stylize(*args, checkpoint=random_checkpoint) == 0
    assert stylize(*args, checkpoint=random_checkpoint) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "0 files to stylize, 1 done already"
    assert _tree(tmp_path) == ["a.png", "styled/a.png"]
    assert stylize(tmp_path, "--style", style_image, "-o", tmp_path, checkpoint=random_checkpoint) == 2
    assert "the output would overwrite the input" in one_error_line(capsys)


@pytest.mark.slow
def test_a_bad_file_in_a_batch_is_one_line_and_the_rest_are_written(make_video, style_image, random_checkpoint,
                                                                    tmp_path, capsys):  # fmt: skip
    outputs = _library(tmp_path / "in", make_video)
    (tmp_path / "in" / "sub" / "broken.mp4").write_text("this is a text file\n" * 50)
    (tmp_path / "in" / "zzz.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    out = tmp_path / "out"
    assert stylize(tmp_path / "in", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.out.startswith("6 files to stylize, 0 done already\n")
    for name in ("broken.mp4", "zzz.png"):  # nothing but its error line (no progress bar) names a bad file
        (line,) = [line for line in captured.err.splitlines() if name in line]
        assert line.startswith("vst: error: ") and ("not a video" in line or "not an image" in line)
    last = captured.err.strip().splitlines()[-1]
    assert last == "vst: error: 2 of 6 files failed; run the same command again to retry them"
    assert _tree(out) == sorted(outputs.values())  # no partial file either


def test_two_inputs_for_one_output_are_refused(make_video, style_image, tmp_path, capsys):
    (tmp_path / "in").mkdir()
    make_video(tmp_path / "in" / "clip.mov", frames=2, audio=None)
    make_video(tmp_path / "in" / "clip.mkv", frames=2, audio=None)
    assert stylize(tmp_path / "in", "--style", style_image, "-o", tmp_path / "out") == 2
    assert "would both be written to" in one_error_line(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_stylize_a_glob(make_video, style_image, random_checkpoint, tmp_path, capsys):
    _library(tmp_path / "in", make_video)
    out = tmp_path / "out"
    assert stylize(f"{tmp_path}/in/*.png", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert stylize(f"{tmp_path}/in/**/*.jpg", "--style", style_image, "-o", out, checkpoint=random_checkpoint) == 0
    assert capsys.readouterr().out.count("1 files to stylize, 0 done already") == 2
    assert _tree(out) == ["a.png", "sub/b.jpg"]  # the folders below the glob's fixed part are kept


@pytest.mark.parametrize("rank", [0, 1])
def test_one_file_under_two_processes(rank, style_image, random_checkpoint, tmp_path, capsys, monkeypatch):
    """Only one process has the file; the other says it has nothing to do (torchrun sets these variables)."""
    monkeypatch.setenv("RANK", str(rank))
    monkeypatch.setenv("WORLD_SIZE", "2")
    Image.fromarray(_gradient(24, 32)).save(tmp_path / "in.png")
    assert stylize(tmp_path / "in.png", "--style", style_image, "-o", tmp_path / "out.png",
                   checkpoint=random_checkpoint) == 0  # fmt: skip
    assert capsys.readouterr().out.splitlines()[0] == f"[rank {rank}/2] {1 - rank} files to stylize, 0 done already"
    assert (tmp_path / "out.png").exists() == (rank == 0)


@pytest.mark.slow
def test_torchrun_splits_a_batch(make_video, style_image, random_checkpoint, tmp_path):
    """A real `torchrun --nproc-per-node 2 -m vst.cli stylize DIR`: every output written once, by one process."""
    outputs = _library(tmp_path / "in", make_video)
    Image.fromarray(_gradient(24, 32)).save(tmp_path / "in" / "d.png")
    outputs["d.png"] = "d.png"
    out = tmp_path / "out"
    torchrun = Path(sys.executable).parent / "torchrun"
    argv = [torchrun, "--standalone", "--nproc-per-node", "2", "-m", "vst.cli", "stylize", tmp_path / "in"]
    argv += ["--style", style_image, "--style-size", "0", "--checkpoint", random_checkpoint, "-o", out]
    done = subprocess.run(list(map(str, argv)), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "[rank 0/2] 3 files to stylize, 0 done already" in lines  # files 0, 2 and 4 of the five
    assert "[rank 1/2] 2 files to stylize, 0 done already" in lines
    wrote = sorted(line.split()[1] for line in lines if line.startswith("wrote "))
    assert wrote == sorted(str(out / name) for name in outputs.values())  # each exactly once
    assert _tree(out) == sorted(outputs.values())


# ---------------------------------------------------------------- import-adain, with bad files


class _Exploit:
    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_import_adain_refuses_pickled_code_without_running_it(tmp_path, capsys):
    marker = tmp_path / "pwned"
    exploit = _Exploit()
    exploit.marker = str(marker)
    evil = tmp_path / "vgg_normalised.pth"
    with evil.open("wb") as f:
        pickle.dump({"0.weight": exploit}, f)
    argv = ["import-adain", "--vgg", str(evil), "--decoder", str(evil), "-o", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    assert "refusing" in one_error_line(capsys)
    assert not marker.exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing", "text", "wrong layout"])
def test_import_adain_bad_files_give_one_line(case, tmp_path, capsys):
    good = tmp_path / "decoder.pth"
    torch.save({"0.weight": torch.zeros(3)}, good)
    path = {"missing": tmp_path / "nope.pth", "text": tmp_path / "notes.pth", "wrong layout": good}[case]
    if case == "text":
        path.write_text("hello\n")
    argv = ["import-adain", "--vgg", str(path), "--decoder", str(good), "-o", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    line = one_error_line(capsys)
    assert {"missing": "not found", "text": "not a readable", "wrong layout": "reference AdaIN layout"}[case] in line
    assert not (tmp_path / "out").exists()


def test_bare_vst_prints_help_and_subcommands_show_defaults(capsys):
    assert cli.main([]) == 0
    assert "stylize" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("vst ")
    for argv in (["stylize", "--help"], ["zoo", "list", "--help"], ["train", "--help"]):
        with pytest.raises(SystemExit):
            cli.main(argv)
        assert "(default: " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("blocked", "command", "message"),
    [
        ("gradio", "app", "the web demo needs gradio, which is not installed: pip install 'vst-video[app]'"),
        ("cv2", "stylize", "optical flow needs cv2, which is not installed: pip install 'vst-video[metrics]'"),
    ],
)
@pytest.mark.slow
def test_a_missing_extra_is_named_in_one_line(blocked: str, command: str, message: str, tmp_path: Path) -> None:
    """The core install has no gradio, OpenCV or scikit-image: what needs them says which extra brings them."""
    image = str(examples.FOLDER / "wave.jpg")
    argv = ["app"] if command == "app" else ["stylize", image, "--style", image, "--variant", "optical-flow"]
    code = f"import sys; sys.modules[{blocked!r}] = None; import vst.cli; sys.exit(vst.cli.main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv, *(["-o", str(tmp_path / "out.png")] if command != "app" else [])],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (2, f"vst: error: {message}\n")
