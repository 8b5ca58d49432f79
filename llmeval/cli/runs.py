"""Reading a finished run back: ``llmeval report``, ``llmeval runs``."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT, project_store


@app.command()
def report(
    run: str = typer.Argument("latest", help="Run id, prefix, 'latest' or run folder."),
    out: Path = typer.Option(
        None, "--out", "-o", help="Where to write (default reports/<run>.html)."
    ),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """(Re)write the HTML report of a run."""
    with output.errors_to_exit():
        from llmeval.engine.gating import stored_verdict
        from llmeval.report.html import render_html
        from llmeval.store.runs import atomic_write

        store = project_store(project_dir)
        stored = store.load_run(run)
        verdict, comparison = stored_verdict(stored)  # as the run itself decided it
        page = render_html(
            stored.results,
            stored.meta,
            comparison=comparison.to_json() if comparison is not None else None,
            verdict=verdict,
        )
        target = out or store.report_path(stored.label)
        atomic_write(target, page)
        typer.echo(f"report: {target}")


@app.command("runs")
def runs(project_dir: Path = PROJECT_OPT, limit: int = typer.Option(20, "--limit", "-n")) -> None:
    """Recent runs, newest last."""
    with output.errors_to_exit():
        import time

        from llmeval.errors import UsageError

        store = project_store(project_dir).runs
        if not store.list_runs():
            typer.echo("no runs yet (start one with `llmeval run`)")
            return
        rows = []
        for run_id in store.list_runs():
            try:
                meta = store.read_manifest(run_id)
            except UsageError as e:  # one damaged run.json does not hide the others
                output.err(f"note: {e}")
                meta = {}
            rows.append((meta.get("started_at") or 0, run_id, meta))
        rows.sort()  # by start time, not by name: --run-id names sort anywhere
        for _, run_id, meta in rows[-limit:]:
            tot = (meta.get("summary") or {}).get("totals") or {}
            verdict = (meta.get("verdict") or {}).get("status") or "?"
            counts = meta.get("counts") or {}
            started = meta.get("started_at")
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if started else "?"
            typer.echo(
                f"{run_id}  {when}  {meta.get('status', '?'):<11} gate {verdict:<10} "
                f"{tot.get('passed', 0)} passed, {tot.get('failed', 0)} failed, "
                f"{tot.get('errors', 0)} errors, {counts.get('not_run', 0)} not run"
            )
