"""The web demo end to end: a real `python app.py` server (`app_server` in conftest), driven by gradio_client."""

from __future__ import annotations

import os
import re
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from vst import examples
from vst.core.images import fit_size

ROOT = Path(__file__).resolve().parents[1]
MEDIA = examples.FOLDER
VARIANTS = ("baseline", "noise-resilient")

pytestmark = pytest.mark.slow


def count_frames(path: str) -> tuple[int, bool]:
    """(decoded video frames, has an audio stream)."""
    with av.open(path) as container:
        return sum(1 for _ in container.decode(video=0)), bool(container.streams.audio)


def video_path(value: object) -> str:
    """gradio_client returns a Video output as a path, or as {"video": path, "subtitles": ...}."""
    return value["video"] if isinstance(value, dict) else str(value)


def fps_of(readout: str) -> float:
    match = re.search(r"([0-9.]+) fps", readout)
    assert match, f"no fps in the readout {readout!r}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def client(app_server: str, tmp_path_factory: pytest.TempPathFactory):
    from gradio_client import Client

    return Client(
        app_server, verbose=False, analytics_enabled=False, download_files=str(tmp_path_factory.mktemp("downloads"))
    )


def video_size(path: str) -> tuple[int, int]:
    with av.open(path) as container:
        stream = container.streams.video[0]
        return stream.width, stream.height


def plotted(plot: dict) -> dict[str, list[tuple[int, float]]]:
    """The LinePlot's points, (frame, temporal error) per variant; gradio sends its DataFrame as columns and rows."""
    rows = [dict(zip(plot["columns"], row)) for row in plot["data"]]
    assert plot["columns"] == ["frame", "temporal error", "variant"], plot["columns"]
    points: dict[str, list[tuple[int, float]]] = {}
    for row in rows:
        points.setdefault(row["variant"], []).append((row["frame"], row["temporal error"]))
    return points


def test_compare_returns_one_side_by_side_video_a_plot_and_the_downloads(client, make_video, tmp_path: Path) -> None:
    from gradio_client import handle_file

    clip = make_video(tmp_path / "clip.mp4", frames=16, width=192, height=108, fps=12)
    frames, _ = count_frames(str(clip))
    # the four inputs alone: everything else has a default
    result = client.predict(handle_file(clip), handle_file(MEDIA / "starry_night.jpg"), *VARIANTS, api_name="/compare")
    side_by_side, downloads, fps_a, fps_b, metrics, plot = result[:6]
    # input | A | B in one video, with the input's frames and audio, each panel at the processing size
    panel = fit_size(192, 108, 180, even=True, upscale=False)  # the default size is never an upscale
    assert count_frames(video_path(side_by_side)) == (frames, True)
    assert video_size(video_path(side_by_side)) == (3 * panel[0], panel[1])
    # each variant's own video, A then B, to download
    assert len(downloads) == 2
    for path, variant in zip(downloads, VARIANTS):
        assert Path(path).name.endswith(f"_{variant}.mp4")
        assert count_frames(path) == (frames, True) and video_size(path) == panel
    for readout, variant in ((fps_a, VARIANTS[0]), (fps_b, VARIANTS[1])):
        assert readout.startswith(f"**{variant}**: {frames}/{frames} frames") and fps_of(readout) > 0
    rows = metrics["data"]
    assert [row[0] for row in rows] == list(VARIANTS)
    for row in rows:
        temporal_error, ssim, warping_error = row[1:4]
        assert temporal_error >= 0 and warping_error >= 0 and -1 <= ssim <= 1
    # the plot: one temporal error per pair of frames for each variant, whose mean is the table's
    points = plotted(plot)
    assert list(points) == list(VARIANTS)
    for row in rows:
        assert [frame for frame, _ in points[row[0]]] == list(range(1, frames))
        assert np.mean([error for _, error in points[row[0]]]) == pytest.approx(row[1], abs=1e-5)


