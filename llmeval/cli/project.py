"""Finding and loading the project the command runs in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import exits, output


def load(project_dir: Path | None, only: list[str] | None = None) -> Any:
    from llmeval.config.project import load_project
    from llmeval.config.settings import find_root

    root = find_root((project_dir or Path.cwd()).resolve())
    return load_project(root, only=only or None)


def root_of(project_dir: Path | None) -> Path:
    from llmeval.config.settings import find_root

    return find_root((project_dir or Path.cwd()).resolve())


def nothing_selected(what: str) -> typer.Exit:
    output.err(f"nothing selected: {what}")
    return typer.Exit(exits.NOTHING)


PROJECT_OPT = typer.Option(
    None, "--project", "-C", help="Project folder (default: nearest llmeval.yaml upwards)."
)


def project_store(project_dir: Path | None) -> Any:
    """The project's store (runs, reports, baselines), honouring ``paths:``."""
    from llmeval.config.settings import load_settings
    from llmeval.store.project import ProjectStore

    root = root_of(project_dir)
    return ProjectStore(root, load_settings(root))
