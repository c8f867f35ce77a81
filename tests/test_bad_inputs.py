"""Hostile and careless inputs: refused in one line, nothing run, nothing left behind."""

from __future__ import annotations

import pickle
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file, save_file

from vst.core import CheckpointError, EncoderError, load_checkpoint, load_encoder


class _Payload:
    """A pickle that would create a file when unpickled."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_torchvision_file_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("VST_CACHE", str(tmp_path / "vst"))
    planted = tmp_path / "torch" / "hub" / "checkpoints" / "vgg19-dcbb9e9d.pth"
    planted.parent.mkdir(parents=True)
    marker = tmp_path / "pwned"
    planted.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(EncoderError, match=r"refusing .*sha256"):
        load_encoder("torchvision")
    assert not marker.exists()


def test_a_checkpoint_with_nan_weights_is_refused(random_checkpoint, tmp_path):
    broken = tmp_path / "nan"
    shutil.copytree(random_checkpoint, broken)
    state = load_file(str(broken / "model.safetensors"))
    name = sorted(state)[0]
    state[name] = torch.full_like(state[name], float("nan"))
    save_file(state, str(broken / "model.safetensors"))
    with pytest.raises(CheckpointError, match="NaN or infinite"):
        load_checkpoint(broken)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_run_leaves_no_file_behind(sig, make_video, style_image, random_checkpoint, tmp_path):
    clip = make_video(tmp_path / "long.mp4", frames=300, width=64, height=48, audio=None)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["stylize", clip, "--style", style_image, "--checkpoint", random_checkpoint, "-o", out / "styled.mp4"]
    proc = subprocess.Popen(
        [sys.executable, "-c", "import sys, vst.cli; sys.exit(vst.cli.main(sys.argv[1:]))", *map(str, argv)]
    )
    deadline = time.monotonic() + 120
    while not any(out.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # until the hidden temporary output exists
    proc.send_signal(sig)
    assert proc.wait(timeout=60) == 130
    assert list(out.iterdir()) == []


def test_a_corrupt_bundled_encoder_is_one_error(random_checkpoint, tmp_path):
    folder = tmp_path / "ckpt"
    shutil.copytree(random_checkpoint, folder)
    (folder / "encoder.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{garbage")
    with pytest.raises(EncoderError, match="not a readable safetensors"):
        load_checkpoint(folder)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 1.0])
def test_ctrl_c_while_starting_up_is_one_line(delay, make_video, style_image, tmp_path):
    # a clip long enough that the signal never lands after the run (a finished file, or the handler gone)
    clip = make_video(tmp_path / "long.mp4", frames=300, width=64, height=48, audio=None)
    out = tmp_path / "out"
    out.mkdir()
    argv = ["stylize", clip, "--style", style_image, "-o", out / "out.mp4"]
    # "started" once vst.cli is imported, just before main() takes over the signals: on a busy machine the
    # interpreter itself can take longer than `delay` to start, and a signal then is Python's, not vst's.
    code = "import sys, vst.cli; print('started', flush=True); sys.exit(vst.cli.main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, argv)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline() == "started\n"
    time.sleep(delay)  # still importing torch, or loading the model
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "Traceback" not in err, err
    assert err.strip().splitlines()[-1] == "vst: interrupted"
    assert list(out.iterdir()) == []