def test_a_stabilized_lane_is_labelled_and_steadier(client, make_video, tmp_path: Path) -> None:
    from gradio_client import handle_file

    clip = make_video(tmp_path / "clip.mp4", frames=8, width=96, height=64, fps=12)
    variant = VARIANTS[1]
    inputs = (handle_file(clip), handle_file(MEDIA / "wave.jpg"), variant, variant, 1.0, False, 64, None, 0.0)
    result = client.predict(*inputs, 0.0, 1.0, api_name="/compare")
    side_by_side, downloads, _, fps_b, metrics, plot = result[:6]
    label = f"{variant} + stabilize 1"
    assert count_frames(video_path(side_by_side))[0] == 8
    assert fps_b.startswith(f"**{label}**: 8/8 frames")
    assert Path(downloads[1]).name.endswith(f"_B_{variant}-stabilize-1.mp4")
    (plain, *_), (steady, *_) = metrics["data"]
    assert (plain, steady) == (variant, label)
    assert list(plotted(plot)) == [variant, label]
    # the same variant, blended along the input's flow: its output follows the motion more closely
    warping = {row[0]: row[3] for row in metrics["data"]}
    assert warping[label] < warping[variant]
    assert "stabilize must be within [0, 1], got 1.5" in _error_of(client, *inputs, 0.0, 1.5)


def test_a_run_stopped_at_the_time_limit_leaves_no_files(
    monkeypatch: pytest.MonkeyPatch, random_checkpoint: Path, tiny_video: Path, tmp_path: Path
) -> None:
    import gradio as gr

    from vst import app, zoo

    pipeline = zoo.load(str(random_checkpoint))
    monkeypatch.setattr(app, "get_pipeline", lambda ref: pipeline)
    monkeypatch.setattr(app.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(app, "MAX_RUN_SECONDS", 0)
    style = str(MEDIA / "wave.jpg")
    with pytest.raises(gr.Error, match="stopped after"):
        list(app.compare(str(tiny_video), style, *VARIANTS, size=64))
    assert not list(tmp_path.iterdir())
    # a visitor who leaves mid-run closes the generator: nothing is left either
    monkeypatch.setattr(app, "MAX_RUN_SECONDS", 600)
    monkeypatch.setattr(app, "UPDATE_EVERY", 0)
    run = app.compare(str(tiny_video), style, *VARIANTS, size=64)
    next(run), next(run)  # the first readouts, then the first live frames
    assert list(tmp_path.glob("vst-app-*/*"))  # the videos are being written
    run.close()
    assert not list(tmp_path.iterdir())


def _error_of(client, *inputs, api_name: str = "/compare") -> str:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError) as info:
        client.predict(*inputs, api_name=api_name)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    assert "/tmp/" not in message  # server paths are cut down to file names
    return message


def test_bad_uploads_get_readable_errors_and_the_server_keeps_serving(
    client, make_video, tmp_path: Path, app_tmp: Path
) -> None:
    from gradio_client import handle_file

    style = handle_file(MEDIA / "wave.jpg")
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(4096))
    not_an_image = tmp_path / "style.jpg"
    not_an_image.write_text("this is not a picture")
    clip = make_video(tmp_path / "clip.mp4", frames=6)
    no_frames = tmp_path / "no_frames.mp4"  # a video stream without a single frame, next to real audio
    with av.open(str(no_frames), "w") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 48, "yuv420p"
        audio = out.add_stream("aac", rate=16000, layout="mono")
        silence = av.AudioFrame.from_ndarray(np.zeros((1, 4096), np.float32), format="fltp", layout="mono")
        silence.sample_rate, silence.pts = 16000, 0
        out.mux(audio.encode(silence))
        out.mux(audio.encode(None))

    _error_of(client, handle_file(corrupt), style, *VARIANTS)
    _error_of(client, handle_file(no_frames), style, *VARIANTS)
    _error_of(client, handle_file(MEDIA / "wave.jpg"), style, *VARIANTS)  # an image is not a video
    _error_of(client, handle_file(clip), handle_file(not_an_image), *VARIANTS)
    assert "unknown variant" in _error_of(client, handle_file(clip), style, "no such variant", VARIANTS[1])

    # the next request succeeds, with every control set: a style in an odd image mode (16-bit grayscale)
    # interpolated with a second one, alpha, preserved colours and a processing size
    odd = tmp_path / "gray16.png"
    gray = np.asarray(Image.open(MEDIA / "wave.jpg").convert("L"), dtype=np.uint16) * 257
    Image.fromarray(gray).save(odd)
    clip = make_video(tmp_path / "clip160.mp4", frames=6, width=160, height=96)
    result = client.predict(
        handle_file(clip),
        handle_file(odd),
        *VARIANTS,
        0.8,
        True,
        64,
        handle_file(MEDIA / "starry_night.jpg"),
        0.5,
        api_name="/compare",
    )
    width, height = fit_size(160, 96, 64, even=True)
    assert count_frames(video_path(result[0]))[0] == 6 and video_size(video_path(result[0])) == (3 * width, height)
    for path in result[1]:
        assert count_frames(path)[0] == 6 and video_size(path) == (width, height)
    # each run's working files are gone once it has ended, failed runs included
    assert not list(app_tmp.glob("vst-app-*"))


