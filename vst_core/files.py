"""Files that appear under their name only once complete: images, videos, weights, configs, model cards."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden temporary path next to `path` to write; on a clean exit it replaces `path` in one step.

    A reader never sees a half-written file, and an error or an interrupt leaves nothing behind: the temporary
    file is removed. The process id in its name keeps two processes writing the same file (a batch run twice,
    ranks of torchrun) from writing into one temporary file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
