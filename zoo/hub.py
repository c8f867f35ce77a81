"""Checkpoints on the Hugging Face Hub: `hf://ORG/NAME[@REV]` references, pulls into the HF cache.

Only checkpoint files ever travel (`CHECKPOINT_FILES`: the weights, the config, the card and the card's sample
image): a pull never fetches a pickle or a training leftover, and a push never uploads one. Downloads go through
huggingface_hub's cache, so `HF_HOME`, `HF_HUB_CACHE`, `HF_ENDPOINT` and `HF_HUB_OFFLINE` work as they do for
every other Hub client.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from huggingface_hub import constants as hf_constants
from huggingface_hub import is_offline_mode, snapshot_download
from huggingface_hub.errors import (
    DryRunError,
    EntryNotFoundError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils import HFValidationError, httpx, validate_repo_id

from vst.core import VstError
from vst.core.checkpoint import (
    CONFIG_FILE,
    ENCODER_FILE,
    MODEL_FILE,
    PICKLE_SUFFIXES,
    CheckpointError,
    load_checkpoint,
)
from vst.core.style_map import STYLE_MAP_FILE

from .card import SAMPLE_FILE
from .errors import ZooError

SCHEME = "hf://"
CARD_FILE = "README.md"
CHECKPOINT_FILES = (MODEL_FILE, CONFIG_FILE, ENCODER_FILE, STYLE_MAP_FILE, CARD_FILE, SAMPLE_FILE)
_COMMIT = re.compile(r"[0-9a-f]{40}")
# A branch, tag, commit or `refs/pr/N`: git ref characters, relative, no empty or dot-led path parts. The Hub
# cache joins the revision onto a path, so `/etc/passwd` or `../x` would name a local file.
_REVISION = re.compile(r"(?!/)(?!.*(?:^|/)[.-])(?!.*//)(?!.*\.lock(?:/|$))[A-Za-z0-9._/-]{1,255}(?<!/)")


@dataclass(frozen=True)
class HubRef:
    """A model repo on the Hub and the revision to use; no revision means `main`, which may move."""

    repo_id: str
    revision: str | None = None

    @classmethod
    def parse(cls, ref: str) -> HubRef:
        if not ref.startswith(SCHEME):
            raise ZooError(f"not a Hub reference: {ref!r} (expected hf://ORG/NAME or hf://ORG/NAME@REVISION)")
        repo_id, _, revision = ref[len(SCHEME) :].partition("@")
        try:
            validate_repo_id(repo_id)
        except HFValidationError:
            repo_id = ""
        if "/" not in repo_id:
            raise ZooError(f"{ref!r} does not name a Hub repo: expected hf://ORG/NAME[@REVISION]")
        if "@" in ref[len(SCHEME) :] and not revision.strip():
            raise ZooError(f"{ref!r} has an empty revision after '@'")
        if revision and not _REVISION.fullmatch(revision):
            raise ZooError(f"{ref!r}: {revision!r} is not a branch, tag or commit name")
        return cls(repo_id, revision or None)

    @classmethod
    def from_text(cls, text: str) -> HubRef:
        """`ORG/NAME[@REVISION]` as a user types it, with or without `hf://` (the one place the prefix is optional)."""
        return cls.parse(text if text.startswith(SCHEME) else SCHEME + text)

    @property
    def pinned(self) -> bool:
        """Whether the reference names a commit, so that it always means the same weights."""
        return self.revision is not None and _COMMIT.fullmatch(self.revision) is not None

    def __str__(self) -> str:
        return f"{SCHEME}{self.repo_id}" + (f"@{self.revision}" if self.revision else "")


def is_hub_ref(ref: str) -> bool:
    return ref.startswith(SCHEME)


def cached_folder(ref: HubRef, files: tuple[str, ...] = CHECKPOINT_FILES) -> Path | None:
    """The cached snapshot folder, if it holds every one of `files` that the repo has; never touches the network."""
    try:
        folder = snapshot_download(
            ref.repo_id, revision=ref.revision, allow_patterns=list(files), local_files_only=True
        )
    except (EntryNotFoundError, OSError, ValueError):
        return None
    return Path(folder)


def download(ref: HubRef, files: tuple[str, ...] = CHECKPOINT_FILES, max_bytes: int | None = None) -> Path:
    """Fetch `files` (those of them the repo has) into the HF cache and return the snapshot folder.

    Anything already cached is reused, and offline the cache is all there is. With `max_bytes`, a dry run first
    asks the Hub what would travel, and nothing is fetched if that is more (or unknown): a server's bound on
    what its visitors can make it download; a snapshot already cached is then used as it is, even for a branch.
    """
    if max_bytes is not None and (folder := cached_folder(ref, files)):
        return folder
    try:
        revision = ref.revision
        if max_bytes is not None:
            with tempfile.TemporaryDirectory() as scratch:  # the dry run notes the branch's commit in its cache
                plan = snapshot_download(
                    ref.repo_id, revision=revision, allow_patterns=list(files), cache_dir=scratch, dry_run=True
                )
            sizes = [f.file_size for f in plan]
            if None in sizes or sum(sizes) > max_bytes:
                size = "of unknown size" if None in sizes else f"{sum(sizes) / 2**20:.1f} MB"
                raise ZooError(f"{ref} is {size}; checkpoints up to {max_bytes / 2**20:.0f} MB are downloaded here")
            revision = plan[0].commit_hash if plan else revision  # the commit that was measured, not a later one
        return Path(snapshot_download(ref.repo_id, revision=revision, allow_patterns=list(files)))
    except RevisionNotFoundError:
        raise ZooError(f"{ref}: the repo {ref.repo_id} has no revision {ref.revision!r}") from None
    except RepositoryNotFoundError:
        raise ZooError(
            f"{ref}: no such model repo on {hf_constants.ENDPOINT} "
            "(for a private or gated repo, log in with `hf auth login` or set HF_TOKEN)"
        ) from None
    except (EntryNotFoundError, OfflineModeIsEnabled, DryRunError, httpx.TransportError) as e:
        # Not cached, and the network is off limits or out of reach.
        why = "HF_HUB_OFFLINE is set" if is_offline_mode() else f"the Hub ({hf_constants.ENDPOINT}) cannot be reached"
        raise ZooError(
            f"{ref} is not in the local cache and {why}: run `vst zoo pull {ref}` while online, "
            "or pass --checkpoint DIR"
        ) from e
    except HfHubHTTPError as e:
        raise ZooError(f"{ref}: download failed: {str(e).splitlines()[0]}") from None


def evict(repo_id: str) -> None:
    """Delete a model repo from the HF cache, every revision of it.

    By its folder, not by commit: a duplicated repo keeps its source's commit hashes, and `delete_revisions`
    deletes a hash from whichever cached repo it meets first. The folder is named, not found by scanning the
    whole cache: this runs while a visitor waits.
    """
    folder = Path(hf_constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo_id, repo_type="model")
    if folder.is_dir():
        shutil.rmtree(folder)


class BoundedDownloads:
    """Checkpoints downloaded for others (a web server's visitors), within bounds: none over `max_bytes`, and at
    most `max_repos` of them kept in the cache, the least recently used deleted first.

    A repo that was cached before (the operator's) is used as it is and never deleted.
    """

    def __init__(self, max_bytes: int, max_repos: int) -> None:
        self.max_bytes = max_bytes
        self.max_repos = max_repos
        self._fetched: list[str] = []  # the repos downloaded here, least recently used first
        self._lock = threading.Lock()

    def fetch(self, ref: str) -> str:
        """`hf://ORG/NAME[@REV]`, downloaded unless cached, and pinned to the commit in the cache, so that what
        loads is what was measured."""
        repo = HubRef.parse(ref)
        with self._lock:
            cached = cached_folder(repo)
            folder = cached or download(repo, max_bytes=self.max_bytes)
            if repo.repo_id in self._fetched:  # used again: now the most recent
                self._fetched.remove(repo.repo_id)
                self._fetched.append(repo.repo_id)
            elif cached is None:
                self._fetched.append(repo.repo_id)
            while len(self._fetched) > self.max_repos:
                evict(self._fetched.pop(0))
        return str(HubRef(repo.repo_id, folder.name))


def verify(folder: Path, label: str | None = None) -> None:
    """Check a checkpoint folder as loading does (safetensors only, decoder layout, encoder sha256), before any use.

    `label` names the folder in messages (an `hf://` reference rather than a cache path).
    """
    if not (folder / MODEL_FILE).is_file():
        pickles = sorted(p.name for p in folder.glob("*") if p.suffix.lower() in PICKLE_SUFFIXES)
        found = f" (it holds {', '.join(pickles)})" if pickles else ""
        raise CheckpointError(
            f"{label or folder} has no {MODEL_FILE}{found}; vst loads safetensors only, never pickled weights"
        )
    try:
        load_checkpoint(folder)
    except VstError as e:
        raise type(e)(f"{label}: {e}" if label else str(e)) from None


def push_files(folder: Path) -> list[str]:
    """The files of a checkpoint folder that a push uploads: the checkpoint and its card, no training leftovers."""
    return [name for name in CHECKPOINT_FILES if (folder / name).is_file()]
