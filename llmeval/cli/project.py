"""Finding and loading the project the command runs in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import exits, output


def load(project_dir: Path | None, only: list[str] | None = None) -> Any:
    from llmeval.config.project import load_project

    return load_project(root_of(project_dir), only=only or None)


def root_of(project_dir: Path | None, *, required: bool = True) -> Path:
    """The project root: the nearest folder at or above holding ``llmeval.yaml``.

    ``required``: without one, a usage error (exit 4) that says how to make one --
    not an empty project that selects nothing (exit 5) or validates as "ok".
    Commands that can work on files named outright (``diff``, ``report``) pass False.
    """
    from llmeval.config.settings import CONFIG_FILE, find_root

    start = (project_dir or Path.cwd()).resolve()
    root = find_root(start)
    if required and not (root / CONFIG_FILE).is_file():
        from llmeval.errors import UsageError

        where = "" if project_dir is None else f" {project_dir}"
        raise UsageError(
            f"no {CONFIG_FILE} found in {start} or any folder above it: "
            f"run `llmeval init{where}` to create a project, or pass --project DIR"
        )
    return root


def nothing_selected(what: str) -> typer.Exit:
    output.err(f"nothing selected: {what}")
    return typer.Exit(exits.NOTHING)


def why_nothing(project: Any, selection: Any) -> str:
    """What selected nothing, said as specifically as the project allows."""
    from llmeval.config.validation import hint

    suites = [s for n, s in project.suites.items() if not selection.suites or n in selection.suites]
    suites = suites or list(project.suites.values())
    if not project.suites:
        return f"no suite files in {project.settings.suites_dir}/ (`llmeval init` writes one)"
    cases = [c for s in suites for c in s.cases]
    if not cases:
        return f"{', '.join(s.name for s in suites)}: no cases"
    known = sorted({t for c in cases for t in c.tags})
    for tag in selection.tags or ():
        if tag not in known:
            listing = f" (tags: {', '.join(known)})" if known else " (no case has tags)"
            return f"no case has tag '{tag}'{hint(tag, known) or listing}"
    if selection.filter:
        return f"no case id or description matches --filter '{selection.filter}'"
    return "no case matches the given suites, models, tags or filter"


PROJECT_OPT = typer.Option(
    None,
    "--project",
    "-C",
    metavar="DIR",
    help="Project folder (default: nearest llmeval.yaml upwards).",
)


def project_store(project_dir: Path | None) -> Any:
    """The project's store (runs, reports, baselines), honouring ``paths:``."""
    from llmeval.config.settings import load_settings
    from llmeval.store.project import ProjectStore

    root = root_of(project_dir)
    return ProjectStore(root, load_settings(root))


def complete_suites(incomplete: str) -> list[str]:
    """Shell completion for suite names: the suite files' stems (no parsing, no import)."""
    from llmeval.config.settings import CONFIG_FILE, find_root

    root = find_root(Path.cwd())
    if not (root / CONFIG_FILE).is_file():
        return []
    folder = root / "suites"
    names = sorted(p.stem for p in folder.glob("*.y*ml")) if folder.is_dir() else []
    return [n for n in names if n.startswith(incomplete)]


def complete_models(incomplete: str) -> list[str]:
    """Shell completion for -m: the aliases under ``models:`` in llmeval.yaml."""
    import yaml

    from llmeval.config.settings import CONFIG_FILE, find_root

    path = find_root(Path.cwd()) / CONFIG_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    models = data.get("models") if isinstance(data, dict) else None
    names = [str(k) for k in models] if isinstance(models, dict) else []
    return [n for n in [*names, "echo"] if n.startswith(incomplete)]
