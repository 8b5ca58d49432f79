"""``llmeval init``: a small project that runs as written, with no API key."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app

_DOTTED = {"gitignore": ".gitignore", "github": ".github"}


def _copy_tree(
    src: resources.abc.Traversable, dest: Path, written: list[Path], force: bool
) -> None:
    for entry in src.iterdir():
        if entry.name in ("__pycache__",) or entry.name.endswith(".pyc"):
            continue
        # shipped without the dot: a dotfile inside a package is easy to lose in packaging
        target = dest / _DOTTED.get(entry.name, entry.name)
        if entry.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            _copy_tree(entry, target, written, force)
        else:
            if target.exists() and not force:
                from llmeval.errors import UsageError

                raise UsageError(f"{target} already exists (use --force to overwrite)")
            with resources.as_file(entry) as path:
                shutil.copyfile(path, target)
            written.append(target)


@app.command()
def init(
    directory: Path = typer.Argument(Path("."), help="Where to create the project."),
    with_: list[str] = typer.Option(
        None,
        "--with",
        help="Extra packs: security (example suite), agent (a traced tool-using agent), ci (GitHub workflow).",
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
) -> None:
    """Create llmeval.yaml, a prompt, a suite and an offline app that run as written."""
    with output.errors_to_exit():
        from llmeval.errors import UsageError

        extra = list(with_ or [])
        # `init --with security` in an existing project adds just the pack
        base = [] if extra and (directory / "llmeval.yaml").exists() else ["base"]
        packs = [*base, *extra]
        scaffold = resources.files("llmeval") / "scaffold"
        for pack in packs:
            if not (scaffold / pack).is_dir():
                known = sorted(
                    p.name for p in scaffold.iterdir() if p.is_dir() and p.name != "base"
                )
                raise UsageError(
                    f"unknown --with pack '{pack}' (known: {', '.join(known) or 'none'})"
                )
        directory.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for pack in packs:
            _copy_tree(scaffold / pack, directory, written, force)
        for p in written:
            typer.echo(f"created {p}")
        if "ci" in packs:
            typer.echo(
                "next: llmeval run && llmeval baseline save latest, then commit suites/baselines/"
                " and .github/workflows/llmeval.yml"
            )
        else:
            typer.echo(f"next: cd {directory} && llmeval run")
