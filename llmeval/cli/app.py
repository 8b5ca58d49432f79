"""The ``llmeval`` command. Each command lives in its own module; heavy imports stay inside."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from llmeval import __version__
from llmeval.cli import output

# typer prints a parameter's Python type (<bool>, <list[str]>, <int range>) beside it;
# help reads better with click's usual placeholders, and flags take no value at all
_PLACEHOLDERS = {"str": "TEXT", "int": "N", "float": "NUMBER", "path": "PATH"}


def _placeholder(shown: str | None) -> str | None:
    if not shown or not shown.startswith("<"):
        return None
    inner = shown.strip("<>.").removeprefix("list[").removesuffix("]")
    return _PLACEHOLDERS.get(inner.removesuffix(" range"), inner.upper())


def _tidy(command: Any) -> None:
    """Placeholders for every parameter that has no metavar of its own, recursively."""
    ctx = command.context_class(command, help_option_names=_HELP)
    help_option = command.get_help_option(ctx)  # cached by the command: this is the one shown
    for param in [*command.params, *([help_option] if help_option else [])]:
        if getattr(param, "is_flag", False):
            param.metavar = ""
        elif param.param_type_name == "argument":
            # an argument's type column ignores metavar: its name already says it
            param.display_type_rich = lambda ctx: None
            param.display_type = lambda ctx: ""
        elif param.metavar is None:
            param.metavar = _placeholder(param.display_type_rich(ctx))
    for sub in getattr(command, "commands", {}).values():
        _tidy(sub)


class _Group(TyperGroup):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        _tidy(self)
        return super().main(*args, **kwargs)


_HELP = ["-h", "--help"]


app = typer.Typer(
    name="llmeval",
    cls=_Group,
    help="Evaluate LLM applications: run suites, score outputs, gate CI on regressions.",
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": _HELP},
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
    from llmeval.providers.environ import seal_environ

    # user code (python scorers) runs in children: keys must not be readable from
    # /proc/<our pid>/environ; os.environ keeps our own copies
    seal_environ()
    _register()
    app()
