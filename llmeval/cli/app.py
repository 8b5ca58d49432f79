"""The ``llmeval`` command. Each command lives in its own module; heavy imports stay inside."""

from __future__ import annotations

import typer

from llmeval import __version__
from llmeval.cli import output

app = typer.Typer(
    name="llmeval",
    help="Evaluate LLM applications: run suites, score outputs, gate CI on regressions.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmeval {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks instead of one-line errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    output.set_debug(debug)


def _register() -> None:
    from llmeval.cli import commands  # noqa: F401  (registers the commands on `app`)


def main() -> None:
    # click's default of 2 for bad usage would read as "interrupted" to CI
    # (typer vendors its own copy of click; patch whichever is in use)
    import contextlib
    import importlib

    for name in ("typer._click.exceptions", "click.exceptions"):
        with contextlib.suppress(ImportError):  # older typer uses click; newer vendors it
            importlib.import_module(name).UsageError.exit_code = 4
    _register()
    app()
