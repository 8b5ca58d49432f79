"""Reading a finished run back: ``llmeval report``, ``llmeval runs``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT


def load_run(project_dir: Path | None, ref: str) -> tuple[Path, list[Any], dict[str, Any]]:
    """(run folder, results, manifest) for a run id, prefix, 'latest' or folder."""
    import json

    from llmeval.cli.project import root_of
    from llmeval.engine.journal import read_journal
    from llmeval.store.runs import RunStore

    root = root_of(project_dir)
    store = RunStore(root)
    run_dir = store.resolve(ref)
    manifest_path = run_dir / "run.json"
    meta = (
        json.loads(manifest_path.read_text())
        if manifest_path.exists()
        else {"run_id": run_dir.name}
    )
    results = read_journal(run_dir / "results.jsonl")
    if "summary" not in meta:
        from llmeval.analysis.summarize import summarize

        meta["summary"] = summarize(results)
    return run_dir, results, meta


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
        from llmeval.cli.project import root_of
        from llmeval.report.html import render_html
        from llmeval.store.runs import atomic_write

        run_dir, results, meta = load_run(project_dir, run)
        page = render_html(results, meta, comparison=meta.get("comparison"), gate=meta.get("gate"))
        target = out or root_of(project_dir) / "reports" / f"{run_dir.name}.html"
        atomic_write(target, page)
        typer.echo(f"report: {target}")


@app.command("runs")
def runs(project_dir: Path = PROJECT_OPT, limit: int = typer.Option(20, "--limit", "-n")) -> None:
    """Recent runs, newest last."""
    with output.errors_to_exit():
        import json
        import time

        from llmeval.cli.project import root_of
        from llmeval.store.runs import RunStore

        store = RunStore(root_of(project_dir))
        if not store.list_runs():
            typer.echo("no runs yet (start one with `llmeval run`)")
            return
        rows = []
        for run_id in store.list_runs():
            meta_path = store.manifest_path(run_id)
            meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
            rows.append((meta.get("started_at") or 0, run_id, meta))
        rows.sort()  # by start time, not by name: --run-id names sort anywhere
        for _, run_id, meta in rows[-limit:]:
            tot = (meta.get("summary") or {}).get("totals") or {}
            gate = meta.get("gate") or {}
            verdict = (
                "incomplete"
                if gate.get("incomplete")
                else ("pass" if gate.get("passed") else ("fail" if gate else "?"))
            )
            counts = meta.get("counts") or {}
            started = meta.get("started_at")
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(started)) if started else "?"
            typer.echo(
                f"{run_id}  {when}  {meta.get('status', '?'):<11} gate {verdict:<10} "
                f"{tot.get('passed', 0)} passed, {tot.get('failed', 0)} failed, "
                f"{tot.get('errors', 0)} errors, {counts.get('not_run', 0)} not run"
            )
