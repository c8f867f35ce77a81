"""Streaming video I/O through real codecs (PyAV's bundled ffmpeg): probe, decode, encode, audio, atomic output.

Videos are stylized through `Pipeline.stylize_video`, the one loop the CLI, the app and the Python API share.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from vst.core.pipeline import Pipeline, Progress
from vst.core.video import VideoError, VideoWriter, frame_count, iter_frames, probe


class Invert:
    """A real (if simple) VideoStylizer that also records how many frames it has pulled from the decoder."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.pulled = 0
        self.fail_after = fail_after

    def encode_style(self, styles, weights=None) -> None:
        return None

    def stream(self, frames: Iterable[np.ndarray], style, alpha=1.0, preserve_color=False) -> Iterator[np.ndarray]:
        for frame in frames:
            self.pulled += 1
            if self.fail_after is not None and self.pulled > self.fail_after:
                raise RuntimeError("stylizer failed")
            yield 255 - frame


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def stylize_video(src: Path, dst: Path, stylizer: Invert | None = None, **options) -> list[Progress]:
    """Stylize through the pipeline and return the progress reports it made, one per frame written."""
    steps: list[Progress] = []
    Pipeline(stylizer or Invert()).stylize_video(src, dst, style=None, progress=steps.append, **options)
    return steps


def test_probe(tiny_video):
    info = probe(tiny_video)
    assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (64, 48, 24, 12, True)
    assert info.duration == pytest.approx(0.5, abs=0.05)


def test_iter_frames_size_every_and_max_frames(tiny_video):
    frames = list(iter_frames(tiny_video))
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3) and frames[0].dtype == np.uint8
    assert frame_count(tiny_video) == 12
    assert len(list(iter_frames(tiny_video, every=5))) == 3
    assert len(list(iter_frames(tiny_video, max_frames=4))) == 4
    small = next(iter_frames(tiny_video, size=25))  # short side 25, kept even
    assert small.shape == (24, 32, 3)


