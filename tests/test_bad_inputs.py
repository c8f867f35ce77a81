"""Hostile and careless inputs: refused in one line, nothing run, nothing left behind."""

from __future__ import annotations

import pickle

import pytest

from vst_core import EncoderError, load_encoder


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
