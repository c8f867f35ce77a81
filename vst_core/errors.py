"""One base class for the errors a user can cause and fix: the CLI and the app print them as one line."""

from pathlib import Path


class VstError(Exception):
    """Bad input or a missing resource, with a message that says what to do."""


def require_file(path: Path, error: type[VstError], kind: str) -> None:
    """Refuse a missing path, a folder or an empty file before a decoder sees it, with the same words everywhere."""
    if not path.exists():
        raise error(f"{kind} not found: {path}")
    if not path.is_file():
        raise error(f"not a file: {path}")
    if path.stat().st_size == 0:
        raise error(f"{path} is empty")
