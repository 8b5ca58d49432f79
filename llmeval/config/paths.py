"""Project-relative file names, and the rule that referenced files stay inside the project."""

from __future__ import annotations

from pathlib import Path

from llmeval.domain.location import Location
from llmeval.errors import SecurityError


def display(path: Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes, as messages show it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def confine(path: Path, root: Path, *, what: str, location: Location | None = None) -> Path:
    """``path`` resolved (symlinks followed); SecurityError if it leaves the project root.

    ``what`` names the reference as written, e.g. ``dataset '../x.csv'``.
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SecurityError(f"{what} is a path outside the project", location)
    return resolved
