"""Which files a `vst stylize` run works on, where each one goes, and which of them this process takes.

A folder (searched recursively, its layout kept under the output folder) or a glob makes a batch. Under
`torchrun` every process takes every WORLD_SIZE-th file from its RANK on, so many processes and machines
split one library with no scheduler of their own; each skips the outputs that exist (they are complete:
outputs are written under a temporary name and renamed at the end), which is what lets a batch resume.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

from vst.core import VstError
from vst.core.media import IMAGE_SUFFIXES, SAVE_FORMATS, VIDEO_SUFFIXES, kind_of

MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


@dataclass(frozen=True)
class Job:
    """One input file and the output it becomes."""

    src: Path
    dst: Path

    @property
    def is_image(self) -> bool:
        return self.src.suffix.lower() in IMAGE_SUFFIXES


def _output_name(src: Path) -> str:
    """A video becomes an mp4 (what browsers play); an image keeps its name and format."""
    return src.stem + ".mp4" if src.suffix.lower() in VIDEO_SUFFIXES else src.name


def _check(job: Job) -> Job:
    kind_of(job.src)  # text, audio, ...: said as such, not as a wrong output name
    if job.is_image and job.dst.suffix.lower() not in SAVE_FORMATS:
        raise VstError(f"an image's output must end in one of {', '.join(sorted(SAVE_FORMATS))}: {job.dst}")
    if not job.is_image and job.dst.suffix.lower() != ".mp4":
        raise VstError(f"a video's output must be an .mp4 file: {job.dst}")
    if job.dst.exists() and job.src.exists() and job.dst.resolve() == job.src.resolve():
        raise VstError(f"the output would overwrite the input: {job.dst}")
    return job


def _glob_root(pattern: str) -> Path:
    """The folder a glob searches from (its parts before the first wildcard): the layout below it is kept."""
    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    return Path(*parts[:fixed])


def _subfolder(folder: Path, root: Path) -> Path | None:
    """`folder` relative to `root` when it lies strictly inside it, else None."""
    try:
        inner = folder.resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return inner if inner.parts else None


def jobs(source: str, output: str) -> list[Job]:
    """The (input, output) pairs of a run: one file to `output`, or a folder or glob into the folder `output`.

    An output folder inside the input folder is left out of the search, so that a second run resumes rather
    than stylizing the first run's outputs; two inputs that would share an output are refused.
    """
    src = Path(source)
    if not (src.exists() or glob.has_magic(source) or src.suffix.lower() in MEDIA_SUFFIXES):
        raise VstError(f"not found: {src} (no such file or folder)")  # a mistyped folder, not a bad output name
    if src.is_file() or not (src.is_dir() or glob.has_magic(source)):
        return [_check(Job(src, Path(output)))]  # a missing file fails when it is read, in its own words
    out = Path(output)
    if out.is_file():
        raise VstError(f"a batch writes into a folder, but {out} is a file")
    root = src if src.is_dir() else _glob_root(source)
    found = sorted(src.rglob("*")) if src.is_dir() else sorted(map(Path, glob.glob(source, recursive=True)))
    outputs = _subfolder(out, root)
    media = [
        p
        for p in found
        if p.is_file()
        and p.suffix.lower() in MEDIA_SUFFIXES
        and not (outputs and p.relative_to(root).is_relative_to(outputs))
    ]
    if not media:
        raise VstError(f"no images or videos in {source}")
    todo = [_check(Job(p, out / p.relative_to(root).parent / _output_name(p))) for p in media]
    first: dict[Path, Path] = {}
    for job in todo:
        if (other := first.setdefault(job.dst, job.src)) != job.src:
            raise VstError(f"{other} and {job.src} would both be written to {job.dst}; rename one of them")
    return todo


def shard(items: list[Job]) -> tuple[list[Job], str]:
    """This process's share under torchrun (RANK, WORLD_SIZE), and a prefix for its messages ("" alone)."""
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    if not 0 <= rank < world:
        raise VstError(f"RANK={rank} is not within WORLD_SIZE={world}")
    return items[rank::world], (f"[rank {rank}/{world}] " if world > 1 else "")


def device_for_rank(device: str) -> str:
    """`auto` under torchrun on a machine with GPUs: this process's own GPU (LOCAL_RANK)."""
    import torch

    local = os.environ.get("LOCAL_RANK")
    if device == "auto" and local is not None and torch.cuda.is_available():
        return f"cuda:{int(local) % torch.cuda.device_count()}"
    return device
