"""Project-relative file names, and the rule that referenced files stay inside the project.

The rule holds for every file llmeval reads from the project: files a config names
(datasets, schemas, python targets) and files found by listing a folder (prompts,
suites). A symbolic link is followed, and refused when it ends outside the root.
"""

from __future__ import annotations

import os
from pathlib import Path

from llmeval.domain.location import Location
from llmeval.errors import SecurityError


def display(path: Path, root: Path) -> str:
    """``path`` relative to the project root, with forward slashes, as messages show it.

    A symbolic link is named as written (the name the user knows), else as resolved.
    """
    base = root.resolve()
    for candidate in (Path(os.path.abspath(path)), path.resolve()):
        try:
            return candidate.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(path)


def confine(path: Path, root: Path, *, what: str, location: Location | None = None) -> Path:
    """``path`` resolved (symlinks followed); SecurityError if it leaves the project root.

    ``what`` names the reference as written, e.g. ``dataset '../x.csv'``.
    """
    resolved = path.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise SecurityError(f"{what} is a path outside the project", location)
    return resolved


def listed(path: Path, root: Path) -> Path:
    """A file found by listing a project folder, resolved; SecurityError at the file
    when it (or a folder on its way) is a symbolic link that leaves the project."""
    name = display(path, root)
    return confine(
        path,
        root,
        what=f"'{name}' is a symbolic link and its target",
        location=Location(name),
    )
