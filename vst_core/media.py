"""Which files vst reads as images and which as videos, by their names.

One home for the suffixes and for the sentence a user reads when a file is of the wrong kind: the CLI, the
Python API and the app all open files through `images` and `video`, which ask here first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from .errors import VstError

SAVE_FORMATS = {  # image suffix -> Pillow's format name
    ".png": "PNG",
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".webp": "WEBP",
    ".bmp": "BMP",
    ".tif": "TIFF",
    ".tiff": "TIFF",
}
IMAGE_SUFFIXES = frozenset(SAVE_FORMATS)
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".gif"})
Kind = Literal["image", "video"]
_SUFFIXES = {"image": IMAGE_SUFFIXES, "video": VIDEO_SUFFIXES}


def _listed(kind: Kind) -> str:
    return ", ".join(sorted(_SUFFIXES[kind]))


def kind_of(path: str | os.PathLike, error: type[VstError] = VstError) -> Kind:
    """The kind of file `path` is, by its suffix; `error` with one line for anything else (text, audio, ...)."""
    suffix = Path(path).suffix.lower()
    for kind, suffixes in _SUFFIXES.items():
        if suffix in suffixes:
            return kind  # type: ignore[return-value]
    raise error(
        f"{path} is neither an image nor a video that vst reads (images: {_listed('image')}; "
        f"videos: {_listed('video')})"
    )


def require_kind(path: str | os.PathLike, kind: Kind, error: type[VstError] = VstError) -> None:
    """Refuse a file of the other kind (a video given as a style, a photo given as a clip) in one line."""
    found = kind_of(path, error)
    if found != kind:
        article = {"image": "an image", "video": "a video"}
        raise error(f"{path} is {article[found]}, and {article[kind]} is needed here ({_listed(kind)})")
