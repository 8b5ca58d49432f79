"""``llmeval cache stats|clear``."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT

cache_app = typer.Typer(help="The response cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _cache(project_dir: Path | None):  # type: ignore[no-untyped-def]
    from llmeval.cli.project import root_of
    from llmeval.config.settings import load_settings
    from llmeval.providers.cache import ResponseCache

    root = root_of(project_dir)
    settings = load_settings(root)
    path = Path(settings.cache_dir)
    return ResponseCache(path if path.is_absolute() else root / path, settings.cache_ttl_s)


@cache_app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Entries and size of the response cache."""
    with output.errors_to_exit():
        cache = _cache(project_dir)
        try:
            s = cache.stats()
        finally:
            cache.close()
        if as_json:
            from llmeval.cli.run import emit_json

            emit_json({"dir": s["dir"], "entries": s["entries"], "size_bytes": s["size_bytes"]})
        else:
            typer.echo(f"{s['dir']}: {s['entries']} entries, {s['size_bytes'] / 1024:.1f} KiB")


@cache_app.command("clear")
def clear(project_dir: Path = PROJECT_OPT) -> None:
    """Remove every cached response."""
    with output.errors_to_exit():
        cache = _cache(project_dir)
        try:
            n = cache.clear()
        finally:
            cache.close()
        typer.echo(f"cleared {n} entries")
