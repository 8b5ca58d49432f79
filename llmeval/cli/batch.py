"""``llmeval batch status|cancel RUN``: the provider batches of a ``--batch`` run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT, project_store

batch_app = typer.Typer(
    help="The provider batches of a run (llmeval run --batch).", no_args_is_help=True
)
app.add_typer(batch_app, name="batch")

RUN_ARG = typer.Argument("latest", help="Run id, prefix, 'latest' or run folder.")


def _specs(store: Any, run_dir: Path) -> dict[str, Any]:
    """The model of each batch folder of the run, resolved from llmeval.yaml."""
    from llmeval.config.settings import resolve_model
    from llmeval.providers.batch import batch_folder

    folder = batch_folder(run_dir, "x").parent
    aliases = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return {a: resolve_model(store.settings, a) for a in aliases}


def _rows(summaries: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "model": s.model,
            "api": s.api,
            "name": s.name,
            "batch_id": s.batch_id,
            "phase": s.phase,  # llmeval's record: prepared ... collected, abandoned
            "status": s.remote_status,  # the provider's own word, when asked
            "requests": s.requests,
            "counts": s.counts,
            "cancel_requested": s.cancel_requested,
        }
        for s in summaries
    ]


_COLUMNS = ("model", "batch", "batch id", "phase", "provider status", "requests", "counts")


def _cells(r: dict[str, Any]) -> tuple[str, ...]:
    counts = ", ".join(f"{k} {v}" for k, v in r["counts"].items() if v) or "-"
    status = (r["status"] or "-") + (" (cancel asked)" if r["cancel_requested"] else "")
    return (
        r["model"], r["name"], r["batch_id"] or "-", r["phase"], status, str(r["requests"]),
        counts,
    )  # fmt: skip


def batch_view(run_id: str, rows: list[dict[str, Any]], width: int) -> Any:
    """A table when it fits ``width``, else one block per batch: ids are never cut."""
    from rich.console import Group
    from rich.text import Text

    from llmeval.report.console_layout import fits, hanging, plain_table

    title = Text(f"batches of run {run_id}", style="bold")
    table = plain_table()
    for col in _COLUMNS:
        table.add_column(col, justify="right" if col == "requests" else "left", no_wrap=True)
    for r in rows:
        table.add_row(*(Text(c) for c in _cells(r)))
    if fits(table, width):
        return Group(title, table)
    blocks: list[Any] = [title]
    for r in rows:
        cells = _cells(r)
        blocks.append(Text(f"{cells[0]}  {cells[1]}", style="bold"))
        for name, value in zip(_COLUMNS[2:], cells[2:], strict=True):
            blocks.append(hanging(Text(f"{name}:"), Text(value), indent=2))
    return Group(*blocks)


def _print(run_id: str, rows: list[dict[str, Any]], note: str | None) -> None:
    from rich.text import Text

    con = output.console()  # the one width rule ($COLUMNS, the terminal, or piped)
    if not rows:
        con.print(Text(f"run {run_id} has no batches (it was not run with --batch)"))
        return
    con.print(batch_view(run_id, rows, con.width))
    if note:
        output.err(note)


def _show(
    run: str, project_dir: Path | None, as_json: bool, action: str, refresh: bool = True
) -> None:
    import asyncio

    from llmeval.providers.batch import batch_status, cancel_batches, refresh_status

    store = project_store(project_dir)
    run_dir = store.runs.resolve(run)
    specs = _specs(store, run_dir)
    note = None
    if action == "cancel":
        summaries = asyncio.run(cancel_batches(run_dir, specs))
        asked = sum(1 for s in summaries if s.cancel_requested and s.phase != "collected")
        note = (
            f"cancel asked for {asked} batch(es): what finished is kept; "
            f"`llmeval run --resume {run_dir.name}` collects it and sends the rest again"
        )
    elif refresh and specs:
        from llmeval.errors import LLMEvalError

        try:
            summaries = asyncio.run(refresh_status(run_dir, specs))
        except LLMEvalError as e:  # no key here, provider down: what the run recorded
            summaries = batch_status(run_dir)
            note = f"note: showing what the run folder recorded; the provider said: {e}"
    else:
        summaries = batch_status(run_dir)
    rows = _rows(summaries)
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json({"run_id": run_dir.name, "batches": rows, "note": note})
        return
    _print(run_dir.name, rows, note)


@batch_app.command("status")
def status(
    run: str = RUN_ARG,
    refresh: bool = typer.Option(
        True,
        "--refresh/--no-refresh",
        help="Ask the providers about running batches (needs their keys).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Batch ids, model, status and request counts of a run's provider batches."""
    with output.errors_to_exit(json_errors=as_json):
        _show(run, project_dir, as_json, "status", refresh)


@batch_app.command("cancel")
def cancel(
    run: str = RUN_ARG,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Cancel a run's batches still at the provider; their unfinished cases stay
    not-run, and `llmeval run --resume RUN` sends them again."""
    with output.errors_to_exit(json_errors=as_json):
        _show(run, project_dir, as_json, "cancel")