def test_stylize_video_keeps_rate_size_and_audio(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    steps = stylize_video(tiny_video, dst)
    assert [s.done for s in steps] == list(range(1, 13))
    assert all(s.total == 12 and s.fps > 0 and s.frame.shape == (48, 64, 3) for s in steps)
    info = probe(dst)
    assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (64, 48, 24, 12, True)
    # The pixels went through the stylizer (lossy codecs on both sides: a few levels of difference).
    source, result = next(iter_frames(tiny_video)), next(iter_frames(dst))
    assert np.abs((255 - source).astype(int) - result).mean() < 4
    assert _leftovers(tmp_path) == []


def test_output_is_browser_playable_h264(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    stylize_video(tiny_video, dst)
    with av.open(str(dst)) as container:
        stream = container.streams.video[0]
        assert container.format.name.startswith("mov,mp4")
        assert stream.codec_context.name == "h264" and stream.codec_context.pix_fmt == "yuv420p"
        assert stream.codec_context.colorspace == 1  # tagged BT.709
    head = dst.read_bytes()
    assert head.index(b"moov") < head.index(b"mdat")  # faststart: playable while it downloads


def test_audio_is_copied_not_reencoded(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    stylize_video(tiny_video, dst)

    def audio_payloads(path: Path) -> list[bytes]:
        with av.open(str(path)) as container:
            return [bytes(p) for p in container.demux(container.streams.audio[0]) if p.size]

    assert audio_payloads(dst) == audio_payloads(tiny_video)


def test_audio_mp4_cannot_carry_is_reencoded_to_aac(make_video, tmp_path):
    src = make_video(tmp_path / "pcm.mov", audio="pcm_s16le")
    dst = tmp_path / "out.mp4"
    stylize_video(src, dst)
    with av.open(str(dst)) as container:
        (audio,) = container.streams.audio
        assert audio.codec_context.name == "aac"
        assert float(audio.duration * audio.time_base) == pytest.approx(0.5, abs=0.1)


def test_exact_ntsc_frame_rate_and_odd_size(make_video, tmp_path):
    src = make_video(tmp_path / "ntsc.mp4", frames=8, width=65, height=49, fps=Fraction(30000, 1001), audio=None,
                     pix_fmt="yuv444p")  # fmt: skip
    dst = tmp_path / "out.mp4"
    stylize_video(src, dst)
    info = probe(dst)
    assert info.fps == Fraction(30000, 1001)
    assert (info.width, info.height, info.frames, info.has_audio) == (64, 48, 8, False)


def test_size_and_max_frames_cut_video_and_audio(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    steps = stylize_video(tiny_video, dst, size=24, max_frames=6)
    assert [(s.done, s.total) for s in steps] == [(i, 6) for i in range(1, 7)]
    info = probe(dst)
    assert (info.width, info.height, info.frames) == (32, 24, 6)
    with av.open(str(dst)) as container:
        audio = container.streams.audio[0]
        assert float(audio.duration * audio.time_base) < 0.25 + 0.07  # 6/24 s, to one AAC packet


def test_output_appears_only_when_finished(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    seen = []

    def interrupt_after_three(step: Progress) -> None:
        seen.append((dst.exists(), _leftovers(tmp_path)))
        if step.done == 3:
            raise KeyboardInterrupt  # Ctrl-C half way

    with pytest.raises(KeyboardInterrupt):
        Pipeline(Invert()).stylize_video(tiny_video, dst, style=None, progress=interrupt_after_three)
    assert len(seen) == 3 and all(not exists and len(hidden) == 1 for exists, hidden in seen)  # the temporary file
    assert list(tmp_path.iterdir()) == []


def test_failure_midway_leaves_no_file(tiny_video, tmp_path):
    dst = tmp_path / "out.mp4"
    with pytest.raises(RuntimeError, match="stylizer failed"):
        stylize_video(tiny_video, dst, Invert(fail_after=3))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_memory_does_not_grow_with_length(make_video, tmp_path):
    """Frames stream: the decoder never runs ahead of the encoder, and Python-side memory stays flat."""
    n, w, h = 240, 160, 120
    src = make_video(tmp_path / "long.mp4", frames=n, width=w, height=h, audio="aac")
    stylizer = Invert()
    max_in_flight = 0
    tracemalloc.start()
    try:
        done = 0

        def check(step: Progress) -> None:
            nonlocal max_in_flight, done
            max_in_flight, done = max(max_in_flight, stylizer.pulled - step.done), step.done

        Pipeline(stylizer).stylize_video(src, tmp_path / "out.mp4", style=None, progress=check)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert done == n
    assert max_in_flight == 0
    assert peak < 10 * w * h * 3  # under 10 frames' worth, where the whole video is 240 frames


def test_writer_rejects_odd_size_and_wrong_frames(tmp_path):
    with pytest.raises(ValueError, match="even"):
        VideoWriter(tmp_path / "x.mp4", 24, 63, 48)
    with pytest.raises(VideoError, match="64x48"), VideoWriter(tmp_path / "x.mp4", 24, 64, 48) as writer:
        writer.write(np.zeros((48, 63, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"", "is empty"),
        (b"this is a text file, not a video\n" * 20, "not a video"),
        (bytes(range(256)) * 64, "not a video"),
    ],
)
def test_bad_files_raise_video_error(tmp_path, content, message):
    path = tmp_path / "bad.mp4"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(VideoError, match=message):
        probe(path)
    with pytest.raises(VideoError, match=message):
        stylize_video(path, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_zero_frame_video(make_video, tmp_path, suffix):
    src = make_video(tmp_path / f"empty{suffix}", frames=0, audio=None)
    with pytest.raises(VideoError, match=r"no video (stream|frames)|no frames to stylize|not a video"):
        stylize_video(src, tmp_path / "out.mp4")
    assert _leftovers(tmp_path) == [] and not (tmp_path / "out.mp4").exists()


def test_audio_only_file_has_no_video_stream(tmp_path):
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=16000, layout="mono")
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.float32), format="fltp", layout="mono")
        frame.sample_rate, frame.pts = 16000, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(VideoError, match="no video stream"):
        probe(path)


def test_truncated_video_is_stylized_as_far_as_it_goes_or_refused(make_video, tmp_path):
    src = make_video(tmp_path / "full.mp4", frames=24)
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src.read_bytes()[: src.stat().st_size * 2 // 3])
    try:
        steps = stylize_video(cut, tmp_path / "out.mp4")
    except VideoError:
        assert not (tmp_path / "out.mp4").exists()
    else:
        assert 0 < len(steps) <= 24 and probe(tmp_path / "out.mp4").frames == len(steps)
