"""One base class for the errors a user can cause and fix: the CLI and the app print them as one line."""

from pathlib import Path

DISTRIBUTION = "vst-video"  # vst's name on PyPI (`vst` there is another project); the command is `vst`


class VstError(Exception):
    """Bad input or a missing resource, with a message that says what to do."""


def missing_extra(error: ImportError, what: str, extra: str) -> VstError:
    """An optional dependency is not installed: say which extra brings it."""
    return VstError(f"{what} needs {error.name}, which is not installed: pip install '{DISTRIBUTION}[{extra}]'")


def require_file(path: Path, error: type[VstError], kind: str) -> None:
    """Refuse a missing path, a folder or an empty file before a decoder sees it, with the same words everywhere."""
    if not path.exists():
        raise error(f"{kind} not found: {path}")
    if not path.is_file():
        raise error(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise error(f"{path} is empty")


def make_parent(path: Path, error: type[VstError]) -> None:
    """Create the folder an output goes in, or say in one line why it cannot be (a file in the way, no rights)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as e:
        raise error(f"cannot write {path}: {e.filename or path.parent} is a file, not a folder") from None
    except OSError as e:
        raise error(f"cannot write {path}: {e.strerror or e}: {e.filename or path.parent}") from None
