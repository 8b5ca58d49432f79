"""``llmeval import promptfoo PATH``: turn a promptfoo config into an llmeval project.

Exit codes: 0 everything was translated; 3 the project was written but some inputs
were not translated (each listed as ``file:line: not translated: ...``); 4 the input
could not be read (or the output would overwrite files without ``--force``).
"""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import exits, output
from llmeval.cli.app import app

import_app = typer.Typer(
    name="import",
    help="Import another tool's evaluation config as an llmeval project.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@import_app.command("promptfoo")
def promptfoo(
    path: Path = typer.Argument(..., help="promptfooconfig.yaml, or the folder holding it."),
    out: Path = typer.Option(
        None, "-o", "--out", help="Folder to write the project to (default: the config's)."
    ),
    offline: bool = typer.Option(
        False, "--offline", help="Write echo stand-ins for every model that calls a service."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite files that already exist."),
) -> None:
    """Write llmeval.yaml, prompts/ and suites/ from a promptfoo config."""
    with output.errors_to_exit():
        from llmeval.importers.promptfoo import convert, find_config, write

        config = find_config(path)
        imported = convert(config, offline=offline)
        target = out if out is not None else config.parent
        written = write(imported, target, force=force)
        for rel in written:
            typer.echo(f"wrote {target / rel}")
        for warning in imported.notes.warnings:
            output.err(str(warning))
        for note in imported.notes.items:
            output.err(str(note))
        if imported.notes.items:
            n = len(imported.notes.items)
            output.err(f"incomplete: {n} item{'s' if n != 1 else ''} not translated (listed above)")
            raise typer.Exit(exits.INCOMPLETE)
        typer.echo("complete: everything was translated")