def test_a_clip_that_states_no_duration_is_cut_at_the_limit(client, tmp_path: Path, app_tmp: Path) -> None:
    from gradio_client import handle_file

    from vst import app

    raw = tmp_path / "raw.mp4"  # a raw H.264 stream under an .mp4 name: no duration, 25 fps guessed
    with av.open(str(raw), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(25 * int(app.MAX_SECONDS) + 30):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i % 256, np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    cache = app_tmp / "gradio"
    before = set(cache.rglob("*"))
    result = client.predict(handle_file(raw), handle_file(MEDIA / "wave.jpg"), *VARIANTS, api_name="/compare")
    assert count_frames(video_path(result[0]))[0] == 25 * app.MAX_SECONDS
    # a run of 500 frames leaves its upload and three videos (and the style, if new), and no file per live preview
    added = sorted(p.name for p in set(cache.rglob("*")) - before if p.is_file() and p.name != "wave.jpg")
    assert len(added) <= 4 and all(name.endswith((".mp4", ".jpg")) for name in added), added


def test_a_photo_with_both_variants(client, tmp_path: Path) -> None:
    from gradio_client import handle_file

    photo = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(1).integers(0, 256, (90, 120, 3), np.uint8)).save(photo)
    style = handle_file(MEDIA / "wave.jpg")
    image_a, image_b, time_a, time_b = client.predict(
        handle_file(photo), style, *VARIANTS, 1.0, False, 64, api_name="/photo"
    )
    for image, readout, variant in ((image_a, time_a, VARIANTS[0]), (image_b, time_b, VARIANTS[1])):
        assert Image.open(image).size == fit_size(120, 90, 64)
        assert readout.startswith(f"**{variant}**: ") and " s**" in readout
    # a larger size than the photo's is no upscale; a file that is no image is one line
    image_a = client.predict(handle_file(photo), style, *VARIANTS, 1.0, False, 512, api_name="/photo")[0]
    assert Image.open(image_a).size == (120, 90)
    not_an_image = tmp_path / "photo.jpg"
    not_an_image.write_text("no picture")
    assert "photo.jpg" in _error_of(client, handle_file(not_an_image), style, *VARIANTS, api_name="/photo")


def test_variant_errors_show_what_was_typed() -> None:
    from vst import app, zoo
    from vst.core import VstError

    with pytest.raises(VstError) as info:
        zoo.visitor_ref("/srv/models/baseline")
    assert "'/srv/models/baseline'" in app.readable(info.value)
    with pytest.raises(VstError) as info:
        zoo.visitor_ref("a/b@/etc/passwd")
    assert "/etc/passwd" in app.readable(info.value) and "branch, tag or commit" in str(info.value)
    upload = Path(app.tempfile.gettempdir()) / "gradio" / "abc123" / "clip.mp4"
    assert app.readable(VstError(f"{upload} is not a video")) == "clip.mp4 is not a video"
