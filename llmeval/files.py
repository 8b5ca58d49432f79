"""Where a file named in a suite is looked for: one rule for every kind of file.

A dataset, a python scorer or a JSON schema file written in ``suites/x.yaml`` is looked
for relative to that suite's folder first, then the project root, and must stay inside
the project. The message names every place tried, so a path that resolves somewhere
unexpected is easy to fix. It sits beside ``errors`` (below every layer) because
``config`` (datasets) and ``metrics`` (scorers, schemas) both need it.
"""

from __future__ import annotations

from pathlib import Path

from llmeval.domain.location import Location
from llmeval.errors import ConfigError, SecurityError


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def find_in_project(
    written: str,
    *,
    what: str,
    root: Path,
    suite_dir: Path | None = None,
    location: Location | None = None,
) -> Path:
    """The resolved file ``written`` names (``what`` says what it is, e.g. "dataset").

    ConfigError when no candidate exists (listing the ones tried), SecurityError when
    the only existing candidate is outside the project.
    """
    base = root.resolve()
    folders = [suite_dir.resolve()] if suite_dir is not None else []
    folders += [base] if base not in folders else []
    tried: list[str] = []
    outside: Path | None = None
    for folder in folders:
        candidate = (folder / written).resolve()
        if not candidate.is_relative_to(base):
            if candidate.exists():
                outside = candidate
            continue
        if candidate.is_file():
            return candidate
        shown = _shown(candidate, base)
        if shown not in tried:
            tried.append(shown)
    if outside is not None or not tried:
        raise SecurityError(f"{what} '{written}' is a path outside the project", location)
    raise ConfigError(f"{what} '{written}' not found (tried {', '.join(tried)})", location)
